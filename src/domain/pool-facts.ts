// MachineConfigPool facts a what-if needs (size, maxUnavailable, paused, how long the last rollout took), from API
// objects or from `oc get mcp -o yaml` output. Pure.
import { loadAll } from 'js-yaml';
import { EngineError } from './engine-error.ts';
import type { MachineConfiguration, PoolFacts } from './node-disruption.ts';
import { foldLines, messageOf } from './error-text.ts';
import type { MachineConfigPool } from '../types/machineconfig.ts';

/** Pools (and MachineConfiguration cluster) from `oc get mcp -o yaml|json` output. */
export function poolsFromDocuments(
  text: string,
  file: string,
): { pools: PoolFacts[]; machineConfiguration: MachineConfiguration | null } {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (e) {
    throw new EngineError('input', `${file}: invalid YAML/JSON: ${foldLines(messageOf(e))}`);
  }
  const pools: PoolFacts[] = [];
  let mc: MachineConfiguration | null = null;
  const visit = (d: unknown): void => {
    if (typeof d !== 'object' || d === null) return;
    const o = d as { kind?: unknown; items?: unknown; metadata?: { name?: unknown } };
    if (Array.isArray(o.items)) {
      o.items.forEach(visit);
      return;
    }
    if (o.kind === 'MachineConfigPool') pools.push(poolFacts(d as MachineConfigPool, null));
    else if (o.kind === 'MachineConfiguration' && o.metadata?.name === 'cluster') mc = d as MachineConfiguration;
  };
  docs.forEach(visit);
  if (pools.length === 0 && mc === null)
    throw new EngineError(
      'input',
      `${file}: no MachineConfigPool or MachineConfiguration objects (give 'oc get mcp -o yaml' output)`,
    );
  return { pools, machineConfiguration: mc };
}

/** A pool's facts; `renderedCreated` is the creation time of its current rendered config, to date the last rollout. */
export function poolFacts(p: MachineConfigPool, renderedCreated: string | null): PoolFacts {
  const updated = p.status?.conditions?.find((c) => c.type === 'Updated' && c.status === 'True');
  let lastRollout: PoolFacts['lastRollout'] = null;
  if (updated?.lastTransitionTime !== undefined && renderedCreated !== null) {
    const ms = Date.parse(updated.lastTransitionTime) - Date.parse(renderedCreated);
    if (Number.isFinite(ms) && ms > 0) lastRollout = { durationMs: ms, nodes: p.status?.machineCount ?? 0 };
  }
  return {
    name: p.metadata.name,
    machineCount: p.status?.machineCount ?? null,
    ...(p.spec.maxUnavailable !== undefined ? { maxUnavailable: p.spec.maxUnavailable } : {}),
    paused: p.spec.paused === true,
    lastRollout,
  };
}
