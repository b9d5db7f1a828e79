// The port between the notifier and the cluster: cached policies, pools and nodes (watch-backed), rendered
// MachineConfigs read by name, and change signals. src/cluster/rollout-sources.ts implements it on the API server.
import type { PolicySet } from '../domain/policy-set.ts';
import type { MachineConfigPool, NodeLite } from '../types/machineconfig.ts';

export interface PolicyView {
  policies: PolicySet;
  stale: boolean;
}

export interface RolloutSources {
  start(): Promise<void>;
  stop(): void;
  policies(): PolicyView;
  pools(): MachineConfigPool[];
  nodes(): NodeLite[];
  /** registries.conf of rendered MC `name`: null when it writes none, undefined when it does not exist (yet). */
  renderedRegistriesConf(name: string): Promise<string | null | undefined>;
  onPolicyChange(listener: () => void): void;
  /** Pools or nodes changed, or a cache relisted (after 410 or a restart). */
  onClusterChange(listener: () => void): void;
}
