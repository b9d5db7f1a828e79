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
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';
import { settingSpec } from '../settings/settings-table.ts';
import { RolloutNotifier } from '../rollout/notifier.ts';
import type { NotifierSettings } from '../rollout/notifier.ts';
import type { LogSink } from '../ports/logger.ts';
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
  logger?: LogSink;
}

/**
 * Reads ICSP_NOTIFY_CHANNEL (required to enable notices), ICSP_COALESCE_SECONDS, ICSP_RENDER_TIMEOUT_SECONDS,
 * ICSP_STALL_SECONDS, ICSP_UPDATE_INTERVAL_SECONDS, ICSP_BOT_NAMESPACE (POD_NAMESPACE, else icsp-bot),
 * ICSP_STATE_CONFIGMAP, ICSP_LEASE_NAME ("" disables the election), ICSP_LEASE_SECONDS, POD_NAME (else the host
 * name) as the lease identity, ICSP_POOL_SELECTOR, and ICSP_CLUSTER_NAME for the messages (defaults: the settings
 * table, src/settings/settings-table.ts). Returns null when ICSP_NOTIFY_CHANNEL is unset (notices off).
 */
/**
 * Where a notifier keeps its state and who may post, shared by the rollout notices and the triage channel:
 * ICSP_BOT_NAMESPACE (POD_NAMESPACE, else icsp-bot), ICSP_STATE_CONFIGMAP, ICSP_LEASE_NAME ("" disables the
 * election), ICSP_LEASE_SECONDS and POD_NAME (else the host name) as the Lease identity.
 */
export function notifierPlacement(r: SettingsReader): Pick<RolloutSettings, 'namespace' | 'stateConfigMap' | 'lease'> {
  const leaseName = r.exact('ICSP_LEASE_NAME') ?? settingSpec('ICSP_LEASE_NAME').default;
  return {
    namespace: r.raw('ICSP_BOT_NAMESPACE') ?? r.raw('POD_NAMESPACE') ?? 'icsp-bot',
    stateConfigMap: r.text('ICSP_STATE_CONFIGMAP'),
    lease:
      leaseName === ''
        ? null
        : {
            name: leaseName,
            identity: r.raw('POD_NAME') ?? hostname(),
            durationSeconds: r.seconds('ICSP_LEASE_SECONDS', { min: 2, max: 3600 }),
          },
  };
}

export function rolloutSettingsFromEnv(env: Env): { settings: RolloutSettings | null; errors: string[] } {
  const r = new SettingsReader(env);
  const channel = r.raw('ICSP_NOTIFY_CHANNEL');
  if (channel === undefined) return { settings: null, errors: r.errors };
  const poolSelector = r.raw('ICSP_POOL_SELECTOR');
  const settings: RolloutSettings = {
    channel,
    cluster: r.raw('ICSP_CLUSTER_NAME') ?? 'the cluster',
    coalesceMs: r.seconds('ICSP_COALESCE_SECONDS', { min: 0, max: 86_400 }) * 1000,
    renderTimeoutMs: r.seconds('ICSP_RENDER_TIMEOUT_SECONDS', { min: 1, max: 86_400 }) * 1000,
    stallMs: r.seconds('ICSP_STALL_SECONDS', { min: 1, max: 7 * 86_400 }) * 1000,
    updateIntervalMs: r.seconds('ICSP_UPDATE_INTERVAL_SECONDS', { min: 0, max: 86_400 }) * 1000,
    ...notifierPlacement(r),
    ...(poolSelector !== undefined ? { poolSelector } : {}),
  };
  return { settings, errors: r.errors };
}

export function createRolloutNotifier(kc: KubeConfig, chat: ChatSink, settings: RolloutSettings): RolloutNotifier {
  const sources = new ClusterRolloutSources(kc, {
    ...settings.watch,
    ...(settings.poolSelector ? { poolSelector: settings.poolSelector } : {}),
    ...(settings.logger ? { logger: settings.logger } : {}),
  });
  const store = new ConfigMapStateStore(kc, settings.namespace, settings.stateConfigMap, settings.logger);
  const leadership =
    settings.lease === null
      ? undefined
      : new LeaderLease(kc, {
          namespace: settings.namespace,
          name: settings.lease.name,
          identity: settings.lease.identity,
          leaseDurationSeconds: settings.lease.durationSeconds,
          ...(settings.clock ? { now: () => settings.clock!.now() } : {}),
          ...(settings.logger ? { logger: settings.logger } : {}),
        });
  return new RolloutNotifier(
    {
      sources,
      chat,
      store,
      ...(leadership ? { leadership } : {}),
      ...(settings.clock ? { clock: settings.clock } : {}),
      ...(settings.logger ? { logger: settings.logger } : {}),
    },
    settings,
  );
}
