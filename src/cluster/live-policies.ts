// The cluster's mirror policies, live: ICSP, IDMS, ITMS, Image "cluster" and ClusterVersion "version", each in
// a watch-backed cache. A snapshot is what the MCO would render from right now, plus what the bot must say about
// it (kinds whose CRD is missing, staleness).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { acceptPolicyObjects, buildPolicySet } from '../domain/policy-documents.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { describeKubeError } from './kube-errors.ts';
import { WatchedCollection } from './watched-collection.ts';
import type { ResourceSpec, WatchedCollectionOptions } from './watched-collection.ts';

export const POLICY_RESOURCES: Record<string, ResourceSpec> = {
  ImageContentSourcePolicy: {
    group: 'operator.openshift.io',
    version: 'v1alpha1',
    plural: 'imagecontentsourcepolicies',
  },
  ImageDigestMirrorSet: { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' },
  ImageTagMirrorSet: { group: 'config.openshift.io', version: 'v1', plural: 'imagetagmirrorsets' },
  Image: { group: 'config.openshift.io', version: 'v1', plural: 'images' },
  ClusterVersion: { group: 'config.openshift.io', version: 'v1', plural: 'clusterversions' },
};

export interface PolicySnapshot {
  policies: PolicySet;
  /** Kinds whose CRD the cluster does not have (before 4.13: IDMS/ITMS). */
  missingKinds: string[];
  stale: boolean;
  warnings: string[];
}

export class LivePolicies {
  private readonly collections = new Map<string, WatchedCollection<KubernetesObject>>();
  private readonly listeners: Array<() => void> = [];

  constructor(kc: KubeConfig, opts: WatchedCollectionOptions = {}) {
    for (const [kind, spec] of Object.entries(POLICY_RESOURCES)) {
      const c = new WatchedCollection<KubernetesObject>(kc, spec, opts);
      c.on(() => {
        for (const l of this.listeners) l();
      });
      this.collections.set(kind, c);
    }
  }

  /** Called on every change of any policy object (after the first sync too). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    for (const [kind, c] of this.collections) {
      try {
        await c.start();
      } catch (err) {
        throw new Error(describeKubeError(err, `list ${kind} objects (${c.spec.plural}.${c.spec.group})`), {
          cause: err,
        });
      }
    }
  }

  stop(): void {
    for (const c of this.collections.values()) c.stop();
  }

  get synced(): boolean {
    return [...this.collections.values()].every((c) => c.synced);
  }

  /** Some watch has not heard from the API server for too long (cheap: no snapshot is built). */
  get stale(): boolean {
    return [...this.collections.values()].some((c) => c.isStale());
  }

  get restarts(): number {
    return [...this.collections.values()].reduce((n, c) => n + c.restarts, 0);
  }

  snapshot(): PolicySnapshot {
    const objects: unknown[] = [];
    const missingKinds: string[] = [];
    const stale = this.stale;
    for (const [kind, c] of this.collections) {
      if (c.missing) missingKinds.push(kind);
      for (const o of c.list())
        objects.push({ ...o, apiVersion: o.apiVersion ?? `${c.spec.group}/${c.spec.version}`, kind: o.kind ?? kind });
    }
    const parsed = acceptPolicyObjects(objects, 'cluster');
    const warnings = [...parsed.warnings];
    const policies = buildPolicySet(parsed.objects, warnings);
    return { policies, missingKinds, stale, warnings };
  }
}
