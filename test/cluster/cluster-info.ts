// What the global setup hands to the test files (vitest `provide`/`inject`), and the KubeConfigs
// tests build from it.
import { inject } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ReadyInfo } from './control-plane.ts';
import { adminKubeConfig, tokenKubeConfig } from './kube.ts';

export interface ClusterInfo extends ReadyInfo {
  /** TokenRequest token of ServiceAccount icsp-bot/icsp-bot: the bot's exact permissions. */
  botToken: string;
  botServiceAccount: string;
  /** A resourceVersion older than every CR watch cache: watching from it gets 410 Gone. */
  rvBeforeCrds: string;
  /** Names of the installed OpenShift CRDs. */
  crds: string[];
  logFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

export function clusterInfo(): ClusterInfo {
  return inject('cluster');
}

export function adminConfig(): KubeConfig {
  return adminKubeConfig(clusterInfo());
}

/** Runs as the bot's ServiceAccount, with exactly what manifests/ grants. */
export function botConfig(): KubeConfig {
  const info = clusterInfo();
  return tokenKubeConfig(info, info.botToken, 'icsp-bot');
}
