// `npm run bench` (own process), or `node --expose-gc bench/triage-scale-bench.ts`: the triage channel at the
// issue's scale on the real test control plane (test/controlplane: kube-apiserver + etcd, prepared like a cluster
// the bot is installed on: CRDs, the bot's manifests and RBAC, a token for its ServiceAccount).
//  - 10,000 pods over 50 namespaces and 100 nodes (Node objects with the MCO's annotations and one rendered
//    MachineConfig; no kubelet: each pod's status is patched to ImagePullBackOff with its podman error), then
//    1,000 and 50,000 kubelet pull-failure events on them (Failed "Failed to pull image", InspectFailed,
//    BackOff "Back-off pulling image", Failed "Error: ErrImagePull"/"Error: ImagePullBackOff", the texts from
//    test/fixtures/kubelet-events, every scenario x 20 images) plus 10% unrelated events (Scheduled, Pulling, container
//    back-off, create errors, node events).
//  - At each size a fresh bot process (bench/triage-scale-bot.ts: what src/main.ts wires for ICSP_TRIAGE_CHANNEL,
//    Slack at a local recording server) starts against that cluster through a counting proxy; once the initial
//    list/watch has settled: the triage memory (heap used and RSS after GC, minus the bot's own baseline before
//    the triage channel started; peak RSS during the start too) and the HTTP requests the bot makes to the API
//    server in an idle window (TRIAGE_SCALE_IDLE_SECONDS, default 60), per minute.
//  - Limits: 100 MB (heap, RSS after GC and peak RSS over the baseline) and flat idle requests (50,000 vs 1,000).
//  Sizes and the idle window: TRIAGE_SCALE_PODS, TRIAGE_SCALE_EVENTS (two, comma-separated), TRIAGE_SCALE_IDLE_SECONDS;
//  TRIAGE_SCALE_NODE_FLAGS adds node flags to the bot's process (e.g. --max-semi-space-size=4 or --trace-gc);
//  TRIAGE_SCALE_HEAP_PROFILE=DIR writes each bot's sampling heap profile of its start (objects a full GC
//  collected included: what the peak is made of) to DIR/bot-bench-bot-SIZE.heapprofile (Chrome DevTools).
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join, resolve } from 'node:path';
import type { BotArgs, BotMemory, BotMessage } from './triage-scale-bot.ts';
import { startControlPlane } from '../test/cluster/control-plane.ts';
import { prepareCluster } from '../test/cluster/prepare-cluster.ts';
import { ExpiringProxy } from '../test/cluster/rollout-proxy.ts';
import { mcoAnnotations, renderedConfigObject } from '../test/cluster/triage-node.ts';
import { RecordingServer } from '../test/slack/helpers/recording-server.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const CORPUS = join(repoRoot, 'test/fixtures/kubelet-events');
const IDLE_MS = Number(process.env.TRIAGE_SCALE_IDLE_SECONDS ?? 60) * 1000;
const PODS = Number(process.env.TRIAGE_SCALE_PODS ?? 10_000);
const SIZES = (process.env.TRIAGE_SCALE_EVENTS ?? '1000,50000').split(',').map(Number) as [number, number];
const IN_FLIGHT = 48;
const NAMESPACES = 50;
const NODES = 100;
const APPS = 20;
const LIMIT_BYTES = 100 * 1024 * 1024;
const RENDERED = `rendered-worker-${'5eb1c0ffee5eb1c0'.repeat(2)}`;
const started = performance.now();

interface Scenario {
  name: string;
  image: string;
  registriesConf: string;
  failed: string;
  inspectFailed: string | null;
  waiting: string;
}

