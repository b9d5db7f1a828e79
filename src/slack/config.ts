// The bot's settings, all from the environment, validated at start: a typed config, or one line per missing or
// invalid setting. Never echoes a secret's value in an error line.

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

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every setting, its default and meaning: the source of the table in docs/slack.md. */
export const SETTINGS: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'SLACK_MODE', default: 'socket', meaning: '`socket` (Socket Mode, outbound WebSocket only) or `http` (Events/interactivity/commands on `/slack/events`)' },
  { name: 'SLACK_BOT_TOKEN', default: '(required)', meaning: 'bot token `xoxb-…`' },
  { name: 'SLACK_APP_TOKEN', default: '(required in socket mode)', meaning: 'app-level token `xapp-…` with `connections:write`' },
  { name: 'SLACK_SIGNING_SECRET', default: '(required in http mode)', meaning: 'signing secret; every request is verified (v0 HMAC, 5-minute window)' },
  { name: 'SLACK_API_URL', default: 'https://slack.com/api/', meaning: 'base URL of the Web API (tests, proxies); must end in `/`' },
  { name: 'PORT', default: '3000', meaning: 'http mode: port of `/slack/events` (0 = any free port)' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'http mode: listen address (127.0.0.1 for local tests)' },
  { name: 'ICSP_ALLOWED_CHANNELS', default: '(every channel)', meaning: 'comma-separated channel IDs (C…, G…, D…) the bot answers in' },
  { name: 'ICSP_LIVE_USERS', default: '(nobody)', meaning: 'comma-separated user IDs (U…, W…) and user-group IDs (S…) allowed to run live checks' },
  { name: 'ICSP_POLICIES', default: '(none)', meaning: 'comma-separated policy files/directories: offline mode (plans from files, live checks off)' },
  { name: 'ICSP_CLUSTER_NAME', default: '(the policy source label)', meaning: 'cluster name shown in every message' },
  { name: 'ICSP_RATE_LIMIT', default: '10/60', meaning: 'per-user limit: N requests per S seconds' },
  { name: 'ICSP_MAX_LIVE_CHECKS', default: '2', meaning: 'global cap on concurrent live checks (more wait in a queue of 4x that size, then are refused)' },
  { name: 'ICSP_SLACK_WORKERS', default: '8', meaning: 'how many requests do Slack work (explain, posts, uploads) at once; more wait after their ack (a live check does not hold a worker)' },
  { name: 'ICSP_USERGROUP_CACHE_SECONDS', default: '300', meaning: 'how long user-group membership (usergroups.users.list) is cached' },
  { name: 'ICSP_LIVE_CHECK_TIMEOUT_SECONDS', default: '180', meaning: 'a live check is aborted after this long' },
  { name: 'ICSP_SLACK_MAX_RETRY_AFTER_SECONDS', default: '30', meaning: 'a 429 with a longer Retry-After is reported, not waited for' },
  { name: 'ICSP_SLACK_RETRIES', default: '3', meaning: 'how often a rate-limited Slack call is retried' },
  { name: 'ICSP_METRICS_PORT', default: '8080', meaning: 'port of `/healthz`, `/readyz` and `/metrics` (0 = any free port)' },
  { name: 'ICSP_METRICS_HOST', default: '0.0.0.0', meaning: 'listen address of the health and metrics server' },
  { name: 'LOG_LEVEL', default: 'info', meaning: `pino level: ${LOG_LEVELS.join(', ')}` },
];

