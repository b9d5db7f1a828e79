// A StateStore in memory for unit tests (the notifier keeps its state in a ConfigMap in production).
import { emptyState } from '../../src/domain/notifier-state.ts';
import type { NotifierState } from '../../src/domain/notifier-state.ts';
import type { StateStore } from '../../src/ports/state-store.ts';

export class MemoryStateStore implements StateStore {
  state: NotifierState = emptyState();
  saves = 0;
  async load(): Promise<NotifierState> {
    return structuredClone(this.state);
  }
  async save(state: NotifierState): Promise<void> {
    this.saves++;
    this.state = structuredClone(state);
  }
}
