// Composition of the triage channel (ICSP_TRIAGE_CHANNEL) for src/main.ts: the field-selected event watch, the
// classifier (the `why pod` triage on the node's plan), the pod probe, the state in the rollout notices'
// ConfigMap, and the rollout notices' Lease (one notifier among replicas). Off when the channel is unset.
import type { KubeConfig } from '@kubernetes/client-node';
import { TriageNotifier } from '../app/triage-notifier.ts';
import type { TriageLogger, TriageNotifierSettings } from '../app/triage-notifier.ts';
import { ConfigMapStateStore } from '../cluster/configmap-state-store.ts';
import { LeaderLease } from '../cluster/leader-lease.ts';
import { WhyPodClassifier } from '../app/pull-failure-classifier.ts';
import { ClusterPodFacts } from '../cluster/pod-facts.ts';
import { ClusterPodPullProbe } from '../cluster/pod-pull-probe.ts';
import { PullEventWatch } from '../cluster/pull-event-watch.ts';
import { ConfigMapTriageStateStore } from '../cluster/triage-state-store.ts';
import type { ChatSink } from '../ports/chat-sink.ts';
import type { Explanation } from '../domain/explain.ts';
import { errorText } from '../domain/error-text.ts';
import { HeapTrim } from '../runtime/heap-trim.ts';
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';
import { notifierPlacement } from './rollout-notifier.ts';

export interface TriageChannelSettings extends TriageNotifierSettings {
  namespace: string;
  stateConfigMap: string;
  lease: { name: string; identity: string; durationSeconds: number } | null;
  /** The rollout notices' channel, to link the notice of a change still rolling out. */
  rolloutChannel: string | null;
}

/** List pages (of LIST_PAGE_SIZE events) between two heap trims. */
const TRIM_EVERY_PAGES = 10;

const NS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\*?$|^[a-z0-9-]*\*$/;

/** ICSP_TRIAGE_* (and the rollout notices' namespace, ConfigMap and Lease settings); null when the channel is unset. */
export function triageSettingsFromEnv(env: Env): { settings: TriageChannelSettings | null; errors: string[] } {
  const r = new SettingsReader(env);
  const channel = r.raw('ICSP_TRIAGE_CHANNEL');
  if (channel === undefined) return { settings: null, errors: r.errors };
  const errors: string[] = [];
  const names = (v: string): string[] => {
    const l = r.list(v);
    for (const n of l)
      if (!NS.test(n)) errors.push(`${v}: "${n.slice(0, 80)}" is not a namespace name or a prefix ending in *`);
    return l;
  };
  const settings: TriageChannelSettings = {
    channel,
    cluster: r.raw('ICSP_CLUSTER_NAME') ?? 'the cluster',
    includeNamespaces: names('ICSP_TRIAGE_NAMESPACES'),
    excludeNamespaces: names('ICSP_TRIAGE_EXCLUDE_NAMESPACES'),
    maxPostsPerHour: r.int('ICSP_TRIAGE_MAX_POSTS_PER_HOUR', { min: 1, max: 1000 }),
    updateIntervalMs: r.seconds('ICSP_TRIAGE_UPDATE_SECONDS', { min: 0, max: 3600 }) * 1000,
    resolveIntervalMs: r.seconds('ICSP_TRIAGE_RESOLVE_SECONDS', { min: 1, max: 3600 }) * 1000,
    tickMs: 500,
    ...notifierPlacement(r),
    rolloutChannel: r.raw('ICSP_NOTIFY_CHANNEL') ?? null,
  };
  return { settings, errors: [...r.errors, ...errors] };
}

export interface TriageChannel {
  notifier: TriageNotifier;
  events: PullEventWatch;
  probe: ClusterPodPullProbe;
  heap: HeapTrim;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @param leadership the rollout notifier's Lease when it runs (shared: one leader for both); else one is made here
 */
export function createTriageChannel(
  kc: KubeConfig,
  chat: ChatSink,
  s: TriageChannelSettings,
  explainPolicies: (image: string) => Promise<Explanation>,
  opts: { leadership?: { readonly isLeader: boolean }; logger?: TriageLogger; watchFrom?: string } = {},
): TriageChannel {
  // a list of tens of thousands of events is a burst of garbage whose freed pages V8 would keep: a memory-reducing
  // GC every TRIM_EVERY_PAGES pages and once the listed events are worked through (src/runtime/heap-trim.ts)
  const heap = new HeapTrim();
  let pages = 0;
  const events: PullEventWatch = new PullEventWatch(kc, {
    // between list pages, wait until the notifier has worked through its queue (declared below, called later)
    room: async (): Promise<void> => {
      await notifier.room();
      if (++pages % TRIM_EVERY_PAGES === 0) await heap.trim();
    },
    listed: (): void => void notifier.drained().then(() => heap.trim()),
    ...(opts.watchFrom !== undefined ? { initialResourceVersion: opts.watchFrom } : {}),
    ...(opts.logger
      ? {
          onError: (e: unknown) => opts.logger!.warn({ err: errorText(e) }, 'triage: event watch'),
        }
      : {}),
  });
  const rolloutState = new ConfigMapStateStore(kc, s.namespace, s.stateConfigMap);
  const rolloutLink = async (): Promise<string | null> => {
    if (s.rolloutChannel === null) return null;
    const st = await rolloutState.load().catch(() => null);
    const active = st?.rollouts.filter((x) => x.doneAt === null && !x.superseded && x.ts !== null).at(-1);
    return active?.ts == null ? null : `https://slack.com/archives/${active.channel}/p${active.ts.replace('.', '')}`;
  };
  const classifier = new WhyPodClassifier(
    { pods: new ClusterPodFacts(kc), policies: { cluster: s.cluster, explain: explainPolicies } },
    rolloutLink,
  );
  const own =
    opts.leadership === undefined && s.lease !== null
      ? new LeaderLease(kc, {
          namespace: s.namespace,
          name: s.lease.name,
          identity: s.lease.identity,
          leaseDurationSeconds: s.lease.durationSeconds,
        })
      : undefined;
  const leadership = opts.leadership ?? own;
  const probe = new ClusterPodPullProbe(kc);
  const notifier: TriageNotifier = new TriageNotifier(
    {
      events,
      classifier,
      probe,
      chat,
      store: new ConfigMapTriageStateStore(kc, s.namespace, s.stateConfigMap),
      ...(leadership !== undefined ? { leadership } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    },
    s,
  );
  return {
    notifier,
    events,
    probe,
    heap,
    async start() {
      await own?.start();
      await notifier.start();
    },
    async stop() {
      notifier.stop();
      heap.close();
      await own?.stop();
    },
  };
}
