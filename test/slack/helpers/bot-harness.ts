// Builds the real Bolt app (src/slack/app.ts) against the recording server, in HTTP or Socket Mode.
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/observability/logger.ts';
import { loadPolicyPaths } from '../../../src/files/policy-files.ts';
import { filePolicySource, policyLines } from '../../../src/main.ts';
import type { PolicySource } from '../../../src/ports/live-check.ts';
import { createSlackBot } from '../../../src/slack/app.ts';
import type { SlackBot, SlackBotDeps } from '../../../src/slack/app.ts';
import { loadConfig } from '../../../src/slack/config.ts';
import type { PolicyObject } from '../../../src/types/openshift.ts';
import type { RecordingServer } from './recording-server.ts';
import { APP_TOKEN, BOT_TOKEN, FakeLiveChecker, SIGNING_SECRET } from './slack-fixtures.ts';

export interface Harness {
  bot: SlackBot;
  port: number | undefined;
  checker: FakeLiveChecker;
  logLines: string[];
  source: PolicySource;
  /** The waits the bot asked for (429 Retry-After), in ms; not actually slept. */
  sleeps: number[];
}

let cached: { source: PolicySource; objects: PolicyObject[] } | undefined;

export async function exampleSource(): Promise<{ source: PolicySource; objects: PolicyObject[] }> {
  if (cached === undefined) {
    const p = await loadPolicyPaths(['examples/'], process.stdin);
    cached = { source: filePolicySource(p.policies), objects: p.objects };
  }
  return cached;
}

export async function startHarness(
  rec: RecordingServer,
  mode: 'http' | 'socket',
  env: Record<string, string> = {},
  opts: { live?: boolean; deps?: Partial<SlackBotDeps> } = {},
): Promise<Harness> {
  const loaded = loadConfig({
    SLACK_MODE: mode,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: rec.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ICSP_LIVE_USERS: 'U0001,SOPS0001',
    ICSP_CLUSTER_NAME: 'test-cluster',
    LOG_LEVEL: 'debug',
    ICSP_RATE_LIMIT: '1000/60',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({
    level: loaded.config.logLevel,
    secrets: [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET],
    destination,
  });
  const { source, objects } = await exampleSource();
  const checker = new FakeLiveChecker(source);
  const sleeps: number[] = [];
  const bot = createSlackBot({
    config: loaded.config,
    logger,
    policySource: source,
    liveChecker: opts.live === false ? undefined : checker,
    listPolicies: async (f) => policyLines(objects, f),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts.deps,
  });
  const r = await bot.start();
  return { bot, port: r.port, checker, logLines, source, sleeps };
}
