// `npm run bench` (own process): 50 concurrent /icsp commands against the real Bolt app over signed HTTP on
// 127.0.0.1, with a fake live checker that takes a fixed time. The Slack side (the command sender and the
// recording Web API server) runs in a worker thread, so the bot's event loop carries only the bot's own work, as
// in production. Reports the ack latency (p50, p99; p99 must stay under 100 ms) and the time from command to the
// live reply in the thread minus the live check's own run time. Twice: with the example policies (offline, one
// generation), and with 10,000 sources answered from policy generations in the worker thread (the cluster
// path), while a change of the policies makes the worker build a new generation during the commands.
import { Writable } from 'node:stream';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createLogger } from '../src/observability/logger.ts';
import { WorkerGenerationEngine } from '../src/cluster/generation-worker.ts';
import { generationsPolicySource } from '../src/cluster/live-checker.ts';
import type { PolicySnapshot } from '../src/cluster/live-policies.ts';
import { PolicyGenerations } from '../src/cluster/policy-generations.ts';
import type { PolicySet } from '../src/domain/policy-set.ts';
import type { PolicySource } from '../src/ports/live-check.ts';
import { createSlackBot } from '../src/slack/app.ts';
import { loadConfig } from '../src/slack/config.ts';
import { exampleSource } from '../test/slack/helpers/bot-harness.ts';
import { RecordingServer } from '../test/slack/helpers/recording-server.ts';
import {
  BOT_TOKEN,
  commandForm,
  FakeLiveChecker,
  postSigned,
  SIGNING_SECRET,
} from '../test/slack/helpers/slack-fixtures.ts';
import { generatePolicies } from './engine-bench.ts';

const N = 50;
const SOURCES = 10_000;
const WARMUP_ROUNDS = 3;
const CHECK_MS = 200;
const ACK_P99_LIMIT_MS = 100;
const FORM = 'application/x-www-form-urlencoded';

const now = (): number => performance.timeOrigin + performance.now();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

interface Result {
  ackMs: number[];
  /** Live replies per command (each must be 1). */
  repliesPer: number[];
  replyMs: number[];
  calls: number;
  posts: number;
  uploads: number;
}

/** The Slack side: recording Web API server, then the commands. */
async function slackSide(image: string): Promise<void> {
  const port = parentPort!;
  const rec = new RecordingServer();
  await rec.start();
  port.postMessage({ apiUrl: rec.apiUrl });
  const botPort = await new Promise<number>((r) => port.once('message', (m: { botPort: number }) => r(m.botPort)));
  const liveReplies = (): number =>
    rec.callsOf('chat.postMessage').filter((c) => String(c.params.text).includes('live check of')).length;
  const fire = (tag: string, n: number, sent: Map<string, number>) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => {
        const node = `${tag}-${i}`;
        sent.set(node, now());
        return postSigned(
          botPort,
          commandForm({ text: `why ${image} node=${node}`, responseUrl: rec.responseUrl(node) }),
          FORM,
        );
      }),
    );
  for (let i = 0; i < WARMUP_ROUNDS; i++) {
    const before = liveReplies();
    // N at once, so that the keep-alive connection pool holds N connections, as with Slack's own pool
    await fire(`warm${i}`, N, new Map());
    await rec.waitFor(() => liveReplies() === before + N, 30_000);
  }
  await new Promise((r) => setTimeout(r, 100));
  rec.reset();
  const sent = new Map<string, number>();
  port.postMessage({ firing: true });
  const acks = await fire('worker', N, sent);
  if (acks.some((a) => a.status !== 200)) throw new Error('a command was not acked with 200');
  await rec.waitFor(() => liveReplies() === N && rec.callsOf('files.completeUploadExternal').length === N, 30_000);
  const replyMs: number[] = [];
  const replies = new Map<string, number>();
  for (const c of rec.callsOf('chat.postMessage')) {
    const m = /live check of \S+: (worker-\d+):/.exec(String(c.params.text));
    if (m !== null) {
      replyMs.push(c.at - sent.get(m[1]!)! - CHECK_MS);
      replies.set(m[1]!, (replies.get(m[1]!) ?? 0) + 1);
    }
  }
  const result: Result = {
    ackMs: acks.map((a) => a.ms),
    replyMs,
    repliesPer: [...sent.keys()].map((k) => replies.get(k) ?? 0),
    calls: rec.calls.length,
    posts: rec.callsOf('chat.postMessage').length,
    uploads: rec.callsOf('files.completeUploadExternal').length,
  };
  port.postMessage({ result });
  await rec.stop();
}

/** Policies that change when the bench says so (a watch event), for the generation store. */
class BenchWatch {
  policies: PolicySet;
  stale = false;
  private readonly listeners: Array<() => void> = [];
  constructor(p: PolicySet) {
    this.policies = p;
  }
  snapshot(): PolicySnapshot {
    return { policies: this.policies, missingKinds: [], stale: false, warnings: [] };
  }
  onChange(l: () => void): void {
    this.listeners.push(l);
  }
  change(p: PolicySet): void {
    this.policies = p;
    for (const l of this.listeners) l();
  }
}

