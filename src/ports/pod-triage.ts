// The port between the chat front end and the cluster for `why pod NAMESPACE/NAME`.
import type { PodTriage } from '../domain/triage/pod-triage.ts';

export interface PodTriager {
  /** Throws LiveCheckInputError (one line) when the pod does not exist. */
  triage(namespace: string, name: string): Promise<PodTriage>;
}
