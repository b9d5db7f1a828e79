// One generation of the cluster's mirror policies: what every answer and every live check of that generation
// shares, computed once when the watched objects change — the MCO's render, the explain basis (index, origins)
// and the expected registries.conf the nodes are compared with. GenerationEngine is where generations live: in
// this thread (CLI, tests) or in a worker thread (the bot: generation-worker.ts), behind the same interface.
import type { Explanation } from '../domain/explain.ts';
import { explainPull } from '../domain/explain-pull.ts';
import { prepareExplainBasis } from '../domain/explain-basis.ts';
import type { ExplainBasis } from '../domain/explain-basis.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import { renderOrIntent } from '../domain/render-or-intent.ts';
import type { PolicySnapshot } from './live-policies.ts';
import { expectedFrom, judgeLive } from '../domain/live-verdict.ts';
import type { ExpectedConfiguration, LiveJudgeInput, LiveJudgement } from '../domain/live-verdict.ts';

/** A live cluster: no Image "cluster" means the MCO renders nothing. */
const LIVE_RENDER = { requireImageConfig: true } as const;

export interface PolicyGeneration {
  readonly id: number;
  readonly basis: ExplainBasis;
  readonly expected: ExpectedConfiguration;
}

/** The judge's input without the expected configuration: that comes from the generation. */
export type GenerationJudgeInput = Omit<LiveJudgeInput, 'expected'>;

/** Renders once (renderOrIntent): the explain basis and the expected configuration share the outcome. */
export function buildGeneration(id: number, snap: Pick<PolicySnapshot, 'policies'>): PolicyGeneration {
  const outcome = renderOrIntent(snap.policies, { ...LIVE_RENDER, lenient: true });
  const basis = prepareExplainBasis({ policies: snap.policies, render: LIVE_RENDER, rendered: outcome });
  // The basis holds the same confFromEntries(render) expectedFrom would compute; read-only from here on.
  return { id, basis, expected: expectedFrom(outcome, basis.conf) };
}

export interface GenerationEngine {
  build(id: number, snap: PolicySnapshot): Promise<{ ms: number }>;
  explain(id: number, reference: ParsedReference | string): Promise<Explanation>;
  judge(id: number, input: GenerationJudgeInput): Promise<LiveJudgement>;
  /** Forget a generation no request uses any more. */
  drop(id: number): void;
  close(): Promise<void>;
}

/** Generations in a map, answered synchronously: the worker's core, and the engine of the CLI and tests. */
export class GenerationTable {
  private readonly generations = new Map<number, PolicyGeneration>();

  build(id: number, snap: Pick<PolicySnapshot, 'policies'>): { ms: number } {
    const t0 = performance.now();
    this.generations.set(id, buildGeneration(id, snap));
    return { ms: performance.now() - t0 };
  }

  private get(id: number): PolicyGeneration {
    const g = this.generations.get(id);
    if (g === undefined) throw new Error(`policy generation ${id} is gone (the policy engine restarted): ask again`);
    return g;
  }

  /** The pull as CRI-O does it (short names included), from the generation's basis. */
  explain(id: number, reference: ParsedReference | string): Explanation {
    const { basis } = this.get(id);
    return explainPull({
      reference: typeof reference === 'string' ? reference : reference.input,
      basis,
      policies: basis.policies,
      render: LIVE_RENDER,
    });
  }

  judge(id: number, input: GenerationJudgeInput): LiveJudgement {
    return judgeLive({ ...input, expected: this.get(id).expected });
  }

  drop(id: number): void {
    this.generations.delete(id);
  }

  get size(): number {
    return this.generations.size;
  }
}

export class InProcessGenerationEngine implements GenerationEngine {
  readonly table = new GenerationTable();
  build(id: number, snap: PolicySnapshot): Promise<{ ms: number }> {
    return Promise.resolve().then(() => this.table.build(id, snap));
  }
  explain(id: number, reference: ParsedReference | string): Promise<Explanation> {
    return Promise.resolve().then(() => this.table.explain(id, reference));
  }
  judge(id: number, input: GenerationJudgeInput): Promise<LiveJudgement> {
    return Promise.resolve().then(() => this.table.judge(id, input));
  }
  drop(id: number): void {
    this.table.drop(id);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