interface Scenario {
  label: string;
  image: string;
  source: PolicySource;
  /** Called when the measured round starts (a policy change). */
  onFire?: () => void;
  /** Generations built so far, to show one was built during the round. */
  builds?: () => number;
}

/** The bot side: the real app in this thread's event loop. */
async function botSide(s: Scenario): Promise<{ ok: boolean; p99: number }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { slack: true, image: s.image } });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const first = await Promise.race([new Promise<{ apiUrl: string }>((r) => worker.once('message', r)), failed]);
  const loaded = loadConfig({
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: first.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ICSP_LIVE_USERS: 'U0001',
    ICSP_RATE_LIMIT: '1000/60',
    ICSP_MAX_LIVE_CHECKS: String(N),
    ICSP_CLUSTER_NAME: 'bench',
    LOG_LEVEL: 'warn',
    ICSP_SLACK_WORKERS: process.env.ICSP_SLACK_WORKERS ?? '8',
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const checker = new FakeLiveChecker(s.source);
  checker.delayMs = CHECK_MS;
  const bot = createSlackBot({ config: loaded.config, logger, policySource: s.source, liveChecker: checker });
  const { port } = await bot.start();
  try {
    const done = new Promise<{ result: Result }>((resolve) => {
      const on = (m: { result?: Result; firing?: boolean }): void => {
        if (m.firing === true) s.onFire?.();
        if (m.result !== undefined) {
          worker.off('message', on);
          resolve({ result: m.result });
        }
      };
      worker.on('message', on);
    });
    const buildsBefore = s.builds?.() ?? 0;
    worker.postMessage({ botPort: port });
    const { result: r } = await Promise.race([done, failed]);
    await bot.idle();
    const p99 = pct(r.ackMs, 99);
    console.log(
      `  ${s.label}: ${N} concurrent /icsp why (signed HTTP → in-process Bolt; Slack side in a worker thread)`,
    );
    if (s.builds !== undefined)
      console.log(`  policy generations built during the round (in the worker): ${s.builds() - buildsBefore}`);
    console.log(
      `  ack latency:            p50 ${pct(r.ackMs, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ` +
        `max ${Math.max(...r.ackMs).toFixed(1)} ms (limit p99 < ${ACK_P99_LIMIT_MS} ms)`,
    );
    console.log(
      `  command → thread reply: p50 ${pct(r.replyMs, 50).toFixed(0)} ms, p99 ` +
        `${pct(r.replyMs, 99).toFixed(0)} ms (excluding the ${CHECK_MS} ms live check; anchor + plan + ` +
        `live reply)`,
    );
    console.log(`  Web API calls: ${r.calls} (${r.posts} chat.postMessage, ${r.uploads} file uploads of 2 files each)`);
    const once = r.repliesPer.every((n) => n === 1);
    console.log(`  live replies per command: ${once ? 'exactly 1 each' : `NOT once: ${r.repliesPer.join(',')}`}`);
    if (p99 >= ACK_P99_LIMIT_MS) console.log('  FAIL: ack p99 over the limit');
    if (!once) console.log('  FAIL: a command was not answered exactly once');
    return { ok: p99 < ACK_P99_LIMIT_MS && once, p99 };
  } finally {
    await bot.stop();
    await worker.terminate();
  }
}

async function scenarios(): Promise<boolean> {
  const { source } = await exampleSource();
  const small = await botSide({ label: 'example policies', image: 'imagestore.co/repo/exampleimage:latest', source });
  let ok = small.ok;
  const policies = generatePolicies(SOURCES);
  const watch = new BenchWatch(policies);
  const generations = new PolicyGenerations(watch, new WorkerGenerationEngine(), { debounceMs: 0 });
  const t0 = performance.now();
  await generations.start();
  console.log(
    `  ${SOURCES.toLocaleString('en-US')} sources: first generation built in ` +
      `the worker in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  try {
    const large = await botSide({
      label: `${SOURCES.toLocaleString('en-US')} sources, policy generations in the worker`,
      image: 'registry-3.example.com/ns-3/repo-3:latest',
      source: generationsPolicySource(generations, 'bench'),
      // A watch event as the commands arrive: the worker rebuilds 10,000 sources while the bot acks.
      onFire: () => watch.change(generatePolicies(SOURCES)),
      builds: () => generations.builds,
    });
    ok = large.ok && ok;
    console.log(
      `  ack p99 ratio, ${SOURCES.toLocaleString('en-US')} sources (with a rebuild in ` +
        `flight) / example policies: ${(large.p99 / small.p99).toFixed(2)}x`,
    );
  } finally {
    await generations.stop();
  }
  return ok;
}

if (!isMainThread && (workerData as { slack?: boolean } | null)?.slack === true) {
  slackSide((workerData as { image: string }).image).catch((e: unknown) => {
    throw e;
  });
} else {
  scenarios().then(
    (ok) => {
      process.exitCode = ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`  slack bench failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
