// The bot's composition root (`npm start`): reads the environment, builds the policy source (offline from
// ICSP_POLICIES, else the cluster's live policies), the live checker (cluster mode), starts Bolt, and on
// SIGTERM deletes the debug pods in flight before it stops. Invalid settings: one line each on stderr, exit 2.
import type { KubeConfig } from '@kubernetes/client-node';
import { createClusterLiveChecker, liveCheckSettingsFromEnv } from './cluster/live-checker.ts';
import type { ClusterLiveChecker } from './cluster/live-checker.ts';
import { readPoolStatus } from './cluster/pool-status.ts';
import { createRolloutNotifier, rolloutSettingsFromEnv } from './composition/rollout-notifier.ts';
import type { RolloutNotifier } from './composition/rollout-notifier.ts';
import { SlackChatSink } from './slack/chat-sink.ts';
import { loadPolicyPaths } from './files/policy-files.ts';
import { inputLimitsFromEnv } from './files/input-limits.ts';
import { createLogger } from './observability/logger.ts';
import type { Logger } from './observability/logger.ts';
import type { PolicySet } from './domain/policy-set.ts';
import type { PolicySource } from './ports/live-check.ts';
import { startHealthServer } from './observability/health-server.ts';
import type { HealthServer } from './observability/health-server.ts';
import { instrumentChatSink, instrumentLiveChecker, instrumentPolicySource } from './observability/instrument.ts';
import { readWhatIfState } from './cluster/what-if-state.ts';
import type { WhatIfClusterState } from './ports/what-if.ts';
import { createMetrics } from './observability/metrics.ts';
import type { PolicyObject } from './types/openshift.ts';
import { createSlackBot } from './slack/app.ts';
import { createTriageChannel, triageSettingsFromEnv } from './composition/triage-notifier.ts';
import type { TriageChannel } from './composition/triage-notifier.ts';
import { ClusterPodFacts } from './cluster/pod-facts.ts';
import { fixedPolicySource } from './app/why.ts';
import type { SlackBot } from './slack/app.ts';
import type { PolicyLine } from './slack/blocks.ts';
import { loadConfig } from './slack/config.ts';
import { processEnv } from './settings/process-env.ts';
import type { Env } from './settings/settings-reader.ts';
import { loadKubeconfig } from './cluster/kubeconfig.ts';
import { SettingsReader } from './settings/settings-reader.ts';
import { createSlackOutbound, proxySecrets, proxySettingsFromEnv } from './slack/outbound.ts';
import type { BotConfig } from './slack/config.ts';
import { errorText, messageOf } from './domain/error-text.ts';
import type { Explanation } from './domain/explain.ts';
import { fleetFromContexts, fleetFromDirectory } from './cluster/fleet-kubeconfigs.ts';
import type { FleetMember } from './cluster/fleet-kubeconfigs.ts';
import { createFleet } from './composition/fleet.ts';
import type { RunningFleet } from './composition/fleet.ts';
import type { ReadinessCheck } from './observability/health-server.ts';
import type { LogSink } from './ports/logger.ts';

/**
 * Cluster mode (no ICSP_POLICIES): the kubeconfig from KUBECONFIG, ~/.kube/config or the in-cluster
 * ServiceAccount; the checker starts the policy watches and sweeps leftover debug pods.
 */
export async function createClusterChecker(
  env: Record<string, string | undefined>,
  kc: KubeConfig = loadKubeConfig(env),
  logger?: LogSink,
): Promise<ClusterLiveChecker> {
  const { settings, errors } = liveCheckSettingsFromEnv(env);
  if (errors.length > 0) throw new Error(errors.join('; '));
  // The bot answers from a worker thread: rendering oc-mirror-sized policies must not hold the acks.
  return createClusterLiveChecker(kc, {
    planEngine: 'worker',
    ...settings,
    ...(logger !== undefined ? { logger } : {}),
  });
}

/** KUBECONFIG, ~/.kube/config or the in-cluster ServiceAccount; one line when none is usable. */
export function loadKubeConfig(env: Env = {}): KubeConfig {
  return loadKubeconfig({ env, hint: 'set KUBECONFIG, run in the cluster, or set ICSP_POLICIES for offline mode' });
}

