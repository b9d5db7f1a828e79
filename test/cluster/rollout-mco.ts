// The test plays the Machine Config Operator on the real API server: on a policy change it renders
// registries.conf from the cluster's ICSP/IDMS/ITMS/Image objects (as the MCO's container-runtime-config
// controller does, byte-predictable), writes a new rendered-<pool>-<hash> MachineConfig carrying it, points the
// pool's spec.configuration.name at it, and then moves the pool status (through the status subresource) and the
// nodes' machineconfiguration annotations step by step, as the node controller and the MCDs would.
import { createHash } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { acceptPolicyObjects, buildPolicySet } from '../../src/domain/policy-documents.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { POLICY_RESOURCES } from '../../src/cluster/live-policies.ts';
import type { Condition, MachineConfigPool } from '../../src/types/machineconfig.ts';
import { apiStatus } from './kube.ts';
import { renderedConfigObject } from './triage-node.ts';

export const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;
export const ICSP = {
  group: 'operator.openshift.io',
  version: 'v1alpha1',
  plural: 'imagecontentsourcepolicies',
} as const;
export const IDMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' } as const;
export const ITMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagetagmirrorsets' } as const;
export const IMAGES = { group: 'config.openshift.io', version: 'v1', plural: 'images' } as const;

const TEMPLATE = "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n";

const cond = (type: string, status: boolean, message = ''): Condition => ({
  type,
  status: status ? 'True' : 'False',
  lastTransitionTime: new Date().toISOString(),
  reason: '',
  message,
});

export interface PoolStep {
  updated: number;
  ready?: number;
  unavailable?: number;
  degraded?: number;
  /** Only at the end: status.configuration.name = spec's, Updated=True. */
  finished?: boolean;
  degradedMessage?: string;
}

export class FakeMco {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  /** Label every object of this run carries; the notifier under test follows pools with it. */
  readonly label: string;
  readonly created: Array<{ kind: 'mcp' | 'mc' | 'node'; name: string }> = [];

  constructor(admin: KubeConfig, label: string) {
    this.custom = admin.makeApiClient(CustomObjectsApi);
    this.core = admin.makeApiClient(CoreV1Api);
    this.label = label;
  }

  get selector(): string {
    return `icsp-bot-test=${this.label}`;
  }

