// The port between the rollout notifier and where its state lives (a ConfigMap in the bot's namespace,
// src/cluster/configmap-state-store.ts; memory in unit tests, test/helpers/memory-state-store.ts).
import type { NotifierState } from '../domain/notifier-state.ts';

/** Where the state lives (a ConfigMap in the bot's namespace; memory in unit tests). */
export interface StateStore {
  load(): Promise<NotifierState>;
  /** Throws StateConflictError when someone else wrote since the last load/save. */
  save(state: NotifierState): Promise<void>;
}

export class StateConflictError extends Error {}
