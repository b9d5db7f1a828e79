// The rollout-complete rule for one MachineConfigPool (node-debug-and-rollout.md §3.3): the target rendered
// config holds the change, the pool observed its generation, status caught up with spec, every machine updated,
// ready and available, and Updated=True/Updating=False/Degraded=False. Paused and degraded pools are said so.
import type { Condition, MachineConfigPool } from '../types/machineconfig.ts';

export type PoolState = 'done' | 'empty' | 'progressing' | 'waiting-render' | 'paused' | 'degraded';

export interface PoolRollout {
  pool: string;
  state: PoolState;
  updated: number;
  total: number;
  target: string | null;
  reasons: string[];
}

const cond = (p: MachineConfigPool, type: string): Condition | undefined =>
  p.status?.conditions?.find((c) => c.type === type);
const isTrue = (p: MachineConfigPool, type: string): boolean => cond(p, type)?.status === 'True';

/**
 * `targetHasChange`: whether the pool's spec.configuration.name (a rendered MC) contains the change, decided by
 * comparing its registries.conf with the render of the policies.
 */
export function evaluatePool(p: MachineConfigPool, targetHasChange: boolean): PoolRollout {
  const s = p.status ?? {};
  const total = s.machineCount ?? 0;
  const updated = s.updatedMachineCount ?? 0;
  const base = { pool: p.metadata.name, updated, total, target: p.spec.configuration?.name ?? null };
  const degraded = ['Degraded', 'NodeDegraded', 'RenderDegraded'].filter((t) => isTrue(p, t));
  if (degraded.length > 0 || (s.degradedMachineCount ?? 0) > 0) {
    const reasons = degraded.map((t) => `${t}: ${cond(p, t)?.message ?? cond(p, t)?.reason ?? 'no message'}`);
    if ((s.degradedMachineCount ?? 0) > 0) reasons.push(`${s.degradedMachineCount} degraded machine(s)`);
    return { ...base, state: 'degraded', reasons };
  }
  // A pool without machines has nothing to update: complete even when paused (spec §3.3.2).
  if (total === 0) return { ...base, state: 'empty', reasons: [] };
  if (p.spec.paused === true)
    return {
      ...base,
      state: 'paused',
      reasons: [
        `pool ${p.metadata.name} is paused: it will not update until unpaused (oc patch ` +
          `mcp ${p.metadata.name} --type merge -p '{"spec":{"paused":false}}')`,
      ],
    };
  if (!targetHasChange)
    return {
      ...base,
      state: 'waiting-render',
      reasons: [`target ${base.target ?? '(none)'} does not contain the change yet`],
    };
  const reasons: string[] = [];
  if (s.observedGeneration !== p.metadata.generation) reasons.push('status has not observed the latest generation');
  if (s.configuration?.name !== p.spec.configuration?.name)
    reasons.push(`nodes still on ${s.configuration?.name ?? '(none)'}`);
  if (updated !== total || (s.readyMachineCount ?? 0) !== total || (s.unavailableMachineCount ?? 0) !== 0)
    reasons.push(
      `${updated}/${total} updated, ${s.readyMachineCount ?? 0} ready, ${s.unavailableMachineCount ?? 0} unavailable`,
    );
  if (!isTrue(p, 'Updated') || isTrue(p, 'Updating')) reasons.push('conditions: not Updated yet');
  return { ...base, state: reasons.length === 0 ? 'done' : 'progressing', reasons };
}

/** Done when every pool is done or has no machines. */
export function rolloutComplete(pools: readonly PoolRollout[]): boolean {
  return pools.every((p) => p.state === 'done' || p.state === 'empty');
}

/** Stuck states are said once per rollout; progress is reported as updated/total. */
export function stuckReasons(
  pools: readonly PoolRollout[],
): Array<{ pool: string; kind: 'paused' | 'degraded'; text: string }> {
  return pools
    .filter((p) => p.state === 'paused' || p.state === 'degraded')
    .map((p) => ({ pool: p.pool, kind: p.state as 'paused' | 'degraded', text: p.reasons.join('; ') }));
}