function list(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function int(env: Env, name: string, dflt: number, min: number, max: number, errors: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  if (!/^\d+$/.test(raw.trim())) {
    errors.push(`${name}: "${raw}" is not a whole number`);
    return dflt;
  }
  const n = Number(raw.trim());
  if (n < min || n > max) errors.push(`${name}: ${n} is outside ${min}..${max}`);
  return n;
}

export function loadConfig(env: Env): ConfigResult {
  const errors: string[] = [];
  const modeRaw = (env.SLACK_MODE ?? 'socket').trim().toLowerCase() || 'socket';
  let mode: SlackMode = 'socket';
  if (modeRaw === 'socket' || modeRaw === 'http') mode = modeRaw;
  else errors.push(`SLACK_MODE: "${env.SLACK_MODE}" is not socket or http`);

  const botToken = env.SLACK_BOT_TOKEN?.trim() ?? '';
  if (botToken === '') errors.push('SLACK_BOT_TOKEN: missing (the bot token, xoxb-...)');
  else if (!botToken.startsWith('xoxb-')) errors.push('SLACK_BOT_TOKEN: must start with xoxb- (value not shown)');

  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  if (mode === 'socket') {
    if (appToken === undefined) errors.push('SLACK_APP_TOKEN: missing, required in socket mode (an app-level token xapp-... with connections:write)');
    else if (!appToken.startsWith('xapp-')) errors.push('SLACK_APP_TOKEN: must start with xapp- (value not shown)');
  }
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || undefined;
  if (mode === 'http' && signingSecret === undefined) errors.push('SLACK_SIGNING_SECRET: missing, required in http mode');

  let apiUrl = env.SLACK_API_URL?.trim() || undefined;
  if (apiUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(apiUrl);
    } catch {
      errors.push(`SLACK_API_URL: "${apiUrl}" is not a URL`);
    }
    if (u !== undefined && u.protocol !== 'http:' && u.protocol !== 'https:') errors.push(`SLACK_API_URL: "${apiUrl}" must be http(s)`);
    if (!apiUrl.endsWith('/')) apiUrl += '/';
  }

  const port = int(env, 'PORT', 3000, 0, 65535, errors);

  const idList = (name: string, re: RegExp, what: string): string[] => {
    const ids = list(env[name]);
    for (const id of ids) if (!re.test(id)) errors.push(`${name}: "${id}" is not ${what}`);
    return ids;
  };
  const channels = idList('ICSP_ALLOWED_CHANNELS', /^[CGD][A-Z0-9]{2,}$/, 'a channel ID (C..., G... or D...)');
  const liveUsers = idList('ICSP_LIVE_USERS', /^[UWS][A-Z0-9]{2,}$/, 'a user ID (U..., W...) or user-group ID (S...)');

  let rateLimit = { max: 10, windowMs: 60_000 };
  const rl = env.ICSP_RATE_LIMIT?.trim();
  if (rl !== undefined && rl !== '') {
    const m = /^(\d+)\/(\d+)$/.exec(rl);
    if (m === null || Number(m[1]) < 1 || Number(m[2]) < 1) errors.push(`ICSP_RATE_LIMIT: "${rl}" is not N/SECONDS with N, SECONDS >= 1 (e.g. 10/60)`);
    else rateLimit = { max: Number(m[1]), windowMs: Number(m[2]) * 1000 };
  }

  const level = (env.LOG_LEVEL ?? 'info').trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(level)) errors.push(`LOG_LEVEL: "${env.LOG_LEVEL}" is not one of ${LOG_LEVELS.join(', ')}`);

  const config: BotConfig = {
    mode,
    botToken,
    appToken,
    signingSecret,
    apiUrl,
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    allowedChannels: channels.length > 0 ? new Set(channels) : null,
    liveUsers: new Set(liveUsers),
    policies: list(env.ICSP_POLICIES),
    clusterName: env.ICSP_CLUSTER_NAME?.trim() || undefined,
    rateLimit,
    maxConcurrentChecks: int(env, 'ICSP_MAX_LIVE_CHECKS', 2, 1, 100, errors),
    workers: int(env, 'ICSP_SLACK_WORKERS', 8, 1, 1000, errors),
    usergroupCacheMs: int(env, 'ICSP_USERGROUP_CACHE_SECONDS', 300, 0, 86_400, errors) * 1000,
    liveCheckTimeoutMs: int(env, 'ICSP_LIVE_CHECK_TIMEOUT_SECONDS', 180, 1, 3600, errors) * 1000,
    maxRetryAfterMs: int(env, 'ICSP_SLACK_MAX_RETRY_AFTER_SECONDS', 30, 0, 3600, errors) * 1000,
    slackRetries: int(env, 'ICSP_SLACK_RETRIES', 3, 0, 10, errors),
    logLevel: level,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
