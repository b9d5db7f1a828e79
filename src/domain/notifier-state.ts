// What the notifier remembers across restarts (the notifications-engine "notified" pattern): the policy state it
// last accounted for (the "before" of the next change) and one record per rollout with its message, the stuck
// items already said, the progress marks of the stall check, and the completion marker keyed by the rendered
// configs it was verified on. Pure data and rules; where it is kept is the StateStore port (src/ports/state-store.ts).
import type { ChangeDescription, ChangedObject, PolicyState, RenderedConfig } from './rollout-change.ts';
import type { Refusal } from './rollout-transition.ts';
import type { ProgressMarks } from './rollout-progress.ts';

export interface RolloutRecord {
  /** change key + start time: unique per rollout. */
  id: string;
  change: ChangeDescription;
  startedAt: number;
  channel: string;
  /** The header message; null until posted (a crash before posting re-posts it, never twice after). */
  ts: string | null;
  /** Last header text sent, so only real changes are edited in. */
  lastHeader: string | null;
  lastUpdateAt: number;
  /** Stuck items said in the thread and not yet resolved: key -> text. */
  openStuck: Record<string, string>;
  doneAt: number | null;
  /** The "notified" marker: pool -> rendered config the completion was verified on. */
  doneTargets: Record<string, string> | null;
  superseded: boolean;
  /**
   * For the stall check: when each progressing pool last made progress and since when each node is Working
   * (absent in state written before the stall check existed: counting starts at the next pass).
   */
  marks?: ProgressMarks;
}

/** The MCO refuses the current objects: said once (one message), resolved in its thread when it accepts again. */
export interface RefusalRecord {
  id: string;
  refusal: Refusal;
  startedAt: number;
  channel: string;
  /** The message; null until posted (recorded before posting, like a rollout). */
  ts: string | null;
  /** When the MCO accepted the objects again; the resolved reply is then due. */
  clearedAt: number | null;
  /** The objects rolled out a change when the refusal cleared (else they render as the last accepted config). */
  clearedWithChange: boolean;
  /**
   * The refused objects were changed and are still refused: the reply due in the thread (and the message edited
   * to `refusal`, which is then the current one); null once said. Absent in older state: none.
   */
  followUp?: { objects: ChangedObject[]; error: string; sameReason: boolean } | null;
  /** The message was edited after a follow-up (absent: never). */
  followedUp?: boolean;
}

export interface NotifierState {
  version: 1;
  /** The policy state last accounted for (the objects as they are, refused or not). */
  baseline: PolicyState | null;
  /**
   * The render the MCO last accepted: what the nodes are given, the "before" of the next rollout. Absent in state
   * written before it was kept (see lastAccepted); null when unknown.
   */
  accepted?: RenderedConfig | null;
  /** The open refusal, if any (absent in older state: none). */
  refusal?: RefusalRecord | null;
  rollouts: RolloutRecord[];
}

export const emptyState = (): NotifierState => ({ version: 1, baseline: null, rollouts: [] });

/**
 * The last accepted render. State written before it was kept: the baseline when the MCO accepted it, else the
 * newest rollout that was accepted, else unknown (null).
 */
export function lastAccepted(s: NotifierState): RenderedConfig | null {
  if (s.accepted !== undefined) return s.accepted;
  if (s.baseline === null) return null;
  if (s.baseline.config.error === null) return s.baseline.config;
  const newest = [...s.rollouts]
    .filter((r) => r.change.after.error === null)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
  return newest?.change.after ?? null;
}

export const isActive = (r: RolloutRecord): boolean => r.doneAt === null && !r.superseded;

/** Finished rollouts kept for reference (newest first), bounded. */
export function pruneState(s: NotifierState, keepFinished = 20): NotifierState {
  const active = s.rollouts.filter(isActive);
  const finished = s.rollouts
    .filter((r) => !isActive(r))
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, keepFinished);
  return { ...s, rollouts: [...active, ...finished].sort((a, b) => a.startedAt - b.startedAt) };
}
