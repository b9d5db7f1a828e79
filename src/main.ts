// The bot's composition root (`npm start`): reads the environment, builds the policy source (offline from
// ICSP_POLICIES), the live checker (from the cluster adapter, once plugged in through createLiveChecker), starts
// Bolt, and stops it on SIGTERM/SIGINT. Invalid settings: one line each on stderr, exit 2.
import { loadPolicyPaths } from './adapters/policy-files.ts';
import { createLogger } from './adapters/logger.ts';
import type { Logger } from './adapters/logger.ts';
import { explain } from './domain/explain.ts';
import type { PolicySet } from './domain/policy-set.ts';
import type { LiveChecker, PolicySource } from './ports/live-check.ts';
import type { PolicyObject } from './types/openshift.ts';
import { createSlackBot } from './slack/app.ts';
import type { SlackBot } from './slack/app.ts';
import type { PolicyLine } from './slack/blocks.ts';
import { loadConfig } from './slack/config.ts';
import type { BotConfig } from './slack/config.ts';

/**
 * The hook for the cluster adapter: returns the LiveChecker when a cluster is configured, undefined otherwise.
 * Until the adapter is plugged in, there is no cluster and live checks are off.
 */
export const createLiveChecker: (() => Promise<LiveChecker | undefined>) | undefined = undefined;

export function filePolicySource(policies: PolicySet, label = 'offline (files)'): PolicySource {
  return { cluster: label, explain: async (image) => explain({ reference: image, policies }) };
}

export function policyLines(objects: PolicyObject[], filter: string | null): PolicyLine[] {
  const lines: PolicyLine[] = [];
  for (const o of objects) {
    let rules: PolicyLine['rules'];
    if (o.kind === 'ImageContentSourcePolicy') rules = (o.spec.repositoryDigestMirrors ?? []).map((r) => ({ source: r.source, mirrors: r.mirrors ?? [] }));
    else if (o.kind === 'ImageDigestMirrorSet') rules = (o.spec.imageDigestMirrors ?? []).map((r) => ({ source: r.source, mirrors: r.mirrors ?? [], ...(r.mirrorSourcePolicy ? { policy: r.mirrorSourcePolicy } : {}) }));
    else if (o.kind === 'ImageTagMirrorSet') rules = (o.spec.imageTagMirrors ?? []).map((r) => ({ source: r.source, mirrors: r.mirrors ?? [], ...(r.mirrorSourcePolicy ? { policy: r.mirrorSourcePolicy } : {}) }));
    else continue;
    const line = { kind: o.kind, name: o.metadata.name, rules };
    if (filter === null || JSON.stringify(line).toLowerCase().includes(filter.toLowerCase())) lines.push(line);
  }
  return lines;
}

export interface Started {
  bot: SlackBot;
  port?: number;
  logger: Logger;
}

/** Builds and starts the bot; returns the error lines instead when the settings are invalid. */
export async function startBot(env: Record<string, string | undefined>, hooks: { createLiveChecker?: () => Promise<LiveChecker | undefined> } = {}): Promise<Started | { errors: string[] }> {
  const loaded = loadConfig(env);
  if (!loaded.ok) return { errors: loaded.errors };
  const config: BotConfig = loaded.config;
  const logger = createLogger({ level: config.logLevel, secrets: [config.botToken, config.appToken ?? '', config.signingSecret ?? ''], name: 'icsp-bot' });
  const liveChecker = hooks.createLiveChecker === undefined ? undefined : await hooks.createLiveChecker();
  if (config.policies.length === 0) return { errors: ['ICSP_POLICIES: not set, and no cluster policy source is available yet: set it to policy files or directories (offline mode)'] };
  let objects: PolicyObject[];
  let policySource: PolicySource;
  try {
    const p = await loadPolicyPaths(config.policies, process.stdin);
    for (const w of p.warnings) logger.warn({ warning: w }, 'policy files');
    objects = p.objects;
    policySource = filePolicySource(p.policies);
  } catch (e) {
    return { errors: [`ICSP_POLICIES: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const bot = createSlackBot({ config, logger, policySource, liveChecker, listPolicies: async (f) => policyLines(objects, f) });
  const r = await bot.start();
  logger.info({ mode: config.mode, port: r.port, cluster: config.clusterName ?? policySource.cluster, liveChecks: liveChecker !== undefined, policyObjects: objects.length }, 'icsp-bot started');
  return { bot, logger, ...r };
}

async function main(): Promise<void> {
  process.on('unhandledRejection', (e) => {
    console.error(`icsp-bot: unhandled rejection: ${e instanceof Error ? e.message : String(e)}`);
  });
  const hooks = createLiveChecker === undefined ? {} : { createLiveChecker };
  let started: Awaited<ReturnType<typeof startBot>>;
  try {
    started = await startBot(process.env, hooks);
  } catch (e) {
    console.error(`icsp-bot: cannot start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    process.exit(1);
  }
  if ('errors' in started) {
    for (const l of started.errors) console.error(`icsp-bot: ${l}`);
    process.exit(2);
  }
  const { bot, logger } = started;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    bot.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) void main();