/** Offline: the files do not change while the bot runs, so one generation, built before Slack connects. */
export function filePolicySource(policies: PolicySet, label = 'offline (files)'): PolicySource {
  return { ...fixedPolicySource(label, { policies }), fixContext: async () => ({ policies }) };
}

export function policyLines(objects: PolicyObject[], filter: string | null): PolicyLine[] {
  const lines: PolicyLine[] = [];
  for (const o of objects) {
    let rules: PolicyLine['rules'];
    if (o.kind === 'ImageContentSourcePolicy')
      rules = (o.spec.repositoryDigestMirrors ?? []).map((r) => ({ source: r.source, mirrors: r.mirrors ?? [] }));
    else if (o.kind === 'ImageDigestMirrorSet')
      rules = (o.spec.imageDigestMirrors ?? []).map((r) => ({
        source: r.source,
        mirrors: r.mirrors ?? [],
        ...(r.mirrorSourcePolicy ? { policy: r.mirrorSourcePolicy } : {}),
      }));
    else if (o.kind === 'ImageTagMirrorSet')
      rules = (o.spec.imageTagMirrors ?? []).map((r) => ({
        source: r.source,
        mirrors: r.mirrors ?? [],
        ...(r.mirrorSourcePolicy ? { policy: r.mirrorSourcePolicy } : {}),
      }));
    else continue;
    const line = { kind: o.kind, name: o.metadata.name, rules };
    if (filter === null || JSON.stringify(line).toLowerCase().includes(filter.toLowerCase())) lines.push(line);
  }
  return lines;
}

function policyObjectsOf(checker: ClusterLiveChecker): PolicyObject[] {
  // The generation answers come from (no new snapshot per /icsp policies).
  const s = checker.generations.latest?.policies ?? checker.policies.snapshot().policies;
  return [...s.icsps, ...s.idms, ...s.itms];
}

/** A fleet is ready while at least one cluster answers; the others are named in /readyz. */
function fleetReadiness(fleet: RunningFleet, size: number): ReadinessCheck {
  return {
    name: 'fleet',
    check: () => {
      const p = fleet.problems();
      return p.length >= size ? `no cluster ready: ${p.map((x) => `${x.name}: ${x.problem}`).join('; ')}` : undefined;
    },
    info: () => {
      const p = fleet.problems();
      return p.length === 0
        ? `${size} clusters ready`
        : `${size - p.length} of ${size} clusters ready; ${p.map((x) => `${x.name}: ${x.problem}`).join('; ')}`;
    },
  };
}

export interface Started {
  bot: SlackBot;
  port?: number;
  logger: Logger;
  health: HealthServer;
  clusterChecker?: ClusterLiveChecker;
  /** Graceful stop: no new commands, debug pods in flight deleted, Slack closed. */
  shutdown(signal: string): Promise<void>;
}

export interface StartHooks {
  createClusterChecker?: (
    env: Record<string, string | undefined>,
    kc: KubeConfig,
    logger?: LogSink,
  ) => Promise<ClusterLiveChecker>;
}

