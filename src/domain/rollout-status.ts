// `/icsp status` and `icsp status`: per pool, whether the current mirror configuration (the render of the live
// policies) has reached every node, the progress, and what is stuck. Pure: callers bring the pools, nodes and the
// registries.conf of each pool's target rendered MachineConfig.
import { renderedHasChange } from './rollout-change.ts';
import type { RenderedConfig } from './rollout-change.ts';
import { nodesOfPool, stuckNode } from './rollout-progress.ts';
import { evaluatePool } from './rollout-state.ts';
import type { MachineConfigPool, NodeLite } from '../types/machineconfig.ts';

/** One pool's line of `/icsp status`, `icsp status` and the notifier's status. */
export interface PoolStatus {
  pool: string;
  /** Whether the rendered mirror configuration of the current policies has reached every node of the pool. */
  upToDate: boolean;
  detail: string;
}

/**
 * `targetConf(name)`: the registries.conf text of rendered MC `name` (null: it writes none); undefined when the MC
 * could not be read.
 */
export function poolStatusLines(
  pools: readonly MachineConfigPool[],
  nodes: readonly NodeLite[],
  expected: RenderedConfig,
  targetConf: (name: string) => string | null | undefined,
): PoolStatus[] {
  return [...pools]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((p) => {
      const target = p.spec.configuration?.name;
      const text = target === undefined ? undefined : targetConf(target);
      const has = text !== undefined && renderedHasChange(text, expected);
      const r = evaluatePool(p, has);
      const upToDate = r.state === 'done' || r.state === 'empty';
      const parts = [
        `${r.updated}/${r.total} updated`,
        `target ${r.target ?? '(none)'}` +
          (text === undefined && target !== undefined
            ? ' (unreadable)'
            : has
              ? ' carries the current mirror config'
              : ' lacks the current mirror config'),
      ];
      if (r.state === 'done') parts.push('rolled out');
      else if (r.state === 'empty') parts.push('no machines');
      else parts.push(`${r.state}: ${r.reasons.join('; ')}`);
      if (expected.error !== null) parts.push(`the MCO refuses the current policies: ${expected.error}`);
      for (const n of nodesOfPool(p, nodes)) {
        const s = stuckNode(n);
        if (s !== undefined) parts.push(s.text);
      }
      return { pool: p.metadata.name, upToDate, detail: parts.join('; ') };
    });
}
