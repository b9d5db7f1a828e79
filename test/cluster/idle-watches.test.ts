// Every watch the bot makes stays open while nothing happens: the policy informers (LivePolicies' five kinds,
// the rollout's MachineConfigPools and Nodes), the triage event watches and the watch that follows a debug pod
// make one watch request each over a window longer than client-node's 30 s default inactivity timeout, which cut
// and restarted each of them about twice a minute. Counted twice: by a counting proxy between the bot and the API
// server (what the cluster sees) and by the watch factory's own counter. One window, all watches at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { DebugPods } from '../../src/cluster/debug-pods.ts';
import { LivePolicies, POLICY_RESOURCES } from '../../src/cluster/live-policies.ts';
import { PULL_EVENT_REASONS, PullEventWatch } from '../../src/cluster/pull-event-watch.ts';
import { resourcePath, WatchedCollection } from '../../src/cluster/watched-collection.ts';
import type { ResourceSpec } from '../../src/cluster/watched-collection.ts';
import { parsePullReference } from '../../src/domain/reference.ts';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { checkedImage, debugNamespace, toolsImage } from './debug-pod.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { ExpiringProxy } from './rollout-proxy.ts';

/** Longer than client-node's 30 s default, with room for a late timer on a loaded machine. */
const WINDOW_MS = 36_000;
const NODE = 'idle-watch-0';
const ROLLOUT_RESOURCES: ResourceSpec[] = [
  { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigpools' },
  { group: '', version: 'v1', plural: 'nodes' },
];

let proxy: ExpiringProxy;
let kubelet: FakeKubelet;

beforeAll(async () => {
  const info = clusterInfo();
  proxy = new ExpiringProxy(info.apiServerURL, info.caFile);
  await proxy.start();
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: [NODE],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    // the check runs the whole window, Running and silent: no status change reaches the pod's watch
    behaviour: () => ({ logs: 'checked\n', exitCode: 0, durationMs: WINDOW_MS + 2_000 }),
  });
});

afterAll(async () => {
  await kubelet?.stop();
  await proxy?.stop();
});

/** The watch requests the proxy saw, by path (and field selector). */
function watchRequests(): Array<{ key: string; at: number }> {
  return proxy.requests
    .filter((r) => r.method === 'GET' && /[?&]watch=true/.test(r.path))
    .map((r) => {
      const u = new URL(r.path, 'http://proxy');
      const field = u.searchParams.get('fieldSelector');
      return { key: `${u.pathname}${field !== null ? ` ${field}` : ''}`, at: r.at };
    });
}

describe('idle watches', () => {
  it(`make one watch request each in ${WINDOW_MS / 1000} s: policies, rollout, triage events, debug pod`, async () => {
    const kc = proxy.kubeConfig(clusterInfo().botToken);
    const policies = new LivePolicies(kc, { resyncMs: 0 });
    const rollout = ROLLOUT_RESOURCES.map((spec) => new WatchedCollection(kc, spec, { resyncMs: 0 }));
    const events = new PullEventWatch(kc);
    const pods = new DebugPods(kc, { deadlineSeconds: 120 });
    try {
      await policies.start();
      for (const c of rollout) await c.start();
      await events.start(() => undefined);
      const run = pods.run({ node: NODE, image: toolsImage, reference: parsePullReference(checkedImage) });
      const t0 = Date.now();
      const [result] = await Promise.all([run, new Promise((r) => setTimeout(r, WINDOW_MS))]);

      expect(result.ok, result.ok ? '' : result.error).toBe(true);
      const seen = watchRequests();
      const count = (key: string): number => seen.filter((w) => w.key === key).length;
      const expected = [
        ...Object.values(POLICY_RESOURCES).map(resourcePath),
        ...ROLLOUT_RESOURCES.map(resourcePath),
        ...PULL_EVENT_REASONS.map((r) => `/api/v1/events involvedObject.kind=Pod,reason=${r}`),
        `/api/v1/namespaces/${debugNamespace}/pods metadata.name=${result.pod}`,
      ];
      expect(Object.fromEntries(expected.map((k) => [k, count(k)]))).toEqual(
        Object.fromEntries(expected.map((k) => [k, 1])),
      );
      expect(seen).toHaveLength(expected.length);
      // each stream was open (and silent but for its first events) for longer than the old 30 s
      const lastOpened = Math.max(...seen.map((w) => w.at));
      expect(Date.now() - lastOpened).toBeGreaterThan(32_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(WINDOW_MS);
      // the factory's own count agrees
      expect(pods.watcher.requests).toBe(1);
      expect(rollout.map((c) => c.watch.requests)).toEqual([1, 1]);
      expect(policies.restarts).toBe(0);
      // and the debug pod is gone, as on every path
      const left = await adminConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: debugNamespace });
      expect(left.items.map((p) => p.metadata?.name)).not.toContain(result.pod);
    } finally {
      events.stop();
      policies.stop();
      for (const c of rollout) c.stop();
      await pods.shutdown();
    }
  }, 90_000);
});
