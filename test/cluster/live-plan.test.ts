// The live check uses the request's plan, on the real API server as the bot: a plan taken from one policy
// generation stays that plan (and the nodes are judged against that generation's render) even when the IDMS
// changes before the check runs; a check without a plan uses the current generation. Generations are built in
// the worker thread, as in the bot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ClusterLiveChecker } from '../../src/cluster/live-checker.ts';
import { LivePolicies } from '../../src/cluster/live-policies.ts';
import { MARK } from '../../src/domain/debug-pod.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { liveCheckRequest, planWhy } from '../../src/app/why.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { toolsImage } from './debug-pod.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { eventually } from './kube.ts';
import { debugPods } from './live-helpers.ts';

const NODE = 'lp-0';
const REF = `quay.io/plan-test/app@sha256:${'9'.repeat(64)}`;
const IDMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' };
const IMAGES = { group: 'config.openshift.io', version: 'v1', plural: 'images' };
const NAME = 'live-plan-test';
const idms = (mirror: string) => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name: NAME },
  spec: { imageDigestMirrors: [{ source: 'quay.io/plan-test', mirrors: [mirror] }] },
});
const admin = () => adminConfig().makeApiClient(CustomObjectsApi);

/** The node has what the MCO renders from the first IDMS (mirror a.local); the pull itself fails at once. */
function nodeOutput(): string {
  const p: PolicySet = {
    icsps: [],
    itms: [],
    idms: [idms('a.local/plan-test') as PolicySet['idms'][number]],
    image: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
  };
  const r = renderPolicies(p, { requireImageConfig: true });
  return [
    `${MARK.confBegin}/etc/containers/registries.conf`,
    encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries, '4.19'),
    MARK.confEnd,
    MARK.pullBegin,
    'Error: initializing source: no route to host',
    MARK.pullEnd,
    `${MARK.summary}{"pullExit":125,"presentBefore":false,"removed":false}`,
    '',
  ].join('\n');
}

let kubelet: FakeKubelet;
let policies: LivePolicies;
let checker: ClusterLiveChecker;
let createdImage = false;

const mirrorsInGeneration = (): string[] =>
  checker.generations.latest?.policies.idms
    .filter((o) => o.metadata.name === NAME)
    .flatMap((o) => o.spec.imageDigestMirrors?.flatMap((r) => r.mirrors ?? []) ?? []) ?? [];

beforeAll(async () => {
  const info = clusterInfo();
  const logs = nodeOutput();
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: [NODE],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    behaviour: () => ({ logs, exitCode: 0 }),
  });
  try {
    await admin().getClusterCustomObject({ ...IMAGES, name: 'cluster' });
  } catch {
    await admin().createClusterCustomObject({
      ...IMAGES,
      body: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
    });
    createdImage = true;
  }
  await admin()
    .deleteClusterCustomObject({ ...IDMS, name: NAME })
    .catch(() => undefined);
  await admin().createClusterCustomObject({ ...IDMS, body: idms('a.local/plan-test') });
  policies = new LivePolicies(botConfig(), { resyncMs: 0 });
  await policies.start();
  checker = new ClusterLiveChecker(botConfig(), {
    clusterName: 'test-cluster',
    debugImage: toolsImage,
    policies,
    sweepOnStart: false,
    planEngine: 'worker',
  });
  await checker.start();
}, 120_000);

afterAll(async () => {
  await checker?.shutdown();
  policies?.stop();
  await kubelet?.stop();
  await admin()
    .deleteClusterCustomObject({ ...IDMS, name: NAME })
    .catch(() => undefined);
  if (createdImage)
    await admin()
      .deleteClusterCustomObject({ ...IMAGES, name: 'cluster' })
      .catch(() => undefined);
});

describe("the live check and the request's plan", () => {
  it(
    'keeps the plan the request was shown when the IDMS changes before ' +
      'the check; without a plan it uses the new policies',
    async () => {
      await eventually(
        async () => (mirrorsInGeneration().includes('a.local/plan-test') ? true : undefined),
        15_000,
        'the IDMS in a policy generation',
      );
      const held = await planWhy(checker.policySource, REF);
      expect(held.explanation.pullSources[0]?.location).toBe('a.local/plan-test');

      await admin().patchClusterCustomObject(
        { ...IDMS, name: NAME, body: { spec: idms('b.local/plan-test').spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually(
        async () => (mirrorsInGeneration().includes('b.local/plan-test') ? true : undefined),
        15_000,
        'the changed IDMS in a new generation',
      );
      expect(checker.generations.latest!.id).toBeGreaterThan(held.generation);
      expect(checker.generations.alive).toContain(held.generation); // pinned by the request

      const r = await checker.check(liveCheckRequest(held, held.reference!, { node: NODE }, 'test'));
      held.release();
      expect(r.plan).toEqual(held.explanation);
      expect(r.nodes[0]!.error).toBeUndefined();
      // The node has the render of the plan's generation: judged against that one, nothing differs.
      expect(r.nodes[0]!.configDifferences).toEqual([]);
      expect(checker.generations.alive).toEqual([checker.generations.latest!.id]);

      const now = await checker.check({ image: REF, selection: { node: NODE }, requestedBy: 'test' });
      expect(now.plan.pullSources[0]?.location).toBe('b.local/plan-test');
      expect(now.nodes[0]!.configDifferences.map((d) => d.message).join('\n')).toContain('b.local/plan-test');
      expect(await debugPods()).toEqual([]);
    },
  );
});
