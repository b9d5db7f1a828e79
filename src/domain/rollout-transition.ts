// What a new policy generation does to the nodes, given the notifier's memory: the policy state last accounted for
// and the render the MCO last ACCEPTED. When the MCO refuses a set, its container-runtime-config controller returns
// the error before it writes anything (syncImageConfig → registriesConfigIgnition fails, syncIgnitionConfig is never
// reached; no status or condition is set, only the controller log), so the 99-<pool>-generated-registries
// MachineConfig and the nodes keep the last accepted registries.conf. So a refused generation is no rollout (said
// once, when the refusal appears), and the rollout after it is measured from the last accepted render, not from
// the refused intent (whose render can equal the fix: a mirrorSourcePolicy conflict renders blocked either way). Pure.
import { changedObjects, describeChange } from './rollout-change.ts';
import type { ChangeDescription, ChangedObject, PolicyState, RenderedConfig } from './rollout-change.ts';

/** The notifier's memory a generation is judged against. */
export interface PolicyMemory {
  /** The policy state last accounted for (refused or not); null before the first pass. */
  baseline: PolicyState | null;
  /** The render the MCO last accepted (what the nodes are given); null when unknown. */
  accepted: RenderedConfig | null;
}

/** A refusal that appeared: what the MCO refuses and what the objects asked for (not applied). */
export interface Refusal {
  error: string;
  objects: ChangedObject[];
  /** The differences the refused objects ask for against the last accepted render (none reach the nodes). */
  asked: string[];
}

export type PolicyOutcome =
  { kind: 'none' } | { kind: 'rollout'; change: ChangeDescription } | { kind: 'refused'; refusal: Refusal };

export interface PolicyStep {
  outcome: PolicyOutcome;
  /** The refusal of the previous state is gone (the MCO accepts the objects again). */
  cleared: boolean;
  /** The memory after this generation. */
  memory: { baseline: PolicyState; accepted: RenderedConfig | null };
}

const refused = (s: PolicyState): boolean => s.config.error !== null;

/**
 * Judges a new generation: accepted → accepted compares the renders; → refused is one refusal (nothing for the
 * nodes), refused → refused nothing; refused → accepted is a rollout when the render differs from the last
 * ACCEPTED one. With no accepted render known (state written before it was kept, or a first start on refused
 * objects) the previous baseline stands in for it, as before.
 */
export function nextPolicyStep(memory: PolicyMemory, current: PolicyState): PolicyStep {
  const { baseline } = memory;
  const cleared = baseline !== null && refused(baseline) && !refused(current);
  if (refused(current)) {
    // A first pass on refused objects, or refused → refused: the nodes keep what they have, nothing new to say.
    if (baseline === null || refused(baseline))
      return { outcome: { kind: 'none' }, cleared, memory: { baseline: current, accepted: memory.accepted } };
    const accepted = memory.accepted ?? baseline.config;
    const asked = describeChange(
      { config: accepted, objects: baseline.objects },
      { ...current, config: { ...current.config, error: null } },
    );
    const refusal: Refusal = {
      error: current.config.error!,
      objects: changedObjects(baseline.objects, current.objects),
      asked: asked?.changes ?? [],
    };
    return { outcome: { kind: 'refused', refusal }, cleared, memory: { baseline: current, accepted } };
  }
  const before = baseline ?? current;
  const change = describeChange({ config: memory.accepted ?? before.config, objects: before.objects }, current);
  return {
    outcome: change === null ? { kind: 'none' } : { kind: 'rollout', change },
    cleared,
    memory: { baseline: current, accepted: current.config },
  };
}
