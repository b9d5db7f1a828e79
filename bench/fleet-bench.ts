// `npm run bench` (own process): `cluster=all` over 2 and 20 clusters. One real test control plane stands behind
// every cluster name, each through its own TCP relay on 127.0.0.1 that delays every chunk from the API server by
// LATENCY_MS (a far-away cluster); one cluster's relay is SLOW_MS instead. The fleet answers `status cluster=all`
// (pool status: real API calls per cluster) and `why cluster=all` (plans from each cluster's watches). The wall
// time must follow the slowest cluster, not the sum: printed with the sum of the clusters' own times.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createClusterLiveChecker } from '../src/cluster/live-checker.ts';
import { readPoolStatus } from '../src/cluster/pool-status.ts';
import { createFleet } from '../src/composition/fleet.ts';
import setup from '../test/cluster/global-setup.ts';
import type { ClusterInfo } from '../test/cluster/cluster-info.ts';
import { adminKubeConfig, tokenKubeConfig } from '../test/cluster/kube.ts';

const SIZES = [2, 20];
const LATENCY_MS = 20;
const SLOW_MS = 150;
const ROUNDS = 5;
const IMAGE = `quay.io/bench-fleet/app@sha256:${'b'.repeat(64)}`;

/** A TCP relay to the API server that holds every chunk coming back for `delayMs`. */
async function relay(targetPort: number, delayMs: number): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => setTimeout(() => client.write(d), delayMs));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', () => setTimeout(end, delayMs + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<number> {
  let info: ClusterInfo | undefined;
  const teardown = await setup({ provide: (_k: string, v: ClusterInfo) => (info = v) } as never);
  if (info === undefined) throw new Error('the harness provided no cluster info');
  const cp = info;
  const admin = adminKubeConfig(cp);
  const api = admin.makeApiClient(CustomObjectsApi);
  await api.createClusterCustomObject({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'images',
    body: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
  });
  await api.createClusterCustomObject({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'imagedigestmirrorsets',
    body: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'bench-fleet' },
      spec: { imageDigestMirrors: [{ source: 'quay.io/bench-fleet', mirrors: ['mirror.example/bench-fleet'] }] },
    },
  });
  const apiPort = Number(new URL(cp.apiServerURL).port);
  const servers: Server[] = [];
  let ok = true;
  const results: Array<{ size: number; status: number; statusSum: number; why: number }> = [];
  try {
    for (const size of SIZES) {
      const members = [];
      for (let i = 0; i < size; i++) {
        const r = await relay(apiPort, i === 0 ? SLOW_MS : LATENCY_MS);
        servers.push(r.server);
        const kc = tokenKubeConfig(cp, cp.botToken, 'icsp-bot');
        kc.clusters[0] = { ...kc.clusters[0]!, server: `https://127.0.0.1:${r.port}` };
        members.push({ name: `c${i}`, kubeConfig: kc });
      }
      const fleet = createFleet(members, {
        connect: (kc) =>
          createClusterLiveChecker(kc, { debugImage: 'registry.example.com/tools:latest', sweepOnStart: false }),
        poolStatus: async (kc) => (await readPoolStatus(kc)).lines,
        policyLines: () => [],
        connectTimeoutMs: 120_000,
      });
      const names = fleet.names();
      await Promise.all(names.map((n) => fleet.get(n)));
      const statusWalls: number[] = [];
      const statusSums: number[] = [];
      const whyWalls: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const own: number[] = [];
        let s = performance.now();
        await Promise.all(
          names.map(async (n) => {
            const t = performance.now();
            const h = await fleet.get(n);
            await h.poolStatus!();
            own.push(performance.now() - t);
          }),
        );
        statusWalls.push(performance.now() - s);
        statusSums.push(own.reduce((a, b) => a + b, 0));
        s = performance.now();
        const plans = await Promise.all(names.map(async (n) => (await fleet.get(n)).policySource.explain(IMAGE)));
        whyWalls.push(performance.now() - s);
        if (plans.some((p) => p.verdict.code !== 'mirror-first'))
          throw new Error(`unexpected verdicts: ${plans.map((p) => p.verdict.code).join(', ')}`);
      }
      await fleet.shutdown();
      results.push({ size, status: median(statusWalls), statusSum: median(statusSums), why: median(whyWalls) });
    }
    for (const r of results) {
      console.log(
        `  ${String(r.size).padStart(2)} clusters (one at +${SLOW_MS} ms, the ` +
          `rest +${LATENCY_MS} ms per chunk), median of ${ROUNDS}: ` +
          (`status cluster=all ${r.status.toFixed(0)} ms (sum of the clusters' own ` +
            `times ${r.statusSum.toFixed(0)} ms), why cluster=all ${r.why.toFixed(1)} ms`),
      );
    }
    const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
    const wallRatio = large.status / small.status;
    const sumRatio = large.statusSum / small.statusSum;
    console.log(
      `  ratio ${large.size}/${small.size} clusters: status wall ${wallRatio.toFixed(2)}x, sum of ` +
        `own times ${sumRatio.toFixed(2)}x (wall follows the slowest cluster, not the sum)`,
    );
    if (wallRatio > 3) {
      console.log(
        `  FAIL: status cluster=all grew ${wallRatio.toFixed(2)}x ` +
          `from ${small.size} to ${large.size} clusters (limit 3x)`,
      );
      ok = false;
    }
  } finally {
    for (const s of servers) s.close();
    await teardown();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