/** Builds and starts the bot; returns the error lines instead when the settings are invalid. */
export async function startBot(
  env: Record<string, string | undefined>,
  hooks: StartHooks = { createClusterChecker },
): Promise<Started | { errors: string[] }> {
  const loaded = loadConfig(env);
  const errors = loaded.ok ? [] : [...loaded.errors];
  const processSettings = new SettingsReader(env);
  const metricsPort = processSettings.int('ICSP_METRICS_PORT', { min: 0, max: 65535 });
  const metricsHost = processSettings.text('ICSP_METRICS_HOST');
  const rollout = rolloutSettingsFromEnv(env);
  errors.push(...rollout.errors);
  const triage = triageSettingsFromEnv(env);
  errors.push(...triage.errors);
  const { settings: proxy, errors: proxyErrors } = proxySettingsFromEnv(env);
  errors.push(...proxyErrors);
  const allowSharedApp = processSettings.oneOf('ICSP_ALLOW_SHARED_SLACK_APP', ['true', 'false']) === 'true';
  const fleetDir = processSettings.raw('ICSP_KUBECONFIGS');
  const fleetContexts = processSettings.raw('ICSP_KUBECONFIG_CONTEXTS');
  const fleetTimeoutMs = processSettings.seconds('ICSP_FLEET_CONNECT_TIMEOUT_SECONDS', { min: 1, max: 600 }) * 1000;
  errors.push(...processSettings.errors);
  if (!loaded.ok || errors.length > 0) return { errors };
  const config: BotConfig = loaded.config;
  const logger = createLogger({
    level: config.logLevel,
    secrets: [config.botToken, config.appToken ?? '', config.signingSecret ?? '', ...proxySecrets(proxy)],
    name: 'icsp-bot',
  });
  const outbound = createSlackOutbound(proxy);
  const slackUrl = config.apiUrl ?? 'https://slack.com/api/';
  // One Slack sink for every notifier (rollout, triage; per cluster in a fleet), through the proxy when one is set.
  let chatSink: ReturnType<typeof instrumentChatSink> | undefined;
  const slackChat = (): ReturnType<typeof instrumentChatSink> =>
    (chatSink ??= instrumentChatSink(
      new SlackChatSink({
        token: config.botToken,
        fetch: outbound.fetch,
        ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
      }),
      metrics,
    ));
  const metrics = createMetrics();
  let objects: () => PolicyObject[];
  let policySource: PolicySource;
  let clusterChecker: ClusterLiveChecker | undefined;
  let kc: KubeConfig | undefined;
  let gauges: NodeJS.Timeout | undefined;
  let fleet: RunningFleet | undefined;
  let fleetMembers: FleetMember[] = [];
  if (config.policies.length > 0) {
    try {
      const p = await loadPolicyPaths(config.policies, process.stdin, inputLimitsFromEnv(env));
      for (const w of p.warnings) logger.warn({ warning: w }, 'policy files');
      objects = () => p.objects;
      policySource = filePolicySource(p.policies);
    } catch (e) {
      return { errors: [`ICSP_POLICIES: ${messageOf(e)}`] };
    }
  } else if (fleetDir !== undefined || fleetContexts !== undefined) {
    // One bot, several clusters: each connects on its own; an unreachable one never holds up the others.
    try {
      fleetMembers =
        fleetDir !== undefined
          ? fleetFromDirectory(fleetDir)
          : fleetFromContexts(loadKubeConfig(env), fleetContexts ?? 'all');
    } catch (e) {
      return { errors: [errorText(e)] };
    }
    const running = createFleet(fleetMembers, {
      connect: (k) =>
        (hooks.createClusterChecker ?? createClusterChecker)(env, k, logger.child({ component: 'live-checks' })),
      poolStatus: async (k) => (await readPoolStatus(k)).lines,
      policyLines: (c, f) => policyLines(policyObjectsOf(c), f),
      instrument: (c) => instrumentLiveChecker(c, metrics),
      podFacts: (k) => new ClusterPodFacts(k),
      connectTimeoutMs: fleetTimeoutMs,
      log: (msg, fields) => (msg === 'cluster unreachable' ? logger.warn(fields, msg) : logger.info(fields, msg)),
    });
    fleet = running;
    policySource = {
      cluster: config.clusterName ?? `fleet of ${fleetMembers.length}`,
      explain: () => Promise.reject(new Error('this bot serves several clusters: add cluster=NAME or cluster=all')),
    };
    objects = () => running.checkers().flatMap(({ checker }) => policyObjectsOf(checker));
  } else {
    try {
      kc = loadKubeConfig(env);
      clusterChecker = await (hooks.createClusterChecker ?? createClusterChecker)(
        env,
        kc,
        logger.child({ component: 'live-checks' }),
      );
    } catch (e) {
      return { errors: [`cluster: ${errorText(e)}`] };
    }
    const checker = clusterChecker;
    policySource = checker.policySource;
    objects = () => policyObjectsOf(checker);
    const refresh = (): void => {
      metrics.debugPodsInFlight.set(checker.pods.inFlight());
      metrics.watchRestarts.set({ source: 'policies' }, checker.policies.restarts);
    };
    refresh();
    gauges = setInterval(refresh, 5_000);
    gauges.unref();
  }
  // Rollout notices (ICSP_NOTIFY_CHANNEL) need the cluster; one replica notifies (Lease).
  let notifier: RolloutNotifier | undefined;
  const fleetNotifiers: RolloutNotifier[] = [];
  if (rollout.settings !== null && kc !== undefined) {
    const chat = slackChat();
    notifier = createRolloutNotifier(kc, chat, {
      ...rollout.settings,
      cluster: config.clusterName ?? rollout.settings.cluster,
      logger: logger.child({ component: 'rollout' }),
    });
    await notifier.start();
  } else if (rollout.settings !== null && fleet !== undefined) {
    // One notifier per cluster, each with its own state ConfigMap and Lease in that cluster, named in its notices.
    const chat = slackChat();
    for (const m of fleetMembers) {
      const n = createRolloutNotifier(m.kubeConfig, chat, {
        ...rollout.settings,
        cluster: m.name,
        logger: logger.child({ cluster: m.name }),
      });
      fleetNotifiers.push(n);
      n.start().catch((e: unknown) =>
        logger.warn({ cluster: m.name, err: errorText(e) }, 'rollout notices: cannot start for this cluster'),
      );
    }
  } else if (rollout.settings !== null) {
    logger.warn('ICSP_NOTIFY_CHANNEL is set but the bot runs offline (ICSP_POLICIES): rollout notices need a cluster');
  }
  // The triage channel (ICSP_TRIAGE_CHANNEL): the rollout notices' Lease decides who posts, when they run.
  let triageChannel: TriageChannel | undefined;
  const fleetTriage: TriageChannel[] = [];
  if (triage.settings !== null && kc !== undefined) {
    const chat = slackChat();
    const rolloutNotifier = notifier;
    triageChannel = createTriageChannel(
      kc,
      chat,
      { ...triage.settings, cluster: config.clusterName ?? triage.settings.cluster },
      (image) => policySource.explain(image),
      {
        logger,
        ...(rolloutNotifier !== undefined
          ? {
              leadership: {
                get isLeader() {
                  return rolloutNotifier.isLeader;
                },
              },
            }
          : {}),
      },
    );
    await triageChannel.start();
  } else if (triage.settings !== null && fleet !== undefined) {
    // One triage channel watch per cluster, each explaining with that cluster's policies and naming the cluster.
    const chat = slackChat();
    const running = fleet;
    fleetMembers.forEach((m, i) => {
      const rolloutNotifier = fleetNotifiers[i];
      const explainHere = async (image: string): Promise<Explanation> =>
        (await running.get(m.name)).policySource.explain(image);
      const channel = createTriageChannel(m.kubeConfig, chat, { ...triage.settings!, cluster: m.name }, explainHere, {
        logger: logger.child({ cluster: m.name }),
        ...(rolloutNotifier !== undefined
          ? {
              leadership: {
                get isLeader() {
                  return rolloutNotifier.isLeader;
                },
              },
            }
          : {}),
      });
      fleetTriage.push(channel);
      channel
        .start()
        .catch((e: unknown) =>
          logger.warn({ cluster: m.name, err: errorText(e) }, 'triage channel: cannot start for this cluster'),
        );
    });
  } else if (triage.settings !== null) {
    logger.warn(
      'ICSP_TRIAGE_CHANNEL is set but the bot runs offline (ICSP_POLICIES): the triage channel needs a cluster',
    );
  }
  const clusterKc = kc;
  // what-if: against the cluster, the watched policies plus pools, MachineConfiguration and pods read once per request.
  const filePolicies = config.policies.length > 0 ? (await policySource.fixContext?.())?.policies : undefined;
  const whatIfState = async (): Promise<WhatIfClusterState> => {
    if (clusterKc !== undefined && clusterChecker !== undefined)
      return readWhatIfState(clusterKc, clusterChecker.policies.snapshot().policies);
    return {
      policies: filePolicies ?? { icsps: [], idms: [], itms: [] },
      images: new Map(),
      pools: [],
      machineConfiguration: null,
      notes: ['offline (policy files): no pods, pools or NodeDisruptionPolicy read'],
    };
  };
  const bot = createSlackBot({
    config,
    logger,
    policySource: instrumentPolicySource(policySource, metrics),
    liveChecker: clusterChecker === undefined ? undefined : instrumentLiveChecker(clusterChecker, metrics),
    listPolicies: async (f) => policyLines(objects(), f),
    whatIfState,
    ...(notifier !== undefined
      ? { poolStatus: () => notifier.poolStatus() }
      : clusterKc !== undefined
        ? { poolStatus: async () => (await readPoolStatus(clusterKc)).lines }
        : {}),
    ...(clusterKc !== undefined ? { podFacts: new ClusterPodFacts(clusterKc) } : {}),
    observeSlackCall: (event, error) =>
      event === 'retry'
        ? metrics.slackRetries.inc({ method: 'web-api' })
        : metrics.slackApiErrors.inc({ method: 'web-api', error }),
    outbound,
    allowSharedApp,
    ...(fleet === undefined ? {} : { fleet }),
  });
  const checker = clusterChecker;
  // Health first: while Slack cannot be reached (proxy, CA), /readyz already says why.
  const health = await startHealthServer({
    port: metricsPort,
    host: metricsHost,
    registry: metrics.registry,
    checks: () => [
      {
        name: 'slack',
        check: () => {
          const route = outbound.describe(slackUrl);
          if (!bot.connected()) {
            const last = outbound.lastError();
            return `not connected to Slack (${route}${last === undefined ? '' : `: ${last}`})`;
          }
          return bot.sharedConnectionWarning();
        },
        info: () => `connected ${outbound.describe(slackUrl)}`,
      },
      ...(checker === undefined
        ? []
        : [
            {
              name: 'cluster',
              check: () =>
                !checker.policies.synced
                  ? 'policy watches not synced yet'
                  : checker.policies.stale
                    ? 'policy watches are stale (no contact with the API server)'
                    : undefined,
            },
          ]),
      ...(fleet === undefined ? [] : [fleetReadiness(fleet, fleetMembers.length)]),
    ],
  });
  const r = await bot.start().catch(async (e: unknown) => {
    await health.close();
    throw e;
  });
  logger.info(
    {
      mode: config.mode,
      slack: outbound.describe(slackUrl),
      port: r.port,
      metricsPort: health.port,
      cluster: config.clusterName ?? policySource.cluster,
      liveChecks: clusterChecker !== undefined,
      policyObjects: objects().length,
    },
    'icsp-bot started',
  );
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal }, 'stopping: no new commands; deleting debug pods in flight');
      if (gauges !== undefined) clearInterval(gauges);
      // Pods first: they run as root on nodes and must not outlive the bot.
      await clusterChecker
        ?.shutdown()
        .catch((e: unknown) => logger.error({ err: messageOf(e) }, 'debug pod cleanup failed'));
      await fleet?.shutdown();
      await notifier?.stop();
      await triageChannel?.stop();
      await Promise.allSettled(fleetTriage.map((c) => c.stop()));
      await Promise.allSettled(fleetNotifiers.map((n) => n.stop()));
      await bot.stop();
      await outbound.close().catch(() => undefined);
      await health.close();
    })();
    return stopping;
  };
  return { bot, logger, health, shutdown, ...(clusterChecker ? { clusterChecker } : {}), ...r };
}

async function main(): Promise<void> {
  process.on('unhandledRejection', (e) => {
    console.error(`icsp-bot: unhandled rejection: ${messageOf(e)}`);
  });
  let started: Awaited<ReturnType<typeof startBot>>;
  try {
    started = await startBot(processEnv());
  } catch (e) {
    console.error(`icsp-bot: cannot start: ${errorText(e)}`);
    process.exit(1);
  }
  if ('errors' in started) {
    for (const l of started.errors) console.error(`icsp-bot: ${l}`);
    process.exit(2);
  }
  const { logger, shutdown } = started;
  const stop = (signal: string): void => {
    shutdown(signal).then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: messageOf(e) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) void main();
