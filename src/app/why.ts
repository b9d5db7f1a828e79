// The "why" use case, shared by Slack and the CLI: a reference goes through the grammar once and travels
// parsed; its plan comes from the current policy generation and stays pinned to it, so the live check that
// follows judges the nodes against the very plan the requester was shown. No chat, no Kubernetes here.
import { EngineError } from '../domain/engine-error.ts';
import type { Explanation } from '../domain/explain.ts';
import { explainPull } from '../domain/explain-pull.ts';
import type { PullExplainInput } from '../domain/explain-pull.ts';
import { prepareExplainBasis } from '../domain/explain-basis.ts';
import type { ExplainBasisInput } from '../domain/explain-basis.ts';
import { toParsedReference } from '../domain/parsed-reference.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import type { HeldPlan, LiveCheckRequest, NodeSelection, PolicySource } from '../ports/live-check.ts';

export interface WhyPlan extends HeldPlan {
  /** undefined when the text is not a reference: the explanation then says why (verdict pull-error). */
  reference: ParsedReference | undefined;
}

const NOTHING_HELD = (): void => undefined;

/** The plan for what the user typed (or a reference parsed already): one generation, held until release(). */
export async function planWhy(source: PolicySource, input: ParsedReference | string): Promise<WhyPlan> {
  let reference: ParsedReference;
  try {
    reference = typeof input === 'string' ? toParsedReference(input) : input;
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    // Not a reference: the engine's answer names the bad part; nothing to check live.
    return {
      reference: undefined,
      generation: 0,
      explanation: await source.explain(input as string),
      release: NOTHING_HELD,
    };
  }
  if (source.plan !== undefined) return { reference, ...(await source.plan(reference)) };
  return { reference, generation: 0, explanation: await source.explain(reference.input), release: NOTHING_HELD };
}

/** The live check of a plan: the same reference (parsed), the same plan, the same generation. */
export function liveCheckRequest(
  plan: HeldPlan,
  reference: ParsedReference,
  selection: NodeSelection,
  requestedBy: string,
): LiveCheckRequest {
  return {
    image: reference.input,
    reference,
    selection,
    requestedBy,
    plan: { generation: plan.generation, explanation: plan.explanation },
  };
}

/** Whether the pull itself fails by the plan (CLI exit code 1). */
export function pullFails(e: Explanation): boolean {
  return e.error !== null || e.verdict.code === 'all-blocked' || e.verdict.code === 'rejected-by-policy';
}

/**
 * Policies that do not change while the process runs (files, a node's registries.conf): one generation, built
 * here once, before any request; every answer then costs the length of the reference.
 */
export function fixedPolicySource(
  cluster: string,
  input: ExplainBasisInput & Pick<PullExplainInput, 'shortNameMode' | 'aliasCache'>,
): PolicySource {
  const basis = prepareExplainBasis(input);
  // The pull as CRI-O does it (short names by their text), every candidate from the one basis.
  const answer = (text: string): Explanation => explainPull({ ...input, reference: text, basis });
  return {
    cluster,
    explain: async (image) => answer(image),
    plan: async (reference) => ({ generation: 1, explanation: answer(reference.input), release: NOTHING_HELD }),
  };
}