  /** What the MCO would write to /etc/containers/registries.conf for the cluster's policies now. */
  async renderNow(): Promise<string> {
    const objects: unknown[] = [];
    for (const [kind, spec] of Object.entries(POLICY_RESOURCES)) {
      const list = (await this.custom.listClusterCustomObject({
        group: spec.group,
        version: spec.version,
        plural: spec.plural,
      })) as { items: Array<Record<string, unknown>> };
      for (const o of list.items) objects.push({ ...o, kind });
    }
    const p = buildPolicySet(acceptPolicyObjects(objects, 'cluster').objects);
    const r = renderPolicies(p, { requireImageConfig: true });
    return r.rendered ? encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries) : TEMPLATE;
  }

  /** A rendered MC with this registries.conf (idempotent: the name is the content hash). */
  async writeRendered(pool: string, registriesConf: string): Promise<string> {
    const name = `rendered-${pool}-${createHash('md5').update(`${pool}\n${registriesConf}`).digest('hex')}`;
    const body = renderedConfigObject(name, registriesConf, { 'icsp-bot-test': this.label });
    try {
      await this.custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigs', body });
      this.created.push({ kind: 'mc', name });
    } catch (e) {
      if (apiStatus(e)?.code !== 409) throw e;
    }
    return name;
  }

  private nodeRole(pool: string): string {
    return `node-role.kubernetes.io/${pool}`;
  }

  /** A pool with `machines` nodes, all on the current render and done (Updated=True). */
  async createPool(pool: string, machines: number, opts: { paused?: boolean } = {}): Promise<string> {
    const target = await this.writeRendered(pool, await this.renderNow());
    const body = {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: pool, labels: { 'icsp-bot-test': this.label } },
      spec: {
        paused: opts.paused ?? false,
        configuration: {
          name: target,
          source: [
            {
              apiVersion: 'machineconfiguration.openshift.io/v1',
              kind: 'MachineConfig',
              name: `99-${pool}-generated-registries`,
            },
          ],
        },
        nodeSelector: { matchLabels: { [this.nodeRole(pool)]: '' } },
        machineConfigSelector: { matchLabels: { 'machineconfiguration.openshift.io/role': pool } },
      },
    };
    await this.custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigpools', body });
    this.created.push({ kind: 'mcp', name: pool });
    for (let i = 0; i < machines; i++) {
      const name = `${pool}-${i}`;
      await this.core.createNode({
        body: {
          metadata: {
            name,
            labels: { [this.nodeRole(pool)]: '', 'icsp-bot-test': this.label },
            annotations: this.nodeAnnotations(target, target, 'Done'),
          },
        },
      });
      this.created.push({ kind: 'node', name });
    }
    await this.setStatus(pool, { updated: machines, finished: true }, machines);
    return target;
  }

  private nodeAnnotations(current: string, desired: string, state: string, reason = ''): Record<string, string> {
    return {
      'machineconfiguration.openshift.io/currentConfig': current,
      'machineconfiguration.openshift.io/desiredConfig': desired,
      'machineconfiguration.openshift.io/state': state,
      'machineconfiguration.openshift.io/reason': reason,
    };
  }

  async getPool(pool: string): Promise<MachineConfigPool> {
    return (await this.custom.getClusterCustomObject({
      ...MCO,
      plural: 'machineconfigpools',
      name: pool,
    })) as MachineConfigPool;
  }

  /** The render controller: a new rendered MC from the current policies, and the pool's spec pointed at it. */
  async rerender(pool: string, registriesConf?: string): Promise<string> {
    const target = await this.writeRendered(pool, registriesConf ?? (await this.renderNow()));
    const p = await this.getPool(pool);
    if (p.spec.configuration?.name === target) return target;
    p.spec.configuration = { ...p.spec.configuration, name: target };
    await this.custom.replaceClusterCustomObject({ ...MCO, plural: 'machineconfigpools', name: pool, body: p });
    return target;
  }

  async setPaused(pool: string, paused: boolean): Promise<void> {
    const p = await this.getPool(pool);
    p.spec.paused = paused;
    await this.custom.replaceClusterCustomObject({ ...MCO, plural: 'machineconfigpools', name: pool, body: p });
  }

  /** The node controller's status for a step of the update (through the status subresource). */
  async setStatus(pool: string, step: PoolStep, total?: number): Promise<void> {
    const p = await this.getPool(pool);
    const machines = total ?? p.status?.machineCount ?? 0;
    const ready = step.ready ?? step.updated;
    const unavailable = step.unavailable ?? machines - ready;
    const degraded = step.degraded ?? 0;
    const finished = step.finished === true && degraded === 0;
    const target = p.spec.configuration?.name ?? '';
    const status = {
      observedGeneration: p.metadata.generation,
      configuration: finished
        ? { name: target, source: p.spec.configuration?.source ?? [] }
        : (p.status?.configuration ?? { name: target, source: [] }),
      machineCount: machines,
      updatedMachineCount: step.updated,
      readyMachineCount: ready,
      unavailableMachineCount: unavailable,
      degradedMachineCount: degraded,
      conditions: [
        cond('Updated', finished, finished ? `All nodes are updated with MachineConfig ${target}` : ''),
        cond(
          'Updating',
          !finished && p.spec.paused !== true,
          p.spec.paused === true ? `Pool is paused; will not update to ${target}` : '',
        ),
        cond('Degraded', step.degradedMessage !== undefined, step.degradedMessage ?? ''),
        cond('NodeDegraded', step.degradedMessage !== undefined, step.degradedMessage ?? ''),
        cond('RenderDegraded', false),
      ],
    };
    await this.custom.replaceClusterCustomObjectStatus({
      ...MCO,
      plural: 'machineconfigpools',
      name: pool,
      body: { ...p, status },
    });
  }

  /** The MCD on node `name`: state (Working/Done/Degraded) and configs. */
  async setNode(name: string, current: string, desired: string, state: string, reason = ''): Promise<void> {
    const n = await this.core.readNode({ name });
    n.metadata = {
      ...n.metadata,
      annotations: { ...(n.metadata?.annotations ?? {}), ...this.nodeAnnotations(current, desired, state, reason) },
    };
    await this.core.replaceNode({ name, body: n });
  }

  /** A whole normal rollout of `pool` to its current spec target: one node after the other. */
  async rollNodes(pool: string, machines: number, from: string, to: string): Promise<void> {
    await this.setStatus(pool, { updated: 0, ready: machines - 1, unavailable: 1 });
    for (let i = 0; i < machines; i++) {
      await this.setNode(`${pool}-${i}`, from, to, 'Working');
      await this.setNode(`${pool}-${i}`, to, to, 'Done');
      const done = i + 1;
      if (done < machines) await this.setStatus(pool, { updated: done, ready: machines - 1, unavailable: 1 });
    }
    await this.setStatus(pool, { updated: machines, finished: true });
  }

  async cleanup(): Promise<void> {
    for (const o of this.created.splice(0).reverse()) {
      try {
        if (o.kind === 'node') await this.core.deleteNode({ name: o.name });
        else
          await this.custom.deleteClusterCustomObject({
            ...MCO,
            plural: o.kind === 'mcp' ? 'machineconfigpools' : 'machineconfigs',
            name: o.name,
          });
      } catch (e) {
        if (apiStatus(e)?.code !== 404) throw e;
      }
    }
  }
}
