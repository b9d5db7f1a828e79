// Composition of the rollout notifier for src/main.ts: settings from the environment, the cluster sources, the
// ConfigMap state store, the leader Lease, and a chat sink. `createRolloutNotifier(kc, chat, settings)` returns the
// notifier; `notifier.poolStatus` is the `poolStatus` dependency of createSlackBot.
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigMapStateStore } from '../cluster/configmap-state-store.ts';
import { LeaderLease } from '../cluster/leader-lease.ts';
import type { WatchedCollectionOptions } from '../cluster/watched-collection.ts';
import type { ChatSink } from '../ports/chat-sink.ts';
import type { Clock } from '../ports/clock.ts';
import { RolloutNotifier } from '../rollout/notifier.ts';
import type { NotifierLogger, NotifierSettings } from '../rollout/notifier.ts';
import { ClusterRolloutSources } from '../cluster/rollout-sources.ts';

export { RolloutNotifier } from '../rollout/notifier.ts';

export interface RolloutSettings extends NotifierSettings {
  /** The bot's namespace: state ConfigMap and Lease live here (default icsp-bot). */
  namespace: string;
  /** ConfigMap holding the notifier state (default icsp-bot-rollouts). */
  stateConfigMap: string;
  /** Lease for leader election; null: no election (exactly one replica). */
  lease: { name: string; identity: string; durationSeconds: number } | null;
  /** Label selector of the MachineConfigPools followed (default all). */
  poolSelector?: string;
  watch?: WatchedCollectionOptions;
  clock?: Clock;
  logger?: NotifierLogger;
}

function seconds(env: Record<string, string | undefined>, name: string, def: number, errors: string[], min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    errors.push(`${name}: must be a number of seconds >= ${min}, got ${JSON.stringify(raw)}`);
    return def;
  }
  return n;
}

/**
 * Reads ICSP_NOTIFY_CHANNEL (required to enable notices), ICSP_COALESCE_SECONDS (20), ICSP_RENDER_TIMEOUT_SECONDS
 * (600), ICSP_STALL_SECONDS (1800), ICSP_UPDATE_INTERVAL_SECONDS (10), ICSP_BOT_NAMESPACE (POD_NAMESPACE, else icsp-bot),
 * ICSP_STATE_CONFIGMAP (icsp-bot-rollouts), ICSP_LEASE_NAME (icsp-bot-notifier; "" disables the election),
 * ICSP_LEASE_SECONDS (15), POD_NAME (else the host name) as the lease identity, ICSP_POOL_SELECTOR, and
 * ICSP_CLUSTER_NAME for the messages. Returns null when ICSP_NOTIFY_CHANNEL is unset (notices off).
 */
export function rolloutSettingsFromEnv(env: Record<string, string | undefined>): { settings: RolloutSettings | null; errors: string[] } {
  const errors: string[] = [];
  const channel = env.ICSP_NOTIFY_CHANNEL?.trim() ?? '';
  if (channel === '') return { settings: null, errors };
  const leaseName = env.ICSP_LEASE_NAME ?? 'icsp-bot-notifier';
  const settings: RolloutSettings = {
    channel,
    cluster: env.ICSP_CLUSTER_NAME?.trim() || 'the cluster',
    coalesceMs: seconds(env, 'ICSP_COALESCE_SECONDS', 20, errors) * 1000,
    renderTimeoutMs: seconds(env, 'ICSP_RENDER_TIMEOUT_SECONDS', 600, errors, 1) * 1000,
    stallMs: seconds(env, 'ICSP_STALL_SECONDS', 1800, errors, 1) * 1000,
    updateIntervalMs: seconds(env, 'ICSP_UPDATE_INTERVAL_SECONDS', 10, errors) * 1000,
    namespace: env.ICSP_BOT_NAMESPACE?.trim() || env.POD_NAMESPACE?.trim() || 'icsp-bot',
    stateConfigMap: env.ICSP_STATE_CONFIGMAP?.trim() || 'icsp-bot-rollouts',
    lease: leaseName === '' ? null : { name: leaseName, identity: env.POD_NAME?.trim() || hostname(), durationSeconds: seconds(env, 'ICSP_LEASE_SECONDS', 15, errors, 2) },
    ...(env.ICSP_POOL_SELECTOR?.trim() ? { poolSelector: env.ICSP_POOL_SELECTOR.trim() } : {}),
  };
  return { settings, errors };
}

export function createRolloutNotifier(kc: KubeConfig, chat: ChatSink, settings: RolloutSettings): RolloutNotifier {
  const sources = new ClusterRolloutSources(kc, { ...settings.watch, ...(settings.poolSelector ? { poolSelector: settings.poolSelector } : {}) });
  const store = new ConfigMapStateStore(kc, settings.namespace, settings.stateConfigMap);
  const leadership =
    settings.lease === null
      ? undefined
      : new LeaderLease(kc, {
          namespace: settings.namespace,
          name: settings.lease.name,
          identity: settings.lease.identity,
          leaseDurationSeconds: settings.lease.durationSeconds,
          ...(settings.clock ? { now: () => settings.clock!.now() } : {}),
          ...(settings.logger ? { onError: (m: string) => settings.logger!.warn({ err: m }, 'leader lease') } : {}),
        });
  return new RolloutNotifier({ sources, chat, store, ...(leadership ? { leadership } : {}), ...(settings.clock ? { clock: settings.clock } : {}), ...(settings.logger ? { logger: settings.logger } : {}) }, settings);
}
