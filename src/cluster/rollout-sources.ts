// RolloutSources on the API server: LivePolicies for ICSP/IDMS/ITMS/Image/ClusterVersion, WatchedCollections for
// MachineConfigPools and Nodes (relist on 410, restart on errors, periodic relist), and rendered MachineConfigs
// read by name and cached: rendered names are content hashes, so a read MC never changes. MachineConfigs are not
// watched: they are large (hundreds of KB each) and only the pools' targets matter.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { machineConfigFile } from '../domain/ignition-file.ts';
import { kubeStatus } from './kube-errors.ts';
import { LivePolicies } from './live-policies.ts';
import { WatchedCollection } from './watched-collection.ts';
import type { WatchedCollectionOptions } from './watched-collection.ts';
import type { MachineConfig, MachineConfigPool, NodeLite } from '../types/machineconfig.ts';
import type { PolicyView, RolloutSources } from '../ports/rollout-sources.ts';

export const MCO_GROUP = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;

export interface WatcherOptions extends WatchedCollectionOptions {
  /** Label selector for the MachineConfigPools followed (default: all). */
  poolSelector?: string;
  /** Rendered MCs kept in memory (default 64). */
  mcCacheSize?: number;
}

export class ClusterRolloutSources implements RolloutSources {
  readonly livePolicies: LivePolicies;
  readonly poolCache: WatchedCollection<KubernetesObject>;
  readonly nodeCache: WatchedCollection<KubernetesObject>;
  private readonly custom: CustomObjectsApi;
  private readonly mcCache = new Map<string, string | null>();
  private readonly mcCacheSize: number;
  private readonly clusterListeners: Array<() => void> = [];
  /** MachineConfig reads made (the bench counts API requests). */
  mcReads = 0;

  constructor(kc: KubeConfig, opts: WatcherOptions = {}) {
    const { poolSelector, mcCacheSize, ...wopts } = opts;
    this.livePolicies = new LivePolicies(kc, wopts);
    this.poolCache = new WatchedCollection(
      kc,
      { ...MCO_GROUP, plural: 'machineconfigpools', ...(poolSelector ? { labelSelector: poolSelector } : {}) },
      wopts,
    );
    this.nodeCache = new WatchedCollection(kc, { group: '', version: 'v1', plural: 'nodes' }, wopts);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.mcCacheSize = mcCacheSize ?? 64;
    const fire = (): void => {
      for (const l of this.clusterListeners) l();
    };
    this.poolCache.on(fire);
    this.nodeCache.on(fire);
  }

  async start(): Promise<void> {
    await this.livePolicies.start();
    await this.poolCache.start();
    await this.nodeCache.start();
  }

  stop(): void {
    this.livePolicies.stop();
    this.poolCache.stop();
    this.nodeCache.stop();
  }

  policies(): PolicyView {
    const s = this.livePolicies.snapshot();
    return { policies: s.policies, stale: s.stale };
  }

  pools(): MachineConfigPool[] {
    return [...this.poolCache.list()] as unknown as MachineConfigPool[];
  }

  nodes(): NodeLite[] {
    return [...this.nodeCache.list()] as unknown as NodeLite[];
  }

  get restarts(): number {
    return this.livePolicies.restarts + this.poolCache.restarts + this.nodeCache.restarts;
  }

  async renderedRegistriesConf(name: string): Promise<string | null | undefined> {
    if (this.mcCache.has(name)) return this.mcCache.get(name);
    let mc: MachineConfig;
    try {
      this.mcReads++;
      mc = (await this.custom.getClusterCustomObject({
        ...MCO_GROUP,
        plural: 'machineconfigs',
        name,
      })) as MachineConfig;
    } catch (e) {
      if (kubeStatus(e)?.code === 404) return undefined;
      throw e;
    }
    let text: string | null;
    try {
      text = machineConfigFile(mc);
    } catch {
      // An undecodable file is not the change: treat as "does not carry it", and read it again next time.
      return undefined;
    }
    if (this.mcCache.size >= this.mcCacheSize) this.mcCache.delete(this.mcCache.keys().next().value!);
    this.mcCache.set(name, text);
    return text;
  }

  onPolicyChange(listener: () => void): void {
    this.livePolicies.onChange(listener);
  }

  onClusterChange(listener: () => void): void {
    this.clusterListeners.push(listener);
  }
}
