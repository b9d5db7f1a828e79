// The triage channel's event source on the real API server, as the bot: the initial list of pull-failure events
// is read in pages of LIST_PAGE_SIZE (continue tokens, one consistent snapshot) and waits for room in the
// listener between pages, so a large cluster's events neither arrive in one huge response nor overflow the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { LIST_PAGE_SIZE, PullEventWatch } from '../../src/cluster/pull-event-watch.ts';
import type { KubeletPullEvent } from '../../src/ports/pull-events.ts';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { createNamespace, eventually, uniqueName } from './kube.ts';
import { ExpiringProxy } from './rollout-proxy.ts';

const ns = uniqueName('pull-events');
const COUNT = LIST_PAGE_SIZE * 2 + 200;

beforeAll(async () => {
  const admin = adminConfig();
  await createNamespace(admin, ns);
  const core = admin.makeApiClient(CoreV1Api);
  for (let i = 0; i < COUNT; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, COUNT - i) }, (_, k) =>
        core.createNamespacedEvent({
          namespace: ns,
          body: {
            metadata: { name: `web-${i + k}.ev` },
            involvedObject: { kind: 'Pod', namespace: ns, name: `web-${i + k}`, fieldPath: 'spec.containers{web}' },
            reason: 'Failed',
            type: 'Warning',
            message:
              `Failed to pull image "quay.io/shop/web:${i + k}": ` +
              `reading manifest ${i + k} in quay.io/shop/web: manifest unknown`,
            source: { component: 'kubelet', host: 'worker-1' },
          },
        }),
      ),
    );
}, 120_000);

afterAll(async () => {
  await adminConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: ns })
    .catch(() => undefined);
});

describe('the pull-failure event source on a cluster with many events', () => {
  it('lists in pages and waits for room between them; every event arrives once the listener has room', async () => {
    const info = clusterInfo();
    const proxy = new ExpiringProxy(info.apiServerURL, info.caFile);
    await proxy.start();
    let open: () => void = () => undefined;
    let gate = new Promise<void>((r) => (open = r));
    let roomCalls = 0;
    const watch = new PullEventWatch(proxy.kubeConfig(info.botToken), {
      room: () => {
        roomCalls++;
        return gate;
      },
    });
    const seen = new Set<string>();
    const listener = (e: KubeletPullEvent): void => {
      if (e.namespace === ns) seen.add(e.pod);
    };
    try {
      const started = watch.start(listener);
      // the first page of Failed events is in; the second waits for room
      await eventually(async () => (roomCalls > 0 ? true : undefined), 20_000, 'a wait for room');
      expect(seen.size).toBeLessThanOrEqual(LIST_PAGE_SIZE);
      open();
      gate = Promise.resolve();
      await started;
      expect(seen.size).toBe(COUNT);
      const failedLists = proxy.requests.filter(
        (r) => r.path.includes('reason%3DFailed') && !/[?&]watch=true/.test(r.path),
      );
      expect(failedLists.length).toBeGreaterThanOrEqual(Math.ceil(COUNT / LIST_PAGE_SIZE));
      expect(failedLists.every((r) => r.path.includes(`limit=${LIST_PAGE_SIZE}`))).toBe(true);
      expect(failedLists.filter((r) => r.path.includes('continue=')).length).toBeGreaterThanOrEqual(2);
      // and the watch from the list's resourceVersion sees a new event
      await adminConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedEvent({
          namespace: ns,
          body: {
            metadata: { name: 'late.ev' },
            involvedObject: { kind: 'Pod', namespace: ns, name: 'late', fieldPath: 'spec.containers{web}' },
            reason: 'Failed',
            type: 'Warning',
            message: 'Failed to pull image "quay.io/shop/late:1": manifest unknown',
            source: { component: 'kubelet', host: 'worker-1' },
          },
        });
      await eventually(async () => (seen.has('late') ? true : undefined), 10_000, 'the watched event');
    } finally {
      watch.stop();
      await proxy.stop();
    }
  }, 60_000);
});
