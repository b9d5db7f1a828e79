// The bot's settings, all from the environment, validated at start: a typed config, or one line per missing or
// invalid setting. Never echoes a secret's value in an error line. Parsing rules and defaults: src/settings/.
import { SETTINGS as ALL_SETTINGS } from '../settings/settings-table.ts';
import type { SettingSpec } from '../settings/settings-table.ts';
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';

export type SlackMode = 'socket' | 'http';

export interface BotConfig {
  mode: SlackMode;
  botToken: string;
  appToken: string | undefined;
  signingSecret: string | undefined;
  /** Base URL of the Web API (tests, proxies); undefined = https://slack.com/api/. */
  apiUrl: string | undefined;
  /** HTTP mode: the port of /slack/events. */
  port: number;
  /** HTTP mode: the address to listen on. */
  host: string;
  /** Channel IDs the bot answers in; null = every channel. */
  allowedChannels: ReadonlySet<string> | null;
  /** User IDs (U…/W…) and user-group IDs (S…) allowed to run live checks. */
  liveUsers: ReadonlySet<string>;
  /** Policy files or directories for offline mode (ICSP_POLICIES). */
  policies: string[];
  /** The cluster name shown in every message; undefined = the policy source's own label. */
  clusterName: string | undefined;
  rateLimit: { max: number; windowMs: number };
  maxConcurrentChecks: number;
  /** How many requests do Slack work (explain, posts, uploads) at once; the rest wait after their ack. */
  workers: number;
  usergroupCacheMs: number;
  liveCheckTimeoutMs: number;
  /** Upper bound for honouring a 429 Retry-After, and how many times a rate-limited call is retried. */
  maxRetryAfterMs: number;
  slackRetries: number;
  logLevel: string;
}

export type ConfigResult = { ok: true; config: BotConfig } | { ok: false; errors: string[] };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The settings of the Slack front door and the process (documented in docs/slack.md): a view of the one table. */
export const SETTINGS: readonly SettingSpec[] = ALL_SETTINGS.filter((s) => s.area === 'slack' || s.area === 'process');

export function loadConfig(env: Env): ConfigResult {
  const r = new SettingsReader(env);
  const errors = r.errors;
  const mode: SlackMode = r.oneOf('SLACK_MODE', ['socket', 'http'] as const);

  const botToken = r.raw('SLACK_BOT_TOKEN') ?? '';
  if (botToken === '') errors.push('SLACK_BOT_TOKEN: missing (the bot token, xoxb-...)');
  else if (!botToken.startsWith('xoxb-')) errors.push('SLACK_BOT_TOKEN: must start with xoxb- (value not shown)');

  const appToken = r.raw('SLACK_APP_TOKEN');
  if (mode === 'socket') {
    if (appToken === undefined)
      errors.push(
        'SLACK_APP_TOKEN: missing, required in socket mode (an app-level token xapp-... with connections:write)',
      );
    else if (!appToken.startsWith('xapp-')) errors.push('SLACK_APP_TOKEN: must start with xapp- (value not shown)');
  }
  const signingSecret = r.raw('SLACK_SIGNING_SECRET');
  if (mode === 'http' && signingSecret === undefined)
    errors.push('SLACK_SIGNING_SECRET: missing, required in http mode');

  const apiUrl = r.url('SLACK_API_URL');
  const port = r.int('PORT', { min: 0, max: 65535 });
  const channels = r.ids('ICSP_ALLOWED_CHANNELS', /^[CGD][A-Z0-9]{2,}$/, 'a channel ID (C..., G... or D...)');
  const liveUsers = r.ids('ICSP_LIVE_USERS', /^[UWS][A-Z0-9]{2,}$/, 'a user ID (U..., W...) or user-group ID (S...)');
  const rateLimit = r.rate('ICSP_RATE_LIMIT');
  const logLevel = r.oneOf('LOG_LEVEL', LOG_LEVELS);

  const config: BotConfig = {
    mode,
    botToken,
    appToken,
    signingSecret,
    apiUrl,
    port,
    host: r.text('HOST'),
    allowedChannels: channels.length > 0 ? new Set(channels) : null,
    liveUsers: new Set(liveUsers),
    policies: r.list('ICSP_POLICIES'),
    clusterName: r.raw('ICSP_CLUSTER_NAME'),
    rateLimit,
    maxConcurrentChecks: r.int('ICSP_MAX_LIVE_CHECKS', { min: 1, max: 100 }),
    workers: r.int('ICSP_SLACK_WORKERS', { min: 1, max: 1000 }),
    usergroupCacheMs: r.seconds('ICSP_USERGROUP_CACHE_SECONDS', { min: 0, max: 86_400 }) * 1000,
    liveCheckTimeoutMs: r.seconds('ICSP_LIVE_CHECK_TIMEOUT_SECONDS', { min: 1, max: 3600 }) * 1000,
    maxRetryAfterMs: r.seconds('ICSP_SLACK_MAX_RETRY_AFTER_SECONDS', { min: 0, max: 3600 }) * 1000,
    slackRetries: r.int('ICSP_SLACK_RETRIES', { min: 0, max: 10 }),
    logLevel,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
