// `npm run bench` (own process): what the bot adds to a live check beyond the debug pod's own run time, on the
// real test control plane (kube-apiserver + etcd, started here with the cluster tests' harness: OpenShift CRDs,
// manifests/, the bot's token) with a fake kubelet whose container runs exactly CHECK_MS. Reports, at 1 node
// and at 4 nodes in parallel: wall time, overhead (wall - CHECK_MS) with its parts (create call, wait beyond the
// run, log read, delete), and for 4 nodes that the wall time is about the slowest node's, not the sum.
import { CoreV1Api } from '@kubernetes/client-node';
import { ClusterLiveChecker } from '../src/cluster/live-checker.ts';
import type { PodTimings } from '../src/cluster/debug-pods.ts';
import { MARK } from '../src/domain/debug-pod.ts';
import setup from '../test/cluster/global-setup.ts';
import type { ClusterInfo } from '../test/cluster/cluster-info.ts';
import { FakeKubelet } from '../test/cluster/fake-kubelet.ts';
import { adminKubeConfig, tokenKubeConfig } from '../test/cluster/kube.ts';

const CHECK_MS = 1000;
const ROUNDS = 5;
const SIZES = [1, 4];
const IMAGE = `quay.io/example/app@sha256:${'c'.repeat(64)}`;
/** The bot's own share of a 1-node check must stay under this (create + watch + log + delete on loopback). */
const OVERHEAD_LIMIT_MS = 1000;

const CANNED = [
  `${MARK.confBegin}/etc/containers/registries.conf`,
  'unqualified-search-registries = []',
  MARK.confEnd,
  MARK.pullBegin,
  MARK.pullEnd,
  `${MARK.summary}{"pullExit":125,"presentBefore":false,"removed":false}`,
  '',
].join('\n');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function main(): Promise<number> {
  let info: ClusterInfo | undefined;
  const t0 = Date.now();
  const teardown = await setup({ provide: (_k: string, v: ClusterInfo) => (info = v) } as never);
  if (info === undefined) throw new Error('the harness provided no cluster info');
  console.log(`  control plane ${info.version} up and prepared in ${Date.now() - t0} ms`);
  const admin = adminKubeConfig(info);
  const nodes = Array.from({ length: Math.max(...SIZES) }, (_, i) => `bench-${i}`);
  const kubelet = await FakeKubelet.start(admin, {
    nodes,
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    startDelayMs: 0,
    behaviour: () => ({ logs: CANNED, exitCode: 0, durationMs: CHECK_MS }),
  });
  const timings: PodTimings[] = [];
  const checker = new ClusterLiveChecker(tokenKubeConfig(info, info.botToken, 'icsp-bot'), {
    debugImage: 'registry.example.com/tools:latest',
    onTimings: (_n, t) => timings.push(t),
  });
  await checker.start();
  let ok = true;
  try {
    // warm-up: connections, watch caches, the first pod of the namespace
    await checker.check({ image: IMAGE, selection: { node: nodes[0]! }, requestedBy: 'bench' });
    for (const size of SIZES) {
      const walls: number[] = [];
      const sums: number[] = [];
      const slowest: number[] = [];
      timings.length = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const s = Date.now();
        const res = await checker.check({
          image: IMAGE,
          selection: size === 1 ? { node: nodes[0]! } : { nodes: size },
          requestedBy: 'bench',
        });
        walls.push(Date.now() - s);
        if (res.nodes.length !== size || res.nodes.some((n) => n.error !== undefined))
          throw new Error(`bench check failed: ${JSON.stringify(res.nodes.map((n) => n.error))}`);
        sums.push(res.nodes.reduce((a, n) => a + n.durationMs, 0));
        slowest.push(Math.max(...res.nodes.map((n) => n.durationMs)));
      }
      const part = (f: (t: PodTimings) => number): number => median(timings.map(f));
      const wall = median(walls);
      console.log(
        `  ${size} node(s), pod run ${CHECK_MS} ms, median of ${ROUNDS}: ` +
          `wall ${wall} ms, overhead ${wall - CHECK_MS} ms ` +
          (`(create ${part((t) => t.created)} ms, wait beyond the ` +
            `run ${part((t) => (t.finished ?? 0) - t.created - CHECK_MS)} ms, `) +
          (`log ${part((t) => (t.logRead ?? 0) - (t.finished ?? 0))} ms, ` +
            `delete ${part((t) => (t.deleted ?? 0) - (t.logRead ?? 0))} ms)`),
      );
      if (size > 1) {
        console.log(
          `    ${size} in parallel: wall ${wall} ms vs slowest node ${median(slowest)} ms vs sum ` +
            `of nodes ${median(sums)} ms (wall/sum ${(wall / median(sums)).toFixed(2)})`,
        );
        if (wall > median(sums) * 0.6) {
          console.log('    FAIL: parallel checks take close to the sum, not the slowest');
          ok = false;
        }
      } else if (wall - CHECK_MS > OVERHEAD_LIMIT_MS) {
        console.log(`    FAIL: overhead over ${OVERHEAD_LIMIT_MS} ms`);
        ok = false;
      }
    }
    const left = await admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'icsp-bot-debug' });
    console.log(`  debug pods left: ${left.items.length}`);
    if (left.items.length > 0) ok = false;
  } finally {
    await checker.shutdown();
    await kubelet.stop();
    await teardown();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`live-check bench: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
