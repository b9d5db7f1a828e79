// Every environment variable the bot and the CLI read: one row each, with its default and meaning. The README's
// settings table is this table (test/unit/settings.test.ts fails when they differ); the readers in
// settings-reader.ts refuse a variable that is not here, and take numeric defaults from here.

/** Which part of the program reads the variable (docs/slack.md documents `slack` and `process`; `input`: the bounds on
 * policy files, stdin and registries.conf, read by the CLI and the offline bot, README "Security model"). */
export type SettingArea = 'slack' | 'process' | 'live' | 'rollout' | 'triage' | 'input';

export interface SettingSpec {
  readonly name: string;
  readonly area: SettingArea;
  /** As documented; for numbers and plain values it is the value used when the variable is unset or empty. */
  readonly default: string;
  readonly meaning: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'SLACK_MODE',
    area: 'slack',
    default: 'socket',
    meaning:
      '`socket` (Socket Mode, outbound WebSocket only) or `http` (Events/interactivity/commands on `/slack/events`)',
  },
  { name: 'SLACK_BOT_TOKEN', area: 'slack', default: '(required)', meaning: 'bot token `xoxb-…`' },
  {
    name: 'SLACK_APP_TOKEN',
    area: 'slack',
    default: '(required in socket mode)',
    meaning: 'app-level token `xapp-…` with `connections:write`',
  },
  {
    name: 'SLACK_SIGNING_SECRET',
    area: 'slack',
    default: '(required in http mode)',
    meaning:
      'signing secret; every request is verified (v0 HMAC, timestamp ' +
      'within ±5 minutes, an identical signed request runs once)',
  },
  {
    name: 'SLACK_API_URL',
    area: 'slack',
    default: 'https://slack.com/api/',
    meaning: 'base URL of the Web API (tests, proxies); must end in `/`',
  },
  { name: 'PORT', area: 'slack', default: '3000', meaning: 'http mode: port of `/slack/events` (0 = any free port)' },
  { name: 'HOST', area: 'slack', default: '0.0.0.0', meaning: 'http mode: listen address (127.0.0.1 for local tests)' },
  {
    name: 'ICSP_ALLOWED_CHANNELS',
    area: 'slack',
    default: '(every channel)',
    meaning: 'comma-separated channel IDs (C…, G…, D…) the bot answers in',
  },
  {
    name: 'ICSP_LIVE_USERS',
    area: 'slack',
    default: '(nobody)',
    meaning: 'comma-separated user IDs (U…, W…) and user-group IDs (S…) allowed to run live checks',
  },
  {
    name: 'ICSP_POLICIES',
    area: 'process',
    default: '(none)',
    meaning: 'comma-separated policy files/directories: offline mode (plans from files, live checks off)',
  },
  {
    name: 'ICSP_MAX_INPUT_BYTES',
    area: 'input',
    default: '67108864',
    meaning:
      'bytes (64 MiB) of policy YAML/JSON, stdin and registries.conf one command (or the offline ' +
      'bot) reads, all files together; more is refused (exit 2) as soon as it is seen',
  },
  {
    name: 'ICSP_YAML_MAX_ALIASES',
    area: 'input',
    default: '1000',
    meaning: 'YAML aliases (`*name`) per document; more is refused',
  },
  {
    name: 'ICSP_YAML_MAX_ALIAS_NODES',
    area: 'input',
    default: '100000',
    meaning:
      'nodes that aliases may add once expanded, per file ("billion laughs" is refused after this many); an ' +
      'alias to its own ancestor (a cycle) and an expanded nesting over 200 levels are always refused',
  },
  {
    name: 'ICSP_CLUSTER_NAME',
    area: 'process',
    default: '(the policy source label)',
    meaning: 'cluster name shown in every message',
  },
  { name: 'ICSP_RATE_LIMIT', area: 'slack', default: '10/60', meaning: 'per-user limit: N requests per S seconds' },
  {
    name: 'ICSP_MAX_LIVE_CHECKS',
    area: 'slack',
    default: '2',
    meaning: 'global cap on concurrent live checks (more wait in a queue of 4x that size, then are refused)',
  },
  {
    name: 'ICSP_SLACK_WORKERS',
    area: 'slack',
    default: '8',
    meaning:
      'how many requests do Slack work (explain, posts, uploads) at once; more ' +
      'wait after their ack (a live check does not hold a worker)',
  },
  {
    name: 'ICSP_USERGROUP_CACHE_SECONDS',
    area: 'slack',
    default: '300',
    meaning: 'how long user-group membership (usergroups.users.list) is cached',
  },
  {
    name: 'ICSP_LIVE_CHECK_TIMEOUT_SECONDS',
    area: 'slack',
    default: '180',
    meaning: 'a live check is aborted after this long',
  },
  {
    name: 'ICSP_SLACK_MAX_RETRY_AFTER_SECONDS',
    area: 'slack',
    default: '30',
    meaning: 'a 429 with a longer Retry-After is reported, not waited for',
  },
  {
    name: 'ICSP_SLACK_RETRIES',
    area: 'slack',
    default: '3',
    meaning: 'how often a rate-limited Slack call is retried',
  },
  {
    name: 'ICSP_METRICS_PORT',
    area: 'process',
    default: '8080',
    meaning: 'port of `/healthz`, `/readyz` and `/metrics` (0 = any free port)',
  },
  {
    name: 'ICSP_METRICS_HOST',
    area: 'process',
    default: '0.0.0.0',
    meaning: 'listen address of the health and metrics server',
  },
  {
    name: 'LOG_LEVEL',
    area: 'process',
    default: 'info',
    meaning: 'pino level: fatal, error, warn, info, debug, trace, silent',
  },
  {
    name: 'ICSP_KUBECONFIGS',
    area: 'process',
    default: '(one cluster)',
    meaning:
      'a fleet: directory of kubeconfig files (a mounted Secret, one key per cluster; the ' +
      'key is the cluster name); commands take `cluster=NAME` or `cluster=all`',
  },
  {
    name: 'ICSP_KUBECONFIG_CONTEXTS',
    area: 'process',
    default: '(one cluster)',
    meaning:
      'a fleet from one kubeconfig: `all` or comma-separated context ' +
      'names (each context is a cluster, named by the context)',
  },
  {
    name: 'ICSP_FLEET_CONNECT_TIMEOUT_SECONDS',
    area: 'process',
    default: '20',
    meaning:
      'a fleet cluster whose API server does not answer within this long is reported unreachable (and retried later)',
  },
  {
    name: 'https_proxy',
    area: 'slack',
    default: '(unset)',
    meaning: 'proxy for connections to Slack over https and wss (read before `HTTPS_PROXY`, as curl does)',
  },
  {
    name: 'HTTPS_PROXY',
    area: 'slack',
    default: '(direct)',
    meaning:
      'proxy for connections to Slack over https and wss: ' +
      '`http://[user:password@]host:port`; the Kubernetes API is never proxied',
  },
  {
    name: 'http_proxy',
    area: 'slack',
    default: '(unset)',
    meaning: 'proxy for connections to Slack over http and ws (read before `HTTP_PROXY`)',
  },
  {
    name: 'HTTP_PROXY',
    area: 'slack',
    default: '(direct)',
    meaning: 'proxy for connections to Slack over http and ws, and over https when no https proxy is set',
  },
  { name: 'no_proxy', area: 'slack', default: '(unset)', meaning: 'hosts reached directly (read before `NO_PROXY`)' },
  {
    name: 'NO_PROXY',
    area: 'slack',
    default: '(none)',
    meaning: 'hosts reached directly: names (with their subdomains), `.suffix`, IPs, CIDRs, `host:port`, `*`',
  },
  {
    name: 'ICSP_ALLOW_SHARED_SLACK_APP',
    area: 'slack',
    default: 'false',
    meaning: 'Socket Mode: start even when Slack reports another open connection of the same app (`true`/`false`)',
  },
  {
    name: 'KUBECONFIG',
    area: 'live',
    default: 'in-cluster, else `~/.kube/config`',
    meaning: 'the cluster (cluster mode)',
  },
  {
    name: 'ICSP_DEBUG_IMAGE',
    area: 'live',
    default: 'ImageStream `openshift/tools:latest`, else `registry.redhat.io/rhel9/support-tools`',
    meaning: 'image of the debug pods (set a mirrored one on disconnected clusters)',
  },
  {
    name: 'ICSP_DEBUG_NAMESPACE',
    area: 'live',
    default: 'icsp-bot-debug',
    meaning: 'where debug pods run (Pod Security `privileged` there only)',
  },
  {
    name: 'ICSP_DEBUG_DEADLINE_SECONDS',
    area: 'live',
    default: '120',
    meaning: "the debug pod's `activeDeadlineSeconds` (the bot waits 10 s more at most)",
  },
  { name: 'ICSP_LIVE_NODE_CONCURRENCY', area: 'live', default: '5', meaning: 'debug pods at once within one check' },
  { name: 'ICSP_LIVE_MAX_NODES', area: 'live', default: '100', meaning: 'nodes per check at most (`nodes=all`)' },
  {
    name: 'ICSP_NOTIFY_CHANNEL',
    area: 'rollout',
    default: '(off)',
    meaning: 'channel ID for rollout notices; unset = no notices',
  },
  {
    name: 'ICSP_COALESCE_SECONDS',
    area: 'rollout',
    default: '20',
    meaning: 'a burst of policy changes within this quiet period makes one notice (at most 3x the window)',
  },
  {
    name: 'ICSP_RENDER_TIMEOUT_SECONDS',
    area: 'rollout',
    default: '600',
    meaning: 'how long the rendered configs may take to pick up a change before it is reported stuck',
  },
  {
    name: 'ICSP_STALL_SECONDS',
    area: 'rollout',
    default: '1800',
    meaning: 'a pool with no progress, or a node Working on its update, for this long is reported stuck',
  },
  {
    name: 'ICSP_UPDATE_INTERVAL_SECONDS',
    area: 'rollout',
    default: '10',
    meaning: 'minimum time between two progress edits of one notice',
  },
  {
    name: 'ICSP_BOT_NAMESPACE',
    area: 'rollout',
    default: '`POD_NAMESPACE`, else icsp-bot',
    meaning: 'namespace of the state ConfigMap and the Lease',
  },
  {
    name: 'ICSP_STATE_CONFIGMAP',
    area: 'rollout',
    default: 'icsp-bot-rollouts',
    meaning: 'ConfigMap holding the notifier state (restart-safe, no duplicate notices)',
  },
  {
    name: 'ICSP_LEASE_NAME',
    area: 'rollout',
    default: 'icsp-bot-notifier',
    meaning: 'Lease electing the one notifier among replicas (empty = no election)',
  },
  { name: 'ICSP_LEASE_SECONDS', area: 'rollout', default: '15', meaning: 'Lease duration' },
  {
    name: 'ICSP_POOL_SELECTOR',
    area: 'rollout',
    default: '(all pools)',
    meaning: 'label selector of the MachineConfigPools followed',
  },
  {
    name: 'POD_NAME',
    area: 'rollout',
    default: 'the host name',
    meaning: 'identity in the Lease (the Deployment sets it)',
  },
  {
    name: 'POD_NAMESPACE',
    area: 'rollout',
    default: '(unset)',
    meaning: "the bot's namespace (the Deployment sets it): the default of `ICSP_BOT_NAMESPACE`",
  },
  {
    name: 'ICSP_TRIAGE_CHANNEL',
    area: 'triage',
    default: '(off)',
    meaning: 'channel ID for triage notices: pods that cannot pull, one message per (image, cause); unset = off',
  },
  {
    name: 'ICSP_TRIAGE_NAMESPACES',
    area: 'triage',
    default: '(all)',
    meaning: 'comma-separated namespaces (or prefixes ending in `*`) the triage channel watches',
  },
  {
    name: 'ICSP_TRIAGE_EXCLUDE_NAMESPACES',
    area: 'triage',
    default: '(none)',
    meaning: 'comma-separated namespaces (or prefixes ending in `*`) the triage channel never reports',
  },
  {
    name: 'ICSP_TRIAGE_MAX_POSTS_PER_HOUR',
    area: 'triage',
    default: '10',
    meaning: 'new triage messages per hour; more causes are listed in one summary message',
  },
  {
    name: 'ICSP_TRIAGE_UPDATE_SECONDS',
    area: 'triage',
    default: '10',
    meaning: 'a triage message is edited at most this often as its burst grows',
  },
  {
    name: 'ICSP_TRIAGE_RESOLVE_SECONDS',
    area: 'triage',
    default: '30',
    meaning: 'how often the pods of open triage messages are checked for a successful pull',
  },
];

const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));

/** The row of `name`; throws for a variable that is not in the table (a programming error, caught by any test). */
export function settingSpec(name: string): SettingSpec {
  const s = BY_NAME.get(name);
  if (s === undefined)
    throw new Error(
      `${name} is not in the settings table (src/settings/settings-table.ts): add it there and to the README`,
    );
  return s;
}

/** The table as the README prints it. */
export function settingsMarkdown(): string {
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...SETTINGS.map((s) => `| \`${s.name}\` | ${s.default} | ${s.meaning} |`),
  ].join('\n');
}
