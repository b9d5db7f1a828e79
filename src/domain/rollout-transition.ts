// What a new policy generation does to the nodes, given the notifier's memory: the policy state last accounted for
// and the render the MCO last ACCEPTED. When the MCO refuses a set, its container-runtime-config controller returns
// the error before it writes anything (syncImageConfig → registriesConfigIgnition fails, syncIgnitionConfig is never
// reached; no status or condition is set, only the controller log), so the 99-<pool>-generated-registries
// MachineConfig and the nodes keep the last accepted registries.conf. So a refused generation is no rollout (said
// once, when the refusal appears), and the rollout after it is measured from the last accepted render, not from
// the refused intent (whose render can equal the fix: a mirrorSourcePolicy conflict renders blocked either way).
// A refused set changed into another refused set is a follow-up of the open refusal (the channel learns the new
// reason in its thread), not a second refusal. Pure.
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
  /**
   * The bot first started on objects already refused: which change was refused is not known (`objects` lists only
   * changes seen since), and the accepted render was read from the pools' rendered MachineConfigs.
   */
  seenAtStart?: boolean;
}

export type PolicyOutcome =
  | { kind: 'none' }
  | { kind: 'rollout'; change: ChangeDescription }
  | { kind: 'refused'; refusal: Refusal }
  /**
   * Refused before and still refused after a change of the objects: `refusal` is the new one (its objects: those
   * changed by this step); `sameReason` when the MCO's error is the same text.
   */
  | { kind: 'refusal-changed'; refusal: Refusal; sameReason: boolean };

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
 * nodes); refused → refused is a follow-up of that refusal when the objects (or the error) changed, else nothing;
 * refused → accepted is a rollout when the render differs from the last ACCEPTED one. With no accepted render known
 * (state written before it was kept, or a first start on refused objects) the previous baseline stands in for it,
 * as before.
 */
export function nextPolicyStep(memory: PolicyMemory, current: PolicyState): PolicyStep {
  const { baseline } = memory;
  const cleared = baseline !== null && refused(baseline) && !refused(current);
  if (refused(current)) {
    // A first pass on refused objects: the nodes keep what they have, nothing new to say.
    if (baseline === null)
      return { outcome: { kind: 'none' }, cleared, memory: { baseline: current, accepted: memory.accepted } };
    const objects = changedObjects(baseline.objects, current.objects);
    const error = current.config.error!;
    // refused → refused with the same objects (a relist, a status write): nothing
    if (refused(baseline) && objects.length === 0 && baseline.config.error === error)
      return { outcome: { kind: 'none' }, cleared, memory: { baseline: current, accepted: memory.accepted } };
    const accepted = memory.accepted ?? (refused(baseline) ? null : baseline.config);
    const asked = describeChange(
      { config: accepted ?? baseline.config, objects: baseline.objects },
      { ...current, config: { ...current.config, error: null } },
    );
    const refusal: Refusal = { error, objects, asked: asked?.changes ?? [] };
    const outcome: PolicyOutcome = refused(baseline)
      ? { kind: 'refusal-changed', refusal, sameReason: baseline.config.error === error }
      : { kind: 'refused', refusal };
    return { outcome, cleared, memory: { baseline: current, accepted } };
  }
  const before = baseline ?? current;
  const change = describeChange({ config: memory.accepted ?? before.config, objects: before.objects }, current);
  return {
    outcome: change === null ? { kind: 'none' } : { kind: 'rollout', change },
    cleared,
    memory: { baseline: current, accepted: current.config },
  };
}

/**
 * A first start (no stored state) on objects the MCO already refuses, with the render it last accepted read from
 * the pools: the refusal is said once, what the objects ask for measured against that render; which objects were
 * changed is not known. Unknown accepted render (no pool, nothing readable): nothing to say (the old first start).
 */
export function firstStepOnRefused(current: PolicyState, accepted: RenderedConfig | null): PolicyStep {
  if (!refused(current) || accepted === null) return nextPolicyStep({ baseline: null, accepted: null }, current);
  const step = nextPolicyStep({ baseline: { config: accepted, objects: current.objects }, accepted }, current);
  if (step.outcome.kind !== 'refused') return step;
  return { ...step, outcome: { kind: 'refused', refusal: { ...step.outcome.refusal, seenAtStart: true } } };
}

/**
 * The open refusal after a refused set changed into another refused set: the new error and what the objects ask
 * for now (against the last accepted render), and the objects changed since the last ACCEPTED set (those of the
 * first refusal with this step's changes folded in: created then changed stays created, created then deleted is
 * gone, deleted then created is changed).
 */
export function followedRefusal(open: Refusal, next: Refusal): Refusal {
  const id = (o: ChangedObject): string => `${o.kind}/${o.name}`;
  const merged = new Map(open.objects.map((o) => [id(o), o]));
  for (const o of next.objects) {
    const was = merged.get(id(o));
    if (was === undefined) merged.set(id(o), o);
    else if (was.action === 'created' && o.action === 'deleted') merged.delete(id(o));
    else if (was.action === 'created') merged.set(id(o), { ...o, action: 'created' });
    else if (was.action === 'deleted' && o.action === 'created') merged.set(id(o), { ...o, action: 'changed' });
    else merged.set(id(o), o);
  }
  return {
    error: next.error,
    objects: [...merged.values()],
    asked: next.asked,
    ...(open.seenAtStart === true ? { seenAtStart: true } : {}),
  };
}
