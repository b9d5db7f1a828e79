// `why pod NS/NAME` against the real API server, as the bot's ServiceAccount: the fake kubelet fails the pulls
// with messages from real podman runs (test/fixtures/kubelet-events) and emits the kubelet's events; the node
// carries the MCO's annotations and its rendered MachineConfig the lab's registries.conf. No debug pod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { whyPod } from '../../src/app/why-pod.ts';
import { ClusterPodFacts } from '../../src/cluster/pod-facts.ts';
import { LiveCheckInputError } from '../../src/cluster/node-selection.ts';
import { explain } from '../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import type { PodTriage } from '../../src/domain/triage/pod-triage.ts';
import type { TriageCause } from '../../src/domain/triage/triage-verdict.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { createNamespace, eventually, uniqueName } from './kube.ts';
import { corpusCase, createRenderedConfig, mcoAnnotations } from './triage-node.ts';
import type { CorpusCase } from './triage-node.ts';

const NODE = 'triage-worker-0';
const RENDERED = `rendered-worker-${'a1b2c3d4e5f60718'.repeat(2)}`;

// the Failed event in the older kubelets' wording (grpc prefix); the waiting message as today's
const corpus = (name: string): CorpusCase => corpusCase(name, 'grpc-prefix');

let kubelet: FakeKubelet;
const ns = uniqueName('shop');
// one registries.conf on the node: the lab's x509 scenario (the other causes' images match no entry of it, so
// their plans are source-only; the x509 one has its untrusted mirror)
const nodeConf = corpus('x509').registriesConf;

beforeAll(async () => {
  const info = clusterInfo();
  const admin = adminConfig();
  await createRenderedConfig(admin, RENDERED, nodeConf).catch(() => undefined);
  kubelet = await FakeKubelet.start(admin, {
    nodes: [NODE],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    backOffDelayMs: 100,
    nodeMetadata: { [NODE]: { annotations: mcoAnnotations(RENDERED) } },
  });
  await createNamespace(admin, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
});
afterAll(async () => {
  await kubelet?.stop();
  // cluster-scoped: other files (rbac) expect none left behind
  await adminConfig()
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({
      group: 'machineconfiguration.openshift.io',
      version: 'v1',
      plural: 'machineconfigs',
      name: RENDERED,
    })
    .catch(() => undefined);
});

async function failingPod(name: string, scenario: string): Promise<void> {
  const c = corpus(scenario);
  kubelet.behave(ns, name, () => ({ imagePullError: c.waiting, pullEvent: c.failed }));
  await adminConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedPod({
      namespace: ns,
      body: { metadata: { name }, spec: { nodeName: NODE, containers: [{ name: 'web', image: c.image }] } },
    });
  // the kubelet has said all it says: the back-off events are there
  await eventually(
    async () => {
      const ev = await adminConfig()
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
      return ev.items.some((e) => e.reason === 'BackOff') ? true : undefined;
    },
    10_000,
    `events of ${name}`,
  );
}

/** The `why pod` use case on what the bot's ServiceAccount reads. */
function triage(namespace: string, name: string): Promise<PodTriage> {
  // the policies' plan: none here (no mirror objects), so the node's own file is the plan
  const empty = parseRegistriesConf('', [], 'policies');
  return whyPod(
    {
      pods: new ClusterPodFacts(botConfig()),
      policies: { cluster: 'test-cluster', explain: async (image) => explain({ reference: image, conf: empty }) },
    },
    { namespace, name },
  );
}

describe('why pod, on the real API server as the bot', () => {
  const cases: [string, TriageCause][] = [
    ['x509', 'mirror-tls'],
    ['registry-down', 'source-unreachable'],
    ['short-name-ambiguous', 'short-name-ambiguous'],
    // a real 429 from the lab's stand-in: a mirror in front of a blocked source, and a source with no mirror
    ['rate-limited-mirror', 'rate-limited'],
    ['rate-limited-source', 'rate-limited'],
  ];
  for (const [scenario, cause] of cases) {
    it(`${scenario}: ${cause}, from the pod's waiting state and the kubelet's events`, async () => {
      const name = uniqueName(scenario);
      await failingPod(name, scenario);
      const t = await triage(ns, name);
      expect(t.node).toBe(NODE);
      expect(t.pool).toBe('worker');
      expect(t.containers.map((c) => [c.container, c.reason, c.verdict.cause])).toEqual([
        ['web', 'ImagePullBackOff', cause],
      ]);
      // the events' text (with every mirror tried) was read, not only the waiting message
      expect(t.containers[0]?.verdict.event.kinds).toEqual(expect.arrayContaining(['pull-failed', 'back-off']));
    }, 30_000);
  }

  it("x509: the node's rendered registries.conf is the plan: the mirror the events name is a planned one", async () => {
    const name = uniqueName('x509-plan');
    await failingPod(name, 'x509');
    const t = await triage(ns, name);
    const ev = t.containers[0]?.verdict.evidence;
    expect(ev?.attempts.map((a) => [a.outcome, a.mirror, a.planned])).toEqual([
      ['tls', true, true],
      ['blocked', false, true],
    ]);
    expect(t.containers[0]?.verdict.fix.join('\n')).toMatch(/additionalTrustedCA/);
  }, 30_000);

  it('a pod that does not exist is a one-line input error', async () => {
    await expect(triage(ns, 'no-such-pod')).rejects.toThrow(LiveCheckInputError);
  });
});
