// The ports of the triage channel: the kubelet's pull-failure events as they arrive, how one becomes a failure with
// a cause, whether a pod pulls by now, and where the triage state is kept.
import type { PullFailure, TriageState } from '../domain/triage/triage-groups.ts';

/** A kubelet event about a pod's image (reason Failed, InspectFailed or BackOff), as the watch delivers it. */
export interface KubeletPullEvent {
  namespace: string;
  pod: string;
  uid: string | null;
  /** From involvedObject.fieldPath spec.containers{NAME} / spec.initContainers{NAME}. */
  container: string | null;
  node: string | null;
  reason: string;
  message: string;
  /**
   * When the kubelet last saw it (ms; series.lastObservedTime, lastTimestamp, eventTime or creation): an old failure
   * re-delivered by a relist is told from a new one by it. Absent or null: unknown.
   */
  at?: number | null;
}

export interface PullEventSource {
  /** Lists (field-selected) and watches; every event, also those of a relist after 410, goes to the listener. */
  start(listener: (e: KubeletPullEvent) => void): Promise<void>;
  stop(): void;
  /** API requests made (lists and watches), for the idle-request figure of the bench. */
  readonly requests: number;
}

export interface PullFailureClassifier {
  /** The cause of one event's failure; null when the event is no pull failure (or carries no error text). */
  classify(e: KubeletPullEvent): Promise<PullFailure | null>;
}

export type PodPullState = 'failing' | 'pulled' | 'gone';

export interface PodPullProbe {
  state(namespace: string, name: string, container: string | null): Promise<PodPullState>;
}

export interface TriageStateStore {
  load(): Promise<TriageState>;
  /** Throws on a concurrent write (the caller reloads). */
  save(state: TriageState): Promise<void>;
}