const scenarios: Scenario[] = readdirSync(CORPUS)
  .sort()
  .map((name) => {
    const dir = join(CORPUS, name);
    const s = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { image: string; registriesConf: string };
    const text = (f: string): string | null => {
      try {
        return readFileSync(join(dir, f), 'utf8').trimEnd();
      } catch {
        return null;
      }
    };
    return {
      name,
      image: s.image,
      registriesConf: s.registriesConf,
      failed: text('cri-client.event-failed.txt') ?? '',
      inspectFailed: text('cri-client.event-inspectfailed.txt'),
      waiting: text('cri-client.waiting-backoff.txt') ?? '',
    };
  });

const secs = (ms: number): string => (ms / 1000).toFixed(1);
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);

// --- the cluster ------------------------------------------------------------------------------------------------
const cp = await startControlPlane({ minRequestTimeoutSeconds: 1800, logName: 'triage-scale-controlplane.log' });
const rec = new RecordingServer();
const proxy = new ExpiringProxy(cp.info.apiServerURL, cp.info.caFile);
let bot: ChildProcess | undefined;
let ok: boolean | undefined;
try {
  const info = await prepareCluster(cp);
  const cpReadyMs = performance.now() - started;
  await rec.start();
  await proxy.start();
  const api = new URL(info.apiServerURL);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: IN_FLIGHT,
    ca: readFileSync(info.caFile),
    cert: readFileSync(info.adminCertFile),
    key: readFileSync(info.adminKeyFile),
  });

  /** One admin request (raw HTTPS: the client library's model mapping is the slow part at 60,000 objects). */
  const call = (method: string, path: string, body?: unknown, type = 'application/json'): Promise<unknown> =>
    new Promise((ok, fail) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          hostname: api.hostname,
          port: api.port,
          method,
          path,
          headers: { accept: 'application/json', ...(data ? { 'content-type': type } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300)
              fail(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
            else ok(text === '' ? null : JSON.parse(text));
          });
        },
      );
      req.on('error', fail);
      req.end(data);
    });

  /** fn(0..n-1), IN_FLIGHT at a time. */
  async function parallel(from: number, to: number, fn: (i: number) => Promise<unknown>): Promise<void> {
    let next = from;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < to) await fn(next++);
      }),
    );
  }

  const nsName = (i: number): string => `shop-${String(i).padStart(2, '0')}`;
  const nodeName = (i: number): string => `worker-${String(i).padStart(3, '0')}.bench.example`;
  // a real cluster is skewed: a few namespaces and nodes carry most pods
  const podNs = (p: number): string => nsName(p % 5 === 0 ? p % 3 : (p * 7) % NAMESPACES);
  const podNode = (p: number): string => nodeName((p * 13) % NODES);
  const podScenario = (p: number): Scenario => scenarios[p % scenarios.length]!;
  const podApp = (p: number): string => `app-${Math.floor(p / scenarios.length) % APPS}`;
  const podName = (p: number): string => `${podApp(p)}-7d9f8b6c5-${p.toString(36).padStart(5, '0')}`;
  const podImage = (p: number): string => podScenario(p).image.replaceAll('exampleimage', podApp(p));
  const textOf = (p: number, t: string): string => t.replaceAll('exampleimage', podApp(p));
  const uids: string[] = [];

  const tSetup = performance.now();
  await parallel(0, NAMESPACES, async (i) => {
    await call('POST', '/api/v1/namespaces', {
      metadata: { name: nsName(i), labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    });
    await call('POST', `/api/v1/namespaces/${nsName(i)}/serviceaccounts`, { metadata: { name: 'default' } });
  });
  const conf = scenarios.find((s) => s.name === 'x509')!.registriesConf;
  await call('POST', '/apis/machineconfiguration.openshift.io/v1/machineconfigs', renderedConfigObject(RENDERED, conf));
  await parallel(0, NODES, (i) =>
    call('POST', '/api/v1/nodes', {
      metadata: {
        name: nodeName(i),
        labels: { 'node-role.kubernetes.io/worker': '' },
        annotations: mcoAnnotations(RENDERED),
      },
    }),
  );
  await parallel(0, PODS, async (p) => {
    const pod = (await call('POST', `/api/v1/namespaces/${podNs(p)}/pods`, {
      metadata: { name: podName(p), labels: { app: podApp(p) } },
      spec: { nodeName: podNode(p), containers: [{ name: 'app', image: podImage(p) }] },
    })) as { metadata: { uid: string } };
    uids[p] = pod.metadata.uid;
    // what the kubelet would report: waiting on the image, with the runtime's error
    await call(
      'PATCH',
      `/api/v1/namespaces/${podNs(p)}/pods/${podName(p)}/status`,
      {
        status: {
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'app',
              image: podImage(p),
              imageID: '',
              ready: false,
              restartCount: 0,
              started: false,
              state: { waiting: { reason: 'ImagePullBackOff', message: textOf(p, podScenario(p).waiting) } },
            },
          ],
        },
      },
      'application/merge-patch+json',
    );
  });
  const podsMs = performance.now() - tSetup;

  /** Pull-failure event i: round i / PODS of pod i % PODS, in the kubelet's order of a failing pull. */
  function pullEvent(i: number): { reason: string; message: string; type: string; p: number } {
    const p = i % PODS;
    const s = podScenario(p);
    switch (Math.floor(i / PODS) % 5) {
      case 0:
        return s.inspectFailed !== null
          ? { p, reason: 'InspectFailed', type: 'Warning', message: textOf(p, s.inspectFailed) }
          : { p, reason: 'Failed', type: 'Warning', message: textOf(p, s.failed) };
      case 1:
        return { p, reason: 'Failed', type: 'Warning', message: 'Error: ErrImagePull' };
      case 2:
        return { p, reason: 'BackOff', type: 'Normal', message: `Back-off pulling image "${podImage(p)}"` };
      case 3:
        return { p, reason: 'Failed', type: 'Warning', message: 'Error: ImagePullBackOff' };
      default:
        return { p, reason: 'Failed', type: 'Warning', message: textOf(p, s.failed) };
    }
  }
  /** Unrelated event i: what else a cluster records (the reasons the bot selects, too, but not about pulls). */
  function otherEvent(i: number): { reason: string; message: string; type: string; p: number; node?: boolean } {
    const p = (i * 31) % PODS;
    switch (i % 6) {
      case 0:
        return { p, reason: 'Scheduled', type: 'Normal', message: `Successfully assigned ${podNs(p)}/${podName(p)}` };
      case 1:
        return { p, reason: 'Pulling', type: 'Normal', message: `Pulling image "${podImage(p)}"` };
      case 2:
        return {
          p,
          reason: 'BackOff',
          type: 'Warning',
          message: `Back-off restarting failed container app in pod ${podName(p)}_${podNs(p)}(${uids[p]})`,
        };
      case 3:
        return {
          p,
          reason: 'Failed',
          type: 'Warning',
          message: 'Error: container create failed: executable not found',
        };
      case 4:
        return { p, reason: 'Killing', type: 'Normal', message: 'Stopping container app' };
      default:
        return { p, reason: 'NodeHasSufficientMemory', type: 'Normal', message: 'Node status is now', node: true };
    }
  }
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  async function createEvent(name: string, e: ReturnType<typeof otherEvent>): Promise<void> {
    const node = podNode(e.p);
    const ns = e.node ? 'default' : podNs(e.p);
    await call('POST', `/api/v1/namespaces/${ns}/events`, {
      metadata: { name, namespace: ns },
      involvedObject: e.node
        ? { kind: 'Node', name: node, uid: node, apiVersion: 'v1' }
        : {
            kind: 'Pod',
            namespace: ns,
            name: podName(e.p),
            uid: uids[e.p],
            apiVersion: 'v1',
            fieldPath: 'spec.containers{app}',
          },
      reason: e.reason,
      message: e.node ? `${e.message} ${e.reason}` : e.message,
      type: e.type,
      source: { component: 'kubelet', host: node },
      reportingComponent: 'kubelet',
      reportingInstance: node,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    });
  }
  let pullCreated = 0;
  let otherCreated = 0;
  async function growTo(pull: number): Promise<number> {
    const t = performance.now();
    await parallel(pullCreated, pull, (i) => createEvent(`${podName(i % PODS)}.p${i.toString(16)}`, pullEvent(i)));
    const other = Math.floor(pull / 10);
    await parallel(otherCreated, other, (i) => createEvent(`bench-other.${i.toString(16)}`, otherEvent(i)));
    pullCreated = pull;
    otherCreated = other;
    return performance.now() - t;
  }

  // --- one bot at one size ----------------------------------------------------------------------------------------
  interface SizeResult {
    events: number;
    createMs: number;
    settleMs: number;
    baseline: BotMemory;
    after: BotMemory;
    idle: BotMemory;
    lastResort: BotMemory;
    peakRss: number;
    peakHeap: number;
    perMin: number;
    perMinTriage: number;
    byKind: Map<string, number>;
    status: Extract<BotMessage, { kind: 'status' }>;
    posts: number;
    storedBytes: number;
  }
  const kindOf = (path: string): string => {
    const m = /^\/apis?\/(?:[^/]+\/)?v1\/(?:namespaces\/[^/]+\/)?([a-z]+)(\/[^?]+)?/.exec(
      path.replace('/api/v1/', '/api/core/v1/'),
    );
    const watch = /[?&]watch=(true|1)/.test(path) ? ' watch' : '';
    return m === null ? path.split('?')[0]! : `${m[1]}${m[2] !== undefined ? '/NAME' : ''}${watch}`;
  };
  const TRIAGE_KINDS = /^(events|pods|nodes|machineconfigs|configmaps|leases)\b/;

  async function runBot(events: number, createMs: number): Promise<SizeResult> {
    // a fresh start: no triage state and no Lease from the previous size
    for (const p of [
      '/api/v1/namespaces/icsp-bot/configmaps/bench-triage',
      '/apis/coordination.k8s.io/v1/namespaces/icsp-bot/leases/bench-triage',
    ])
      await call('DELETE', p).catch(() => undefined);
    const args: BotArgs = {
      server: `http://127.0.0.1:${proxy.port}`,
      token: info.botToken,
      slackApiUrl: rec.apiUrl,
      env: {
        ICSP_TRIAGE_CHANNEL: 'CTRIAGE',
        ICSP_CLUSTER_NAME: 'bench',
        ICSP_BOT_NAMESPACE: 'icsp-bot',
        ICSP_STATE_CONFIGMAP: 'bench-triage',
        ICSP_LEASE_NAME: 'bench-triage',
        POD_NAME: `bench-bot-${events}`,
      },
    };
    const child = fork(join(import.meta.dirname, 'triage-scale-bot.ts'), [JSON.stringify(args)], {
      execArgv: ['--expose-gc', ...(process.env.TRIAGE_SCALE_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    bot = child;
    const inbox: BotMessage[] = [];
    let waiter: (() => void) | undefined;
    child.on('message', (m: BotMessage) => {
      inbox.push(m);
      waiter?.();
    });
    const exited = new Promise<never>((_, fail) =>
      child.on('exit', (code) => fail(new Error(`the bot process exited (${code}) at ${events} events`))),
    );
    exited.catch(() => undefined);
    const next = async <K extends BotMessage['kind']>(
      kind: K,
      cmd?: string,
    ): Promise<Extract<BotMessage, { kind: K }>> => {
      if (cmd !== undefined) child.send({ cmd });
      const end = Date.now() + 600_000;
      for (;;) {
        const i = inbox.findIndex((m) => m.kind === kind);
        if (i >= 0) return inbox.splice(i, 1)[0] as Extract<BotMessage, { kind: K }>;
        if (Date.now() > end) throw new Error(`no ${kind} from the bot at ${events} events`);
        await Promise.race([new Promise<void>((r) => ((waiter = r), setTimeout(r, 1000))), exited]);
      }
    };
    const postsBefore = rec.callsOf('chat.postMessage').length;
    const ready = await next('ready');
    // settled: the queue drained, the three event watches open, no Slack call and no state write for 5 s
    const t = performance.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await next('status', 'status');
      const lastWrite =
        proxy.requests.filter((r) => r.method !== 'GET' && !r.path.includes('/leases/')).at(-1)?.at ?? 0;
      const quiet = Date.now() - Math.max(s.lastChatAt, lastWrite) > 5000;
      if (s.queued === 0 && proxy.openWatches('/api/v1/events') >= 3 && quiet) break;
      if (performance.now() - t > 300_000) throw new Error(`the bot did not settle in 5 min at ${events} events`);
    }
    const settleMs = performance.now() - t + ready.startMs;
    console.log(`    (${events} events: the bot settled ${secs(settleMs)} s after the triage channel started)`);
    const from = Date.now();
    const seen = proxy.requests.length;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const window = proxy.requests.slice(seen).filter((r) => r.at >= from && r.at < from + IDLE_MS);
    const byKind = new Map<string, number>();
    for (const r of window) {
      const k = `${r.method} ${kindOf(r.path)}`;
      byKind.set(k, (byKind.get(k) ?? 0) + 1);
    }
    const triage = window.filter((r) => TRIAGE_KINDS.test(kindOf(r.path))).length;
    const status = await next('status', 'status');
    const mem = await next('memory', 'measure');
    const cm = (await call('GET', '/api/v1/namespaces/icsp-bot/configmaps/bench-triage')) as {
      data?: Record<string, string>;
    };
    const storedBytes = (cm.data?.['triage.json'] ?? '').length;
    child.send({ cmd: 'stop' });
    await new Promise((r) => child.once('exit', r));
    bot = undefined;
    return {
      events,
      createMs,
      settleMs,
      baseline: ready.baseline,
      after: mem.after,
      idle: mem.idle,
      lastResort: mem.lastResort,
      peakRss: mem.peakRss,
      peakHeap: mem.peakHeap,
      perMin: (window.length * 60_000) / IDLE_MS,
      perMinTriage: (triage * 60_000) / IDLE_MS,
      byKind,
      status,
      posts: rec.callsOf('chat.postMessage').length - postsBefore,
      storedBytes,
    };
  }

  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const createMs = await growTo(size);
    results.push(await runBot(size, createMs));
  }

  // --- report ------------------------------------------------------------------------------------------------------
  const n = (x: number): string => x.toLocaleString('en');
  const podRate = ((PODS * 2) / (podsMs / 1000)).toFixed(0);
  console.log(
    `  set-up: control plane ready and prepared in ${secs(cpReadyMs)} s; ${NAMESPACES} namespaces, ${NODES} nodes, ` +
      `${n(PODS)} pods created and status-patched in ${secs(podsMs)} s (${podRate} req/s, ${IN_FLIGHT} in flight)`,
  );
  const over = (r: SizeResult) => ({
    heap: r.after.heapUsed - r.baseline.heapUsed,
    rss: r.after.rss - r.baseline.rss,
    peak: r.peakRss - r.baseline.rss,
  });
  for (const r of results) {
    const m = over(r);
    const kinds = [...r.byKind]
      .sort((x, y) => y[1] - x[1])
      .map(([k, c]) => `${k} ${c}`)
      .join(', ');
    console.log(
      `  ${n(r.events)} pull-failure events (+${n(r.events / 10)} unrelated, created in ${secs(r.createMs)} s): ` +
        `settled ${secs(r.settleMs)} s after the start, ${r.posts} Slack posts, ${r.status.dropped} events dropped, ` +
        `stored state ${(r.storedBytes / 1024).toFixed(0)} KB, ${r.status.heapTrims} heap trims`,
    );
    console.log(
      `    triage memory after GC: ${mb(m.heap)} MB heap used, ${mb(m.rss)} MB RSS; peak RSS ${mb(m.peak)} MB, ` +
        `peak heap used ${mb(r.peakHeap - r.baseline.heapUsed)} MB (over the bot's baseline of ` +
        `${mb(r.baseline.heapUsed)} MB heap used, ${mb(r.baseline.rss)} MB RSS); ` +
        `heap reserved after GC ${mb(r.after.heapTotal)} MB (baseline ${mb(r.baseline.heapTotal)} MB)`,
    );
    const map = (x: BotMemory): string =>
      `brk ${mb(x.mappings.brk)}, malloc arenas ${mb(x.mappings.arenas)}, ` +
      `other anonymous ${mb(x.mappings.otherAnon)}, ` +
      `files ${mb(x.mappings.file)}, lazily freed ${mb(x.mappings.lazyFree)}; V8 physical ${mb(x.v8Physical)}, ` +
      `external ${mb(x.external)}, array buffers ${mb(x.arrayBuffers)}`;
    console.log(`    RSS by mapping (MB), baseline: ${map(r.baseline)}`);
    console.log(`    idle, before a forced GC: RSS ${mb(r.idle.rss)}: ${map(r.idle)}`);
    console.log(`    after GC: RSS ${mb(r.after.rss)}: ${map(r.after)}`);
    console.log(`    after a last-resort GC: RSS ${mb(r.lastResort.rss)}: ${map(r.lastResort)}`);
    console.log(
      `    idle API requests: ${r.perMinTriage.toFixed(1)}/min by the triage channel, ${r.perMin.toFixed(1)}/min by ` +
        `the whole bot process [${kinds || 'none'}]`,
    );
  }
  const [a, b] = results as [SizeResult, SizeResult];
  const ratio = (x: number, y: number): string => (x === 0 ? (y === 0 ? '1 (both 0)' : 'inf') : (y / x).toFixed(2));
  const heapOk = over(a).heap < LIMIT_BYTES && over(b).heap < LIMIT_BYTES;
  const rssOf = (r: SizeResult): number => Math.max(over(r).rss, over(r).peak);
  const rssOk = rssOf(a) < LIMIT_BYTES && rssOf(b) < LIMIT_BYTES;
  const flat = b.perMinTriage <= Math.max(a.perMinTriage * 1.25, a.perMinTriage + 2);
  console.log(
    `  ratios ${n(b.events)}/${n(a.events)}: heap ${ratio(over(a).heap, over(b).heap)}, ` +
      `RSS after GC ${ratio(over(a).rss, over(b).rss)}, peak RSS ${ratio(over(a).peak, over(b).peak)}, ` +
      `idle requests ${ratio(a.perMinTriage, b.perMinTriage)} (triage) / ${ratio(a.perMin, b.perMin)} (process)`,
  );
  console.log(
    `  ${heapOk ? 'PASS' : 'FAIL'}: triage heap used after GC ${mb(over(a).heap)} MB at ${n(a.events)} events, ` +
      `${mb(over(b).heap)} MB at ${n(b.events)} (limit 100 MB)`,
  );
  console.log(
    `  ${rssOk ? 'PASS' : 'FAIL'}: triage RSS (after GC, and peak) ${mb(rssOf(a))} MB at ${n(a.events)} events, ` +
      `${mb(rssOf(b))} MB at ${n(b.events)} (limit 100 MB)`,
  );
  console.log(
    `  ${flat ? 'PASS' : 'FAIL'}: idle API requests of the triage channel flat: ${a.perMinTriage.toFixed(1)} -> ` +
      `${b.perMinTriage.toFixed(1)}/min (limit: at most +25% or +2/min)`,
  );
  ok = heapOk && rssOk && flat;
  console.log(`  total bench time ${secs(performance.now() - started)} s (idle windows of ${IDLE_MS / 1000} s)`);
  agent.destroy();
} finally {
  bot?.kill('SIGKILL');
  await proxy.stop();
  await rec.stop();
  await cp.stop();
}
process.exitCode = ok === true ? 0 : 1;
