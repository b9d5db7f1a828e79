// One bot for several clusters: each cluster (a kubeconfig of ICSP_KUBECONFIGS, or a context) gets its own live
// checker (policy watches, debug pods) and pool status, connected concurrently at start and again on demand when a
// cluster was unreachable, so one dead cluster never holds up the answers of the others.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterLiveChecker } from '../cluster/live-checker.ts';
import type { FleetMember } from '../cluster/fleet-kubeconfigs.ts';
import type { PoolStatus } from '../domain/rollout-status.ts';
import { errorText } from '../domain/error-text.ts';
import type { ClusterHandle, ClusterPolicyLine, Fleet } from '../ports/fleet.ts';
import type { LiveChecker } from '../ports/live-check.ts';
import type { PodFacts } from '../ports/pod-triage.ts';

export interface FleetOptions {
  /** Starts a cluster's checker (watches synced, leftover debug pods swept). */
  connect: (kc: KubeConfig, name: string) => Promise<ClusterLiveChecker>;
  poolStatus: (kc: KubeConfig) => Promise<PoolStatus[]>;
  policyLines: (checker: ClusterLiveChecker, filter: string | null) => ClusterPolicyLine[];
  /** What why pod reads from a cluster (it explains with that cluster's policies). */
  podFacts?: (kc: KubeConfig) => PodFacts;
  /** Decorates each checker (metrics). */
  instrument?: (checker: LiveChecker) => LiveChecker;
  /** A connect that takes longer is reported as unreachable (it goes on in the background). */
  connectTimeoutMs?: number;
  /** After a failed connect, the next request tries again once this long has passed. */
  retryAfterMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

interface Slot {
  member: FleetMember;
  connecting: Promise<ClusterLiveChecker> | undefined;
  checker: ClusterLiveChecker | undefined;
  failedAt: number;
  failure: string | undefined;
}

export interface RunningFleet extends Fleet {
  /** Checkers that are up (readiness, metrics, shutdown). */
  checkers(): Array<{ name: string; checker: ClusterLiveChecker }>;
  /** Per cluster: undefined when connected and synced, else why not (for /readyz). */
  problems(): Array<{ name: string; problem: string }>;
  /** Deletes every cluster's debug pods in flight and stops the watches. */
  shutdown(): Promise<void>;
}

export function createFleet(members: readonly FleetMember[], opts: FleetOptions): RunningFleet {
  const timeoutMs = opts.connectTimeoutMs ?? 20_000;
  const retryAfterMs = opts.retryAfterMs ?? 30_000;
  const slots = new Map<string, Slot>(
    members.map((m) => [
      m.name,
      { member: m, connecting: undefined, checker: undefined, failedAt: 0, failure: undefined },
    ]),
  );
  let stopped = false;

  function connect(slot: Slot): Promise<ClusterLiveChecker> {
    if (slot.checker !== undefined) return Promise.resolve(slot.checker);
    if (slot.connecting === undefined) {
      slot.connecting = opts.connect(slot.member.kubeConfig, slot.member.name).then(
        async (checker) => {
          if (stopped) {
            await checker.shutdown();
            throw new Error('the bot is stopping');
          }
          slot.checker = checker;
          slot.failure = undefined;
          opts.log?.('cluster connected', { cluster: slot.member.name });
          return checker;
        },
        (e: unknown) => {
          slot.failure = errorText(e);
          slot.failedAt = Date.now();
          slot.connecting = undefined;
          opts.log?.('cluster unreachable', { cluster: slot.member.name, err: slot.failure });
          throw e;
        },
      );
      // Nobody may be waiting (the start-up connect): the failure is kept in the slot, not thrown away unhandled.
      slot.connecting.catch(() => undefined);
    }
    const pending = slot.connecting;
    return new Promise<ClusterLiveChecker>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no answer from its API server within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      t.unref();
      pending.then(
        (c) => {
          clearTimeout(t);
          resolve(c);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  function handle(slot: Slot, checker: ClusterLiveChecker): ClusterHandle {
    const kc = slot.member.kubeConfig;
    return {
      name: slot.member.name,
      policySource: checker.policySource,
      liveChecker: opts.instrument ? opts.instrument(checker) : checker,
      poolStatus: () => opts.poolStatus(kc),
      listPolicies: async (filter) => opts.policyLines(checker, filter),
      ...(opts.podFacts ? { podFacts: opts.podFacts(kc) } : {}),
    };
  }

  // Every cluster starts connecting now; the bot does not wait for them.
  for (const slot of slots.values()) void connect(slot).catch(() => undefined);

  return {
    names: () => [...slots.keys()],
    async get(name) {
      const slot = slots.get(name);
      if (slot === undefined)
        throw new Error(`unknown cluster ${JSON.stringify(name)}: this bot serves ${[...slots.keys()].join(', ')}`);
      if (
        slot.checker === undefined &&
        slot.connecting === undefined &&
        slot.failure !== undefined &&
        Date.now() - slot.failedAt < retryAfterMs
      ) {
        throw new Error(`cluster ${name} is unreachable: ${slot.failure}`);
      }
      try {
        return handle(slot, await connect(slot));
      } catch (e) {
        throw new Error(`cluster ${name} is unreachable: ${errorText(e)}`, { cause: e });
      }
    },
    checkers: () =>
      [...slots.values()].flatMap((s) =>
        s.checker === undefined ? [] : [{ name: s.member.name, checker: s.checker }],
      ),
    problems: () =>
      [...slots.values()].flatMap((s) => {
        if (s.checker === undefined)
          return [
            { name: s.member.name, problem: s.failure === undefined ? 'connecting' : `unreachable: ${s.failure}` },
          ];
        const p = s.checker.policies;
        if (!p.synced) return [{ name: s.member.name, problem: 'policy watches not synced yet' }];
        if (p.stale)
          return [{ name: s.member.name, problem: 'policy watches are stale (no contact with the API server)' }];
        return [];
      }),
    async shutdown() {
      stopped = true;
      await Promise.allSettled([...slots.values()].map((s) => s.checker?.shutdown()));
    },
  };
}
