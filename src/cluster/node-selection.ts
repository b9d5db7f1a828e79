// Which nodes a live check runs on: one named node, a MachineConfigPool's nodes (its spec.nodeSelector), all
// nodes or N of them, or by default one Ready, schedulable worker. Unknown names are input errors (the CLI's
// exit 2); a node's own state (NotReady, unschedulable) is decided per node by `nodeState`.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import type { NodeSelection } from '../ports/live-check.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';

/** The request names something that does not exist (node, pool) or selects nothing: the CLI exits 2. */
export class LiveCheckInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveCheckInputError';
  }
}

export const WORKER_ROLE_LABEL = 'node-role.kubernetes.io/worker';
const MCP = { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigpools' };

export interface NodeState {
  ready: boolean;
  /** Why not Ready: the Ready condition's status, reason and message. */
  notReadyReason?: string;
  unschedulable: boolean;
  /** machineconfiguration.openshift.io/{currentConfig,desiredConfig,state} */
  mco: { current?: string; desired?: string; state?: string };
}

export function nodeState(n: V1Node): NodeState {
  const c = n.status?.conditions?.find((x) => x.type === 'Ready');
  const ready = c?.status === 'True';
  const a = n.metadata?.annotations ?? {};
  const mco = {
    ...(a['machineconfiguration.openshift.io/currentConfig']
      ? { current: a['machineconfiguration.openshift.io/currentConfig'] }
      : {}),
    ...(a['machineconfiguration.openshift.io/desiredConfig']
      ? { desired: a['machineconfiguration.openshift.io/desiredConfig'] }
      : {}),
    ...(a['machineconfiguration.openshift.io/state'] ? { state: a['machineconfiguration.openshift.io/state'] } : {}),
  };
  return {
    ready,
    ...(ready
      ? {}
      : {
          notReadyReason:
            c === undefined
              ? 'no Ready condition reported'
              : `Ready=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`,
        }),
    unschedulable: n.spec?.unschedulable === true,
    mco,
  };
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A LabelSelector object as the ?labelSelector= string. */
export function selectorString(sel: LabelSelector): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(v === '' ? `${k}=` : `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else throw new LiveCheckInputError(`unsupported label selector operator ${e.operator}`);
  }
  return parts.join(',');
}

const byName = (a: V1Node, b: V1Node): number => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
const usable = (n: V1Node): boolean => {
  const s = nodeState(n);
  return s.ready && !s.unschedulable;
};

export class NodeSelector {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  private async list(labelSelector?: string): Promise<V1Node[]> {
    try {
      const r = await this.core.listNode(labelSelector ? { labelSelector } : {});
      return [...r.items].sort(byName);
    } catch (err) {
      throw new Error(describeKubeError(err, 'list nodes'), { cause: err });
    }
  }

  async select(sel: NodeSelection): Promise<V1Node[]> {
    if ('node' in sel) {
      try {
        return [await this.core.readNode({ name: sel.node })];
      } catch (err) {
        if (kubeStatus(err)?.code === 404)
          throw new LiveCheckInputError(`unknown node ${sel.node} (oc get nodes lists them)`);
        throw new Error(describeKubeError(err, `read node ${sel.node}`), { cause: err });
      }
    }
    if ('pool' in sel) {
      let pool: { spec?: { nodeSelector?: LabelSelector } };
      try {
        pool = (await this.custom.getClusterCustomObject({ ...MCP, name: sel.pool })) as typeof pool;
      } catch (err) {
        const code = kubeStatus(err)?.code;
        if (code === 404)
          throw new LiveCheckInputError(`unknown MachineConfigPool ${sel.pool}${await this.poolNames()}`);
        throw new Error(describeKubeError(err, `read MachineConfigPool ${sel.pool}`), { cause: err });
      }
      const ns = pool.spec?.nodeSelector;
      if (
        ns === undefined ||
        (Object.keys(ns.matchLabels ?? {}).length === 0 && (ns.matchExpressions ?? []).length === 0)
      ) {
        throw new LiveCheckInputError(`MachineConfigPool ${sel.pool} has no spec.nodeSelector: it selects no nodes`);
      }
      const nodes = await this.list(selectorString(ns));
      if (nodes.length === 0)
        throw new LiveCheckInputError(`MachineConfigPool ${sel.pool} selects no nodes (${selectorString(ns)})`);
      return nodes;
    }
    if ('nodes' in sel) {
      const all = await this.list();
      if (all.length === 0) throw new LiveCheckInputError('the cluster has no nodes');
      if (sel.nodes === 'all') return all;
      if (!Number.isInteger(sel.nodes) || sel.nodes < 1)
        throw new LiveCheckInputError(`nodes=${sel.nodes}: give all or a count >= 1`);
      // N nodes that can run the check: Ready and schedulable first (workers before others), then the rest.
      const workers = (n: V1Node): boolean => n.metadata?.labels?.[WORKER_ROLE_LABEL] !== undefined;
      const ranked = [
        ...all.filter((n) => usable(n) && workers(n)),
        ...all.filter((n) => usable(n) && !workers(n)),
        ...all.filter((n) => !usable(n)),
      ];
      return ranked.slice(0, sel.nodes);
    }
    const workers = await this.list(WORKER_ROLE_LABEL);
    const pick = workers.find(usable);
    if (pick === undefined) {
      throw new LiveCheckInputError(
        workers.length === 0
          ? `no worker nodes (label ${WORKER_ROLE_LABEL}): name one with node=NAME`
          : `no Ready, schedulable worker among ${workers.length}: name one with node=NAME`,
      );
    }
    return [pick];
  }

  private async poolNames(): Promise<string> {
    try {
      const r = (await this.custom.listClusterCustomObject(MCP)) as { items?: Array<{ metadata?: { name?: string } }> };
      const names = (r.items ?? []).map((p) => p.metadata?.name ?? '').filter((n) => n !== '');
      return names.length > 0 ? ` (pools: ${names.join(', ')})` : ' (the cluster has no MachineConfigPools)';
    } catch {
      return '';
    }
  }
}
