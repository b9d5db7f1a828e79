// `npm run bench` (own process), or `node bench/rollout-bench.ts`: the rollout notifier on a real kube-apiserver
// (the cluster tests' control plane, test/controlplane), the bench playing the MCO. Reports
//  1. the delay from the last pool status change to the completion reply reaching the (local recording) Slack
//     server, over several rollouts (watch-driven: must stay under 5 s);
//  2. API requests per minute while idle (a notifier with a leader Lease, counted by a pass-through proxy).
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createRolloutNotifier } from '../src/composition/rollout-notifier.ts';
import { SlackChatSink } from '../src/slack/chat-sink.ts';
import { startControlPlane } from '../test/cluster/control-plane.ts';
import { adminKubeConfig, createNamespace, installCrds } from '../test/cluster/kube.ts';
import { FakeMco, IDMS, IMAGES } from '../test/cluster/rollout-mco.ts';
import { ExpiringProxy } from '../test/cluster/rollout-proxy.ts';
import { RecordingServer } from '../test/slack/helpers/recording-server.ts';

const ROLLOUTS = 5;
const LIMIT_MS = 5000;
const IDLE_MS = Number(process.env.ROLLOUT_BENCH_IDLE_SECONDS ?? 30) * 1000;
const repoRoot = resolve(import.meta.dirname, '..');

async function until<T>(f: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ minRequestTimeoutSeconds: 1800 });
  const rec = new RecordingServer();
  await rec.start();
  const proxy = new ExpiringProxy(cp.info.apiServerURL, cp.info.caFile);
  await proxy.start();
  let ok = true;
  try {
    const admin = adminKubeConfig(cp.info);
    const crdFiles = execFileSync('bash', [join(repoRoot, 'test/controlplane/crds.sh')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    await installCrds(admin, crdFiles);
    await createNamespace(admin, 'icsp-bot');
    const custom = admin.makeApiClient(CustomObjectsApi);
    await custom.createClusterCustomObject({
      ...IMAGES,
      body: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
    });
    const mco = new FakeMco(admin, 'bench');
    await mco.createPool('worker', 3);
    await mco.createPool('master', 3);

    const chat = new SlackChatSink({ token: 'xoxb-bench', apiUrl: rec.apiUrl });
    // The bench's admin client certificate goes straight to the API server; the idle count goes through the proxy.
    const notifier = createRolloutNotifier(admin, chat, {
      channel: 'CBENCH',
      cluster: 'bench',
      coalesceMs: 300,
      renderTimeoutMs: 600_000,
      updateIntervalMs: 10_000,
      namespace: 'icsp-bot',
      stateConfigMap: 'bench-rollouts',
      lease: null,
      poolSelector: mco.selector,
    });
    await notifier.start();
    const delays: number[] = [];
    for (let i = 0; i < ROLLOUTS; i++) {
      const before = rec.calls.length;
      const done = (): boolean =>
        rec.calls
          .slice(before)
          .some(
            (c) =>
              c.method === 'chat.postMessage' &&
              c.params.thread_ts !== undefined &&
              String(c.params.text).includes('Done'),
          );
      const name = `bench-${i}`;
      await custom.createClusterCustomObject({
        ...IDMS,
        body: {
          apiVersion: 'config.openshift.io/v1',
          kind: 'ImageDigestMirrorSet',
          metadata: { name },
          spec: {
            imageDigestMirrors: [{ source: `quay.io/bench/app${i}`, mirrors: [`mirror.example.com/bench/app${i}`] }],
          },
        },
      });
      await until(
        () =>
          rec.calls.slice(before).some((c) => c.method === 'chat.postMessage' && c.params.thread_ts === undefined)
            ? true
            : undefined,
        10_000,
        'notice',
      );
      for (const pool of ['master', 'worker']) {
        const from = (await mco.getPool(pool)).status?.configuration?.name ?? '';
        const to = await mco.rerender(pool);
        if (pool === 'worker') {
          // The last status change of the rollout: time it to the reply.
          await mco.setStatus(pool, { updated: 0, ready: 2, unavailable: 1 });
          for (let n = 0; n < 3; n++) {
            await mco.setNode(`${pool}-${n}`, to, to, 'Done');
            if (n < 2) await mco.setStatus(pool, { updated: n + 1, ready: 2, unavailable: 1 });
          }
          const t0 = performance.timeOrigin + performance.now();
          await mco.setStatus(pool, { updated: 3, finished: true });
          await until(() => (done() ? true : undefined), 15_000, 'done reply');
          const at = rec.calls
            .slice(before)
            .find(
              (c) =>
                c.method === 'chat.postMessage' &&
                c.params.thread_ts !== undefined &&
                String(c.params.text).includes('Done'),
            )!.at;
          delays.push(at - t0);
        } else {
          await mco.rollNodes(pool, 3, from, to);
        }
      }
    }
    await notifier.stop();
    const sorted = [...delays].sort((a, b) => a - b);
    const max = sorted.at(-1)!;
    console.log(
      `  completion reply after the last pool status change: median ` +
        `${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${max.toFixed(0)} ms over ${ROLLOUTS} ` +
        `rollouts (limit ${LIMIT_MS} ms)`,
    );
    if (max >= LIMIT_MS) ok = false;

    // Idle: a leader (Lease renewals) with nothing happening, through the counting proxy. The proxy forwards
    // headers, not client certificates, so this notifier uses a ServiceAccount token.
    const token = await adminToken(admin);
    const idle = createRolloutNotifier(proxy.kubeConfig(token), chat, {
      channel: 'CBENCH',
      cluster: 'bench',
      coalesceMs: 300,
      renderTimeoutMs: 600_000,
      updateIntervalMs: 10_000,
      namespace: 'icsp-bot',
      stateConfigMap: 'bench-rollouts',
      lease: { name: 'bench-notifier', identity: 'bench', durationSeconds: 15 },
      poolSelector: mco.selector,
    });
    await idle.start();
    await new Promise((r) => setTimeout(r, 2000));
    const from = proxy.requests.length;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const n = proxy.requests.length - from;
    const perMin = (n * 60_000) / (Date.now() - t0);
    const kinds = new Map<string, number>();
    for (const r of proxy.requests.slice(from)) {
      const k =
        `${r.method} ${r.path.split('?')[0]!.split('/').slice(-1).join('/')}` +
        `${/[?&]watch=true/.test(r.path) ? ' (watch)' : ''}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    console.log(
      `  idle API requests: ${n} in ${(IDLE_MS / 1000).toFixed(0)} s ` +
        `= ${perMin.toFixed(1)}/min (` +
        `${[...kinds].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}); plus one ` +
        `relist per watched kind every 5 min (7 kinds: 1.4/min)`,
    );
    await idle.stop();
  } finally {
    await proxy.stop();
    await rec.stop();
    await cp.stop();
  }
  process.exitCode = ok ? 0 : 1;
}

/** A bearer token with cluster-admin rights (the proxy forwards headers, not client certificates). */
async function adminToken(admin: ReturnType<typeof adminKubeConfig>): Promise<string> {
  const { CoreV1Api, RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'icsp-bot', body: { metadata: { name: 'bench' } } });
  await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: 'bench-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'bench', namespace: 'icsp-bot' }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'bench',
    namespace: 'icsp-bot',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return tr.status!.token!;
}

await main();
