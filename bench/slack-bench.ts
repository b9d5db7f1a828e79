// `npm run bench` (own process): 50 concurrent /icsp commands against the real Bolt app over signed HTTP on
// 127.0.0.1, with a fake live checker that takes a fixed time. The Slack side (the command sender and the
// recording Web API server) runs in a worker thread, so the bot's event loop carries only the bot's own work, as
// in production. Reports the ack latency (p50, p99; p99 must stay under 100 ms) and the time from command to the
// live reply in the thread minus the live check's own run time.
import { Writable } from 'node:stream';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createLogger } from '../src/observability/logger.ts';
import { createSlackBot } from '../src/slack/app.ts';
import { loadConfig } from '../src/slack/config.ts';
import { exampleSource } from '../test/slack/helpers/bot-harness.ts';
import { RecordingServer } from '../test/slack/helpers/recording-server.ts';
import { BOT_TOKEN, commandForm, FakeLiveChecker, postSigned, SIGNING_SECRET } from '../test/slack/helpers/slack-fixtures.ts';

const N = 50;
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
  replyMs: number[];
  calls: number;
  posts: number;
  uploads: number;
}

/** The Slack side: recording Web API server, then the commands. */
async function slackSide(): Promise<void> {
  const port = parentPort!;
  const rec = new RecordingServer();
  await rec.start();
  port.postMessage({ apiUrl: rec.apiUrl });
  const botPort = await new Promise<number>((r) => port.once('message', (m: { botPort: number }) => r(m.botPort)));
  const liveReplies = (): number => rec.callsOf('chat.postMessage').filter((c) => String(c.params.text).includes('live check of')).length;
  const fire = (tag: string, n: number, sent: Map<string, number>) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => {
        const node = `${tag}-${i}`;
        sent.set(node, now());
        return postSigned(botPort, commandForm({ text: `why imagestore.co/repo/exampleimage:latest node=${node}`, responseUrl: rec.responseUrl(node) }), FORM);
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
  const acks = await fire('worker', N, sent);
  if (acks.some((a) => a.status !== 200)) throw new Error('a command was not acked with 200');
  await rec.waitFor(() => liveReplies() === N && rec.callsOf('files.completeUploadExternal').length === N, 30_000);
  const replyMs: number[] = [];
  for (const c of rec.callsOf('chat.postMessage')) {
    const m = /live check of \S+: (worker-\d+):/.exec(String(c.params.text));
    if (m !== null) replyMs.push(c.at - sent.get(m[1]!)! - CHECK_MS);
  }
  const result: Result = { ackMs: acks.map((a) => a.ms), replyMs, calls: rec.calls.length, posts: rec.callsOf('chat.postMessage').length, uploads: rec.callsOf('files.completeUploadExternal').length };
  port.postMessage({ result });
  await rec.stop();
}

/** The bot side: the real app in this thread's event loop. */
async function botSide(): Promise<boolean> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { slack: true } });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const first = await Promise.race([new Promise<{ apiUrl: string }>((r) => worker.once('message', r)), failed]);
  const loaded = loadConfig({
    SLACK_MODE: 'http', SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: first.apiUrl, PORT: '0', HOST: '127.0.0.1',
    ICSP_LIVE_USERS: 'U0001', ICSP_RATE_LIMIT: '1000/60', ICSP_MAX_LIVE_CHECKS: String(N), ICSP_CLUSTER_NAME: 'bench', LOG_LEVEL: 'warn', ICSP_SLACK_WORKERS: process.env.ICSP_SLACK_WORKERS ?? '8',
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const { source } = await exampleSource();
  const checker = new FakeLiveChecker(source);
  checker.delayMs = CHECK_MS;
  const bot = createSlackBot({ config: loaded.config, logger, policySource: source, liveChecker: checker });
  const { port } = await bot.start();
  try {
    const done = new Promise<{ result: Result }>((r) => worker.once('message', r));
    worker.postMessage({ botPort: port });
    const { result: r } = await Promise.race([done, failed]);
    await bot.idle();
    const p99 = pct(r.ackMs, 99);
    console.log(`  ${N} concurrent /icsp why (signed HTTP → in-process Bolt; Slack side in a worker thread)`);
    console.log(`  ack latency:            p50 ${pct(r.ackMs, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...r.ackMs).toFixed(1)} ms (limit p99 < ${ACK_P99_LIMIT_MS} ms)`);
    console.log(`  command → thread reply: p50 ${pct(r.replyMs, 50).toFixed(0)} ms, p99 ${pct(r.replyMs, 99).toFixed(0)} ms (excluding the ${CHECK_MS} ms live check; anchor + plan + live reply)`);
    console.log(`  Web API calls: ${r.calls} (${r.posts} chat.postMessage, ${r.uploads} file uploads of 2 files each)`);
    if (p99 >= ACK_P99_LIMIT_MS) {
      console.log('  FAIL: ack p99 over the limit');
      return false;
    }
    return true;
  } finally {
    await bot.stop();
    await worker.terminate();
  }
}

if (!isMainThread && (workerData as { slack?: boolean } | null)?.slack === true) {
  slackSide().catch((e: unknown) => {
    throw e;
  });
} else {
  botSide().then(
    (ok) => {
      process.exitCode = ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`  slack bench failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
