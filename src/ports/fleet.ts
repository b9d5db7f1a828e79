// A fleet: several named clusters behind one bot. Slack aims a command at one (`cluster=NAME`) or all
// (`cluster=all`); each cluster brings its own policy source, live checker and pool status.
import type { PoolStatus } from '../domain/rollout-status.ts';
import type { LiveChecker, PolicySource } from './live-check.ts';
import type { PodFacts } from './pod-triage.ts';

export interface ClusterPolicyLine {
  kind: string;
  name: string;
  rules: Array<{ source: string; mirrors: string[]; policy?: string }>;
}

/** What the Slack layer needs of one cluster. */
export interface ClusterHandle {
  name: string;
  policySource: PolicySource;
  /** undefined: no live checks on this cluster. */
  liveChecker: LiveChecker | undefined;
  poolStatus?: () => Promise<PoolStatus[]>;
  listPolicies?: (filter: string | null) => Promise<ClusterPolicyLine[]>;
  /** `why pod NS/NAME cluster=NAME`: the pod, its node and events, read from this cluster. */
  podFacts?: PodFacts;
}

export interface Fleet {
  /** The clusters' names, in the order answers list them. */
  names(): readonly string[];
  /** One cluster, connected on first use; rejects with a one-line reason when it cannot be reached. */
  get(name: string): Promise<ClusterHandle>;
}
