// Logs are wired through the one logger port: a watch the API server refuses (a real 403 from RBAC: the identity
// may list nodes but not watch them) and an unreadable rollout state each leave a warning line in the process log.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigMapStateStore } from '../../src/cluster/configmap-state-store.ts';
import { WatchedCollection } from '../../src/cluster/watched-collection.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { apply, createNamespace, eventually, mintToken, tokenKubeConfig, uniqueName } from './kube.ts';

/** A pino logger (the process logger's kind) that writes its JSON lines to memory. */
function memoryLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Array<{ level: number; msg: string } & Record<string, unknown>>;
} {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void raw.push(s) } });
  return {
    logger,
    lines: () => raw.map((l) => JSON.parse(l) as { level: number; msg: string } & Record<string, unknown>),
  };
}

const stops: Array<() => void> = [];
afterAll(() => {
  for (const s of stops) s();
});

describe('logs through the logger port', () => {
  it('a watch the API server refuses is logged (and retried), not swallowed', async () => {
    const admin = adminConfig();
    const ns = uniqueName('logs');
    await createNamespace(admin, ns);
    const role = uniqueName('list-nodes-only');
    await apply(admin, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
      },
    ] as unknown as KubernetesObject[]);
    const kc = tokenKubeConfig(clusterInfo(), await mintToken(admin, ns, 'default'), 'list-only');
    // The list is allowed (RBAC may take a moment to see the binding).
    await eventually(
      async () =>
        (await kc
          .makeApiClient(CoreV1Api)
          .listNode()
          .catch(() => undefined)) !== undefined
          ? true
          : undefined,
      10_000,
      'list allowed',
    );
    const { logger, lines } = memoryLogger();
    const nodes = new WatchedCollection(
      kc,
      { group: '', version: 'v1', plural: 'nodes' },
      { logger, restartDelayMs: 200, resyncMs: 0 },
    );
    stops.push(() => nodes.stop());
    await nodes.start();
    const line = await eventually(
      async () => lines().find((l) => l.msg === 'watch failed; restarting'),
      15_000,
      'the watch error in the log',
    );
    expect(line).toMatchObject({ level: 40, resource: '/api/v1/nodes', restartInMs: 200 });
    expect(String(line['err'])).toMatch(/forbidden|403/i);
    await eventually(async () => (nodes.restarts >= 1 ? true : undefined), 5_000, 'a restart');
  });

  it('an unreadable rollout state is said in the log before the notifier starts from scratch', async () => {
    const admin = adminConfig();
    const ns = uniqueName('state');
    await createNamespace(admin, ns);
    const name = 'icsp-bot-rollouts';
    await admin
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { 'state.json': '{not json' } } });
    const { logger, lines } = memoryLogger();
    const state = await new ConfigMapStateStore(admin, ns, name, logger).load();
    expect(state).toEqual({ version: 1, baseline: null, rollouts: [] });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'rollout state is not readable JSON; starting from an empty state',
        configMap: `${ns}/${name}`,
      }),
    ]);
  });
});
