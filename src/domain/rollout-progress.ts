// Where a mirror rollout stands, from the pools, their target rendered configs and the nodes: per-pool progress
// (the rollout-complete rule of rollout-state.ts), completion, and what is stuck (paused or degraded pools, nodes
// stuck in their update, a rendered config that never picks the change up). Pure and level-triggered: the same
// inputs always give the same answer, whatever events led to them.
import { evaluatePool, rolloutComplete } from './rollout-state.ts';
import type { PoolRollout } from './rollout-state.ts';
import { MCO_ANNOTATIONS } from '../types/machineconfig.ts';
import type { MachineConfigPool, NodeLite } from '../types/machineconfig.ts';

export interface StuckItem {
  /** Stable identity: "paused:worker", "degraded:worker", "node:worker-1", "render". */
  key: string;
  text: string;
}

export interface RolloutProgress {
  pools: PoolRollout[];
  complete: boolean;
  stuck: StuckItem[];
}

export interface ProgressInput {
  pools: readonly MachineConfigPool[];
  nodes: readonly NodeLite[];
  /** Whether the rendered MC named `target` carries the change (undefined target: the pool has none). */
  targetHasChange: (target: string | undefined) => boolean;
  /** The render time limit has passed (the change is not in some pool's target yet). */
  renderOverdue: boolean;
  /** Said when the render is overdue: the likely cause (MCO validation, payload filter). */
  rejection: string;
}

type Selector = MachineConfigPool['spec']['nodeSelector'];

/** metav1.LabelSelector semantics (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist). */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  if (sel === undefined) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(val!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(val!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function nodesOfPool(pool: MachineConfigPool, nodes: readonly NodeLite[]): NodeLite[] {
  return nodes.filter((n) => selectorMatches(pool.spec.nodeSelector, n.metadata.labels ?? {}));
}

/** A node whose machine-config daemon gave up: state Degraded or Unreconcilable, with its reason annotation. */
export function stuckNode(n: NodeLite): StuckItem | undefined {
  const a = n.metadata.annotations ?? {};
  const state = a[MCO_ANNOTATIONS.state];
  if (state !== 'Degraded' && state !== 'Unreconcilable') return undefined;
  const reason = a[MCO_ANNOTATIONS.reason];
  return { key: `node:${n.metadata.name}`, text: `node ${n.metadata.name} is ${state}${reason ? `: ${reason}` : ''} (desired ${a[MCO_ANNOTATIONS.desiredConfig] ?? '?'}, current ${a[MCO_ANNOTATIONS.currentConfig] ?? '?'})` };
}

export function assessRollout(input: ProgressInput): RolloutProgress {
  const pools = [...input.pools].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map((p) => evaluatePool(p, input.targetHasChange(p.spec.configuration?.name)));
  const stuck: StuckItem[] = [];
  for (const p of pools) {
    if (p.state === 'paused') stuck.push({ key: `paused:${p.pool}`, text: p.reasons.join('; ') });
    if (p.state === 'degraded') stuck.push({ key: `degraded:${p.pool}`, text: `pool ${p.pool} is degraded: ${p.reasons.join('; ')}` });
  }
  const seen = new Set<string>();
  for (const pool of input.pools) {
    for (const n of nodesOfPool(pool, input.nodes)) {
      const s = stuckNode(n);
      if (s !== undefined && !seen.has(s.key)) {
        seen.add(s.key);
        stuck.push({ ...s, text: `${s.text} [pool ${pool.metadata.name}]` });
      }
    }
  }
  if (input.renderOverdue && pools.some((p) => p.state === 'waiting-render')) {
    const waiting = pools.filter((p) => p.state === 'waiting-render').map((p) => `${p.pool} (${p.target ?? 'no target'})`);
    stuck.push({ key: 'render', text: `the rendered config of ${waiting.join(', ')} never picked the change up: ${input.rejection}` });
  }
  return { pools, complete: pools.length > 0 && rolloutComplete(pools), stuck };
}
