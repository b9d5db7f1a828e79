// `npm run bench` (own process), or `node --expose-gc bench/triage-bench.ts`: the triage channel.
//  1. memory of the triage notifier fed 1,000 vs 50,000 pull-failure events over 10,000 pods (in process, fake
//     cluster and Slack ports: the notifier keeps groups, never events), limit 100 MB;
//  2. on the test control plane (test/controlplane) with the fake kubelet: the delay from a failing pod's Failed
//     event reaching the API server to the message reaching the (local recording) Slack server, limit 5 s;
//  The scale on the control plane (10,000 pods, 1,000 vs 50,000 events: memory of the bot process and its
//  real HTTP requests per idle minute) is bench/triage-scale-bench.ts.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { TriageNotifier } from '../src/app/triage-notifier.ts';
import { createTriageChannel } from '../src/composition/triage-notifier.ts';
import { explain } from '../src/domain/explain.ts';
import { parseRegistriesConf } from '../src/domain/registries-conf.ts';
import { emptyTriageState } from '../src/domain/triage/triage-groups.ts';
import type { PullFailure, TriageState } from '../src/domain/triage/triage-groups.ts';
import type { ChatSink } from '../src/ports/chat-sink.ts';
import type { KubeletPullEvent } from '../src/ports/pull-events.ts';
import { SlackChatSink } from '../src/slack/chat-sink.ts';
import { startControlPlane } from '../test/cluster/control-plane.ts';
import { FakeKubelet } from '../test/cluster/fake-kubelet.ts';
import { adminKubeConfig, createNamespace } from '../test/cluster/kube.ts';
import { RecordingServer } from '../test/slack/helpers/recording-server.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const CORPUS = join(repoRoot, 'test/fixtures/kubelet-events');
let ok = true;

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

