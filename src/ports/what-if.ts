// The port between what-if (CLI, Slack) and the cluster: what a cluster contributes, read once and read-only.
import type { MachineConfiguration, PoolFacts } from '../domain/node-disruption.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import type { ImageUsage } from '../domain/running-images.ts';

/** What a cluster contributes to a what-if; the cluster adapter reads it (read-only). */
export interface WhatIfClusterState {
  policies: PolicySet;
  images: ImageUsage;
  pools: PoolFacts[];
  machineConfiguration: MachineConfiguration | null;
  notes: string[];
}

/** Reads the state; rejects with a one-line Error (EngineError stage input for a bad kubeconfig). */
export type ReadClusterState = (kubeconfig: string | undefined, env: NodeJS.ProcessEnv) => Promise<WhatIfClusterState>;
