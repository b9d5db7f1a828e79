// Pod triage on the kubelet-event corpus: the node's own words plus the plan of its registries.conf give one
// cause and fix per image, with no debug pod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../../src/domain/registries-conf.ts';
import { formatPodTriage, stuckContainers, triagePod } from '../../../src/domain/triage/pod-triage.ts';
import type { EventShape, PodShape } from '../../../src/domain/triage/pod-triage.ts';
import { triageImage } from '../../../src/domain/triage/triage-verdict.ts';
import type { TriageCause } from '../../../src/domain/triage/triage-verdict.ts';

const CORPUS = join(import.meta.dirname, '../../fixtures/kubelet-events');
const NODE = {
  node: 'worker-1',
  pool: 'worker',
  mco: { current: 'rendered-worker-1', desired: 'rendered-worker-1', state: 'Done' },
};

function scenario(name: string): { image: string; registriesConf: string } {
  return JSON.parse(readFileSync(join(CORPUS, name, 'scenario.json'), 'utf8')) as {
    image: string;
    registriesConf: string;
  };
}
function text(name: string, file: string): string {
  return readFileSync(join(CORPUS, name, file), 'utf8');
}

const EXPECTED: [string, TriageCause, RegExp, RegExp][] = [
  [
    'not-mirrored',
    'not-mirrored',
    /manifest unknown, so the image was never mirrored there; the source quay\.nxdomain\.test does not resolve/,
    /oc-mirror/,
  ],
  ['unauthorized', 'mirror-unauthorized', /127\.0\.0\.1:5005 refused its credentials/, /pull secret/],
  ['x509', 'mirror-tls', /does not trust 127\.0\.0\.1:5004/, /additionalTrustedCA.*127\.0\.0\.1\.\.5004/],
  [
    'mirror-down',
    'mirror-down',
    /could not reach the mirror 127\.0\.0\.1:5009 \(connection-refused\)/,
    /is up and reachable/,
  ],
  ['registry-down', 'source-unreachable', /no mirror applies/, /mirror/],
  ['tag-pull-digest-only-mirror', 'tag-pull-digest-only-mirror', /pulled by tag.*digest-only/, /pull by digest/],
  ['tag-pull-blocked-source', 'tag-pull-digest-only-mirror', /digest-only.*blocked/, /ImageTagMirrorSet/],
  ['blocked-source', 'source-blocked', /only the source 127\.0\.0\.1:5001, which is blocked/, /add a mirror/],
  [
    'rate-limited-mirror',
    'rate-limited',
    /rate-limited \(429 too many requests\) by 127\.0\.0\.1:5011; the source 127\.0\.0\.1:5001 is blocked/,
    /without a pull limit.*pull secret/s,
  ],
  [
    'rate-limited-source',
    'rate-limited',
    /no mirror applies.*source 127\.0\.0\.1:5011 refuses with "too many requests"/,
    /mirror 127\.0\.0\.1:5011\/library\/exampleimage .*ImageTagMirrorSet \(this is a tag pull/,
  ],
  // the other 429s (nginx's HTML page as Quay sends it, Harbor's JSON, a 429 on the /v2/ ping)
  ...['rate-limited-html-mirror', 'rate-limited-harbor-mirror', 'rate-limited-ping-mirror'].map(
    (name): [string, TriageCause, RegExp, RegExp] => [
      name,
      'rate-limited',
      /rate-limited \(429 too many requests\) by 127\.0\.0\.1:5011; the source 127\.0\.0\.1:5001 is blocked/,
      /without a pull limit.*pull secret/s,
    ],
  ),
  ...['rate-limited-html-source', 'rate-limited-ping-source'].map((name): [string, TriageCause, RegExp, RegExp] => [
    name,
    'rate-limited',
    /no mirror applies.*source 127\.0\.0\.1:5011 refuses with "too many requests"/,
    /ImageTagMirrorSet/,
  ]),
  // containers/image's words hide the 429 (Quay's nginx answers /v1/_ping itself): not claimed, but named
  [
    'rate-limited-ping-v1-source',
    'source-unreachable',
    /source 127\.0\.0\.1:5011 answered its \/v2\/ ping with neither 200 nor 401 .*often a proxy's 429 rate limit/,
    /a live check on the node shows the status 127\.0\.0\.1:5011 answered/,
  ],
  ['short-name-ambiguous', 'short-name-ambiguous', /short name/, /fully qualified/],
  ['rejected-by-policy', 'rejected-by-policy', /signature policy rejects/, /ClusterImagePolicy/],
  ['all-candidates-fail', 'mirror-tls', /does not trust 127\.0\.0\.1:5004/, /additionalTrustedCA/],
];

describe("triage of the corpus causes, against the node's own registries.conf", () => {
  for (const [name, cause, headline, fix] of EXPECTED) {
    for (const gen of ['grpc-prefix', 'cri-client']) {
      it(`${name} (${gen})`, () => {
        const s = scenario(name);
        const conf = parseRegistriesConf(s.registriesConf, [], '/etc/containers/registries.conf');
        const plan = explain({ reference: s.image, conf });
        const v = triageImage({
          image: s.image,
          node: NODE,
          nodePlan: plan,
          policyPlan: plan,
          texts: [text(name, `${gen}.event-failed.txt`), text(name, `${gen}.waiting-errimagepull.txt`)],
        });
        expect(v.cause).toBe(cause);
        expect(v.headline).toMatch(headline);
        expect(v.fix.join('\n')).toMatch(fix);
        expect(v.evidence.tool).toBe('kubelet');
        // the node's events tried exactly what its own registries.conf predicts
        expect(v.evidence.verdict.code).toBe(name === 'rejected-by-policy' ? 'rejected-by-policy' : 'all-failed');
      });
    }
  }

  it('a mirror the policies add but the node lacks: the change is still rolling out', () => {
    const s = scenario('registry-down');
    const nodeConf = parseRegistriesConf(s.registriesConf, [], '/etc/containers/registries.conf');
    const withMirror = parseRegistriesConf(
      `${s.registriesConf}\n[[registry]]\n  prefix = ""\n  location = "127.0.0.1:5009/repo"\n\n  ` +
        `[[registry.mirror]]\n    location = "mirror.corp:5000/repo"\n    pull-from-mirror = "digest-only"\n`,
      [],
      'policies',
    );
    const v = triageImage({
      image: s.image,
      texts: [text('registry-down', 'cri-client.event-failed.txt')],
      node: {
        node: 'worker-1',
        pool: 'worker',
        mco: { current: 'rendered-worker-1', desired: 'rendered-worker-2', state: 'Working' },
      },
      nodePlan: explain({ reference: s.image, conf: nodeConf }),
      policyPlan: explain({ reference: s.image, conf: withMirror }),
    });
    expect(v.cause).toBe('rollout-pending');
    expect(v.headline).toMatch(/policies add mirror\.corp:5000/);
    expect(v.facts.join('\n')).toMatch(/is updating: currentConfig rendered-worker-1, desiredConfig rendered-worker-2/);
  });

  it('only "Back-off pulling image" (an old kubelet, the Failed event expired): says so', () => {
    const s = scenario('not-mirrored');
    const v = triageImage({
      image: s.image,
      texts: [text('not-mirrored', 'grpc-prefix.waiting-backoff.txt')],
      node: NODE,
      nodePlan: null,
      policyPlan: null,
    });
    expect(v.cause).toBe('no-error-text');
    expect(v.fix.join('\n')).toMatch(/live check/);
  });
});

describe('a pod: each container and init container that cannot pull', () => {
  const s = scenario('x509');
  const short = scenario('short-name-ambiguous');
  const pod: PodShape = {
    metadata: { name: 'web-1', namespace: 'shop' },
    spec: {
      nodeName: 'worker-1',
      containers: [
        { name: 'web', image: s.image },
        { name: 'ok', image: 'quay.io/a/b:1' },
      ],
      initContainers: [{ name: 'init', image: short.image }],
    },
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'init',
          state: {
            waiting: {
              reason: 'ErrImagePull',
              message: text('short-name-ambiguous', 'cri-client.waiting-errimagepull.txt'),
            },
          },
        },
      ],
      containerStatuses: [
        {
          name: 'web',
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${s.image}"` } },
        },
        { name: 'ok', state: { waiting: { reason: 'PodInitializing' } } },
      ],
    },
  };
  const events: EventShape[] = [
    {
      reason: 'Failed',
      message: text('x509', 'grpc-prefix.event-failed.txt').trimEnd(),
      involvedObject: { fieldPath: 'spec.containers{web}' },
    },
    { reason: 'Failed', message: 'Error: ErrImagePull', involvedObject: { fieldPath: 'spec.containers{web}' } },
    {
      reason: 'BackOff',
      message: `Back-off pulling image "${s.image}"`,
      involvedObject: { fieldPath: 'spec.containers{web}' },
    },
    {
      reason: 'Failed',
      message: 'Failed to pull image "quay.io/other:1": unrelated',
      involvedObject: { fieldPath: 'spec.containers{other}' },
    },
  ];

  it('finds the stuck ones and says why for each', () => {
    expect(stuckContainers(pod).map((c) => [c.container, c.init, c.reason])).toEqual([
      ['init', true, 'ErrImagePull'],
      ['web', false, 'ImagePullBackOff'],
    ]);
    const conf = parseRegistriesConf(s.registriesConf, [], '/etc/containers/registries.conf');
    const t = triagePod(pod, events, NODE, (image) => {
      const p = explain({ reference: image, conf });
      return { nodePlan: p, policyPlan: p };
    });
    expect(t.containers.map((c) => [c.container, c.verdict.cause])).toEqual([
      ['init', 'short-name-ambiguous'],
      ['web', 'mirror-tls'],
    ]);
    const out = formatPodTriage(t);
    expect(out).toMatch(/^pod shop\/web-1 on worker-1 \(pool worker\): 2 container\(s\) cannot pull/);
    expect(out).toMatch(/init container init \(ErrImagePull\)/);
  });
});