async function memoryRun(
  events: number,
  pods: number,
): Promise<{ heap: number; rss: number; ms: number; posts: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage();
  let listener: ((e: KubeletPullEvent) => void) | null = null;
  let posts = 0;
  const chat: ChatSink = {
    post: async (channel) => ({ channel, ts: `${++posts}.000000` }),
    update: async () => undefined,
    reply: async (channel, ts) => ({ channel, ts }),
  };
  let state: TriageState = emptyTriageState();
  const n = new TriageNotifier(
    {
      events: { start: async (l) => void (listener = l), stop: () => undefined, requests: 0 },
      classifier: {
        async classify(e): Promise<PullFailure | null> {
          const img = /"([^"]+)"/.exec(e.message)?.[1] ?? '';
          return {
            namespace: e.namespace,
            pod: e.pod,
            container: e.container,
            node: e.node,
            image: img,
            cause: img.endsWith('0') ? 'mirror-tls' : 'not-mirrored',
            headline: `the node tried mirror m: manifest unknown (${img})`,
            fix: ['mirror it with oc-mirror'],
            rolloutLink: null,
          };
        },
      },
      probe: { state: async () => 'failing' },
      chat,
      store: { load: async () => structuredClone(state), save: async (s) => void (state = s) },
      clock: { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => undefined },
    },
    {
      channel: 'C',
      cluster: 'bench',
      includeNamespaces: [],
      excludeNamespaces: [],
      maxPostsPerHour: 10,
      updateIntervalMs: 10_000,
      tickMs: 500,
      resolveIntervalMs: 3_600_000,
    },
  );
  await n.start();
  const t0 = performance.now();
  let peakRss = 0;
  for (let i = 0; i < events; i++) {
    const p = i % pods;
    listener!({
      namespace: `ns-${p % 40}`,
      pod: `pod-${p}`,
      uid: null,
      container: 'app',
      node: `worker-${p % 25}`,
      reason: 'Failed',
      message:
        `Failed to pull image "quay.io/bench/app${p % 50}@sha256:${'0'.repeat(64)}": initializing source ` +
        `docker://quay.io/bench/app${p % 50}: (Mirrors also failed: [mirror.corp/bench/app${p % 50}: ` +
        `manifest unknown]): quay.io/bench/app${p % 50}: dial tcp: lookup quay.io: no such host`,
    });
    if (i % 1000 === 999) {
      await n.pass();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  await n.pass();
  const ms = performance.now() - t0;
  gc?.();
  const after = process.memoryUsage();
  n.stop();
  return { heap: after.heapUsed - base.heapUsed, rss: Math.max(peakRss, after.rss) - base.rss, ms, posts };
}

async function clusterRun(): Promise<void> {
  const cp = await startControlPlane({ minRequestTimeoutSeconds: 1800 });
  const rec = new RecordingServer();
  await rec.start();
  try {
    const admin = adminKubeConfig(cp.info);
    await createNamespace(admin, 'icsp-bot');
    await createNamespace(admin, 'bench', { 'pod-security.kubernetes.io/enforce': 'privileged' });
    const kubelet = await FakeKubelet.start(admin, {
      nodes: ['bench-0'],
      certFile: cp.info.kubeletCertFile,
      keyFile: cp.info.kubeletKeyFile,
      backOffDelayMs: 200,
    });
    const chat = new SlackChatSink({ token: 'xoxb-bench', apiUrl: rec.apiUrl });
    const empty = parseRegistriesConf('', [], 'policies');
    const channel = createTriageChannel(
      admin,
      chat,
      {
        channel: 'CBENCH',
        cluster: 'bench',
        includeNamespaces: [],
        excludeNamespaces: [],
        maxPostsPerHour: 100,
        updateIntervalMs: 10_000,
        tickMs: 200,
        resolveIntervalMs: 30_000,
        namespace: 'icsp-bot',
        stateConfigMap: 'bench-triage',
        lease: null,
        rolloutChannel: null,
      },
      async (image) => explain({ reference: image, conf: empty }),
    );
    await channel.start();
    const scenarios = ['x509', 'not-mirrored', 'registry-down', 'unauthorized', 'short-name-ambiguous'];
    const delays: number[] = [];
    const core = admin.makeApiClient(CoreV1Api);
    for (const [i, s] of scenarios.entries()) {
      const sc = JSON.parse(readFileSync(join(CORPUS, s, 'scenario.json'), 'utf8')) as { image: string };
      const failed = readFileSync(join(CORPUS, s, 'cri-client.event-failed.txt'), 'utf8').trimEnd();
      const before = rec.calls.length;
      let t0 = 0;
      kubelet.behave('bench', `p${i}`, () => {
        t0 = Date.now();
        return { imagePullError: failed, pullEvent: failed };
      });
      await core.createNamespacedPod({
        namespace: 'bench',
        body: {
          metadata: { name: `p${i}` },
          spec: { nodeName: 'bench-0', containers: [{ name: 'c', image: sc.image }] },
        },
      });
      const end = Date.now() + 15_000;
      while (
        !rec.calls.slice(before).some((c) => c.method === 'chat.postMessage' && c.params.thread_ts === undefined)
      ) {
        if (Date.now() > end) throw new Error(`no triage message for ${s}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const at = rec.calls.slice(before).find((c) => c.method === 'chat.postMessage')!.at;
      delays.push(at - t0);
    }
    const sorted = [...delays].sort((a, b) => a - b);
    console.log(
      `  event -> Slack message: median ${sorted[2]!.toFixed(0)} ms, ` +
        `max ${sorted.at(-1)!.toFixed(0)} ms over ${delays.length} causes (limit 5000 ms)`,
    );
    if (sorted.at(-1)! >= 5000) ok = false;

    await channel.stop();
    await kubelet.stop();
  } finally {
    await rec.stop();
    await cp.stop();
  }
}

const small = await memoryRun(1_000, 1_000);
const large = await memoryRun(50_000, 10_000);
console.log(
  `  notifier memory: ${mb(small.heap)} MB heap / +${mb(small.rss)} MB RSS after 1,000 ` +
    `events; ${mb(large.heap)} MB heap / +${mb(large.rss)} MB RSS after 50,000 events over 10,000 pods ` +
    `(${(50_000 / (large.ms / 1000)).toFixed(0)} events/s); heap ratio ` +
    `${(large.heap / Math.max(small.heap, 1)).toFixed(2)} (limit 100 MB)`,
);
if (large.rss > 100 * 1024 * 1024 || large.heap > 100 * 1024 * 1024) ok = false;
if (process.env.TRIAGE_BENCH_NO_CLUSTER !== '1') await clusterRun();
process.exitCode = ok ? 0 : 1;
