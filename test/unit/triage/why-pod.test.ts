// The `why pod` use case (src/app/why-pod.ts) on the kubelet-event corpus: the node's own registries.conf and the
// live policies' plan (planWhy: one generation per image, released) judge what the node said; the triage channel's
// classifier goes through the same path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WhyPodClassifier } from '../../../src/app/pull-failure-classifier.ts';
import { whyPod, whyPullFailed } from '../../../src/app/why-pod.ts';
import { explain } from '../../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../../src/domain/registries-conf.ts';
import type { RegistriesConf } from '../../../src/domain/registries-conf.ts';
import type { EventShape, PodShape } from '../../../src/domain/triage/pod-triage.ts';
import type { PolicySource } from '../../../src/ports/live-check.ts';
import type { NodeFacts, PodFacts } from '../../../src/ports/pod-triage.ts';

const CORPUS = join(import.meta.dirname, '../../fixtures/kubelet-events');
const s = JSON.parse(readFileSync(join(CORPUS, 'registry-down/scenario.json'), 'utf8')) as {
  image: string;
  registriesConf: string;
};
const failed = readFileSync(join(CORPUS, 'registry-down/cri-client.event-failed.txt'), 'utf8').trimEnd();
const nodeConf = parseRegistriesConf(s.registriesConf, [], '/etc/containers/registries.conf');
// the policies add a digest-only mirror for the image's repository that the node's file does not have yet
const withMirror = parseRegistriesConf(
  [
    s.registriesConf,
    '[[registry]]',
    '  prefix = ""',
    '  location = "127.0.0.1:5009/repo"',
    '  [[registry.mirror]]',
    '    location = "mirror.corp:5000/repo"',
    '    pull-from-mirror = "digest-only"',
    '',
  ].join('\n'),
  [],
  'policies',
);

/** A policy source with generations: counts what is held and released. */
function generations(conf: RegistriesConf): PolicySource & { planned: string[]; held: () => number } {
  let held = 0;
  const planned: string[] = [];
  return {
    cluster: 'c',
    planned,
    held: () => held,
    explain: () => Promise.reject(new Error('explain(string) must not be used when plan() exists')),
    plan: async (reference) => {
      planned.push(reference.input);
      held++;
      return { generation: 3, explanation: explain({ reference, conf }), release: () => held-- };
    },
  };
}

class Facts implements PodFacts {
  private readonly conf: RegistriesConf | null;
  private readonly notes: string[];
  constructor(conf: RegistriesConf | null, notes: string[] = []) {
    this.conf = conf;
    this.notes = notes;
  }
  async readPod(namespace: string, name: string): Promise<{ pod: PodShape; events: EventShape[] }> {
    if (name === 'gone') throw new Error(`pod ${namespace}/${name} not found`);
    const waiting = { waiting: { reason: 'ErrImagePull', message: 'ignored' } };
    return {
      pod: {
        metadata: { namespace, name },
        spec: {
          nodeName: 'worker-1',
          initContainers: [{ name: 'init', image: s.image }],
          containers: [{ name: 'web', image: s.image }],
        },
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', state: waiting }],
          containerStatuses: [{ name: 'web', state: waiting }],
        },
      },
      events: [
        { reason: 'Failed', message: failed, involvedObject: { fieldPath: 'spec.initContainers{init}' } },
        { reason: 'Failed', message: failed, involvedObject: { fieldPath: 'spec.containers{web}' } },
      ],
    };
  }
  async nodeFacts(nodeName: string | null): Promise<NodeFacts> {
    return { node: { node: nodeName, pool: 'worker', mco: null }, conf: this.conf, notes: [...this.notes] };
  }
}

describe('whyPod: the use case behind /icsp why pod and icsp why --pod', () => {
  it("judges against the node's file and the policies' plan: a mirror only the policies add is pending", async () => {
    const policies = generations(withMirror);
    const t = await whyPod({ pods: new Facts(nodeConf), policies }, { namespace: 'shop', name: 'web-1' });
    expect(t.containers.map((c) => [c.container, c.init, c.verdict.cause])).toEqual([
      ['init', true, 'rollout-pending'],
      ['web', false, 'rollout-pending'],
    ]);
    // one plan per distinct image, from one generation, released at once
    expect(policies.planned).toEqual([s.image]);
    expect(policies.held()).toBe(0);
  });

  it('the same policies as the node: the cause is what the node said (source unreachable)', async () => {
    const t = await whyPod(
      { pods: new Facts(nodeConf), policies: generations(nodeConf) },
      { namespace: 'shop', name: 'web-1' },
    );
    expect(t.containers.map((c) => c.verdict.cause)).toEqual(['source-unreachable', 'source-unreachable']);
    expect(t.node).toBe('worker-1');
  });

  it("the node's file unknown: the policies' plan stands in, and the node facts' notes are said", async () => {
    const note = 'node worker-1 carries no machine-config annotations';
    const t = await whyPod(
      { pods: new Facts(null, [note]), policies: generations(withMirror) },
      { namespace: 'shop', name: 'web-1' },
    );
    expect(t.containers[0]?.verdict.cause).not.toBe('rollout-pending');
    expect(t.notes).toContain(note);
  });

  it("the policies cannot answer: the node's file alone", async () => {
    const broken: PolicySource = { cluster: 'c', explain: () => Promise.reject(new Error('watches not synced')) };
    const t = await whyPod({ pods: new Facts(nodeConf), policies: broken }, { namespace: 'shop', name: 'web-1' });
    expect(t.containers[0]?.verdict.cause).toBe('source-unreachable');
  });

  it("a pod that does not exist: the reader's one-line error", async () => {
    await expect(
      whyPod({ pods: new Facts(nodeConf), policies: generations(nodeConf) }, { namespace: 'shop', name: 'gone' }),
    ).rejects.toThrow('pod shop/gone not found');
  });
});

describe('whyPullFailed and the triage channel classifier: the same use case on one event', () => {
  const deps = { pods: new Facts(nodeConf), policies: generations(withMirror) };

  it('reads the image from the text when it is not given; null when the text names none', async () => {
    const v = await whyPullFailed(deps, 'worker-1', null, [failed]);
    expect(v?.image).toBe(s.image);
    expect(v?.cause).toBe('rollout-pending');
    expect(await whyPullFailed(deps, 'worker-1', null, ['Error: ImagePullBackOff'])).toBeNull();
  });

  it('classifies a Failed event (with the rollout link for rollout-pending); a BackOff is not classified', async () => {
    const c = new WhyPodClassifier(deps, async () => 'https://slack.com/archives/C1/p1');
    const e = { namespace: 'shop', pod: 'web-1', uid: null, container: 'web', node: 'worker-1' };
    expect(await c.classify({ ...e, reason: 'Failed', message: failed })).toMatchObject({
      image: s.image,
      cause: 'rollout-pending',
      rolloutLink: 'https://slack.com/archives/C1/p1',
    });
    expect(await c.classify({ ...e, reason: 'BackOff', message: `Back-off pulling image "${s.image}"` })).toBeNull();
    const same = new WhyPodClassifier({ ...deps, policies: generations(nodeConf) }, async () => 'unused');
    expect(await same.classify({ ...e, reason: 'Failed', message: failed })).toMatchObject({
      cause: 'source-unreachable',
      rolloutLink: null,
    });
  });
});
