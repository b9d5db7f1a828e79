// The port between the `why pod` use case (src/app/why-pod.ts) and a cluster: what it reads, nothing it decides.
import type { RegistriesConf } from '../domain/registries-conf.ts';
import type { EventShape, PodShape } from '../domain/triage/pod-triage.ts';
import type { NodeContext } from '../domain/triage/triage-verdict.ts';

/** A node's MCO context and the registries.conf of its current rendered config (null: unknown, see notes). */
export interface NodeFacts {
  node: NodeContext;
  conf: RegistriesConf | null;
  /** Why the plan falls back to the live policies' render (no annotations, rendered config missing, ...). */
  notes: string[];
}

export interface PodFacts {
  /** The pod and the kubelet's events about it; throws an error of one line when the pod does not exist. */
  readPod(namespace: string, name: string): Promise<{ pod: PodShape; events: EventShape[] }>;
  /** The node's facts (null: the pod is not scheduled); never throws: what it could not read is a note. */
  nodeFacts(nodeName: string | null): Promise<NodeFacts>;
}
