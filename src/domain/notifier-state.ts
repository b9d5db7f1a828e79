// What the notifier remembers across restarts (the notifications-engine "notified" pattern): the policy state it
// last accounted for (the "before" of the next change) and one record per rollout with its message, the stuck
// items already said, the progress marks of the stall check, and the completion marker keyed by the rendered
// configs it was verified on. Pure data and rules; where it is kept is the StateStore port (src/ports/state-store.ts).
import type { ChangeDescription, PolicyState } from './rollout-change.ts';
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

export interface NotifierState {
  version: 1;
  baseline: PolicyState | null;
  rollouts: RolloutRecord[];
}

export const emptyState = (): NotifierState => ({ version: 1, baseline: null, rollouts: [] });

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
