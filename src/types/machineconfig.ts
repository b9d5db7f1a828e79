// machineconfiguration.openshift.io/v1 objects and the Node fields the rollout follows (only what is read).
import type { ObjectMeta } from './openshift.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface MachineConfigPool {
  apiVersion: 'machineconfiguration.openshift.io/v1';
  kind: 'MachineConfigPool';
  metadata: ObjectMeta;
  spec: {
    paused?: boolean;
    configuration?: { name?: string; source?: Array<{ name: string; kind?: string }> };
    nodeSelector?: {
      matchLabels?: Record<string, string>;
      matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
    };
    machineConfigSelector?: { matchLabels?: Record<string, string> };
    maxUnavailable?: number | string;
  };
  status?: {
    observedGeneration?: number;
    configuration?: { name?: string };
    machineCount?: number;
    updatedMachineCount?: number;
    readyMachineCount?: number;
    unavailableMachineCount?: number;
    degradedMachineCount?: number;
    conditions?: Condition[];
  };
}

export interface IgnitionFile {
  path: string;
  overwrite?: boolean;
  mode?: number;
  contents?: { source?: string; compression?: string };
}

export interface MachineConfig {
  apiVersion: 'machineconfiguration.openshift.io/v1';
  kind: 'MachineConfig';
  metadata: ObjectMeta;
  spec: { config?: { ignition?: { version?: string }; storage?: { files?: IgnitionFile[] } } };
}

export interface NodeLite {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; effect: string; value?: string }> };
  status?: { conditions?: Condition[]; addresses?: Array<{ type: string; address: string }> };
}

export const MCO_ANNOTATIONS = {
  currentConfig: 'machineconfiguration.openshift.io/currentConfig',
  desiredConfig: 'machineconfiguration.openshift.io/desiredConfig',
  state: 'machineconfiguration.openshift.io/state',
  reason: 'machineconfiguration.openshift.io/reason',
} as const;
