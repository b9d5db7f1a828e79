// The one rule for "what do these policies give the nodes": render them as the Machine Config Operator does, and
// when the MCO refuses them (its validation fails the sync, nothing is written, nodes keep their previous
// registries.conf) render what the objects intend instead, so an answer can still say what the user meant and
// flag the refusal. Used by explain (its basis), the live verdict (expected configuration), policy generations
// (both at once) and rollout notices.
import { EngineError } from './engine-error.ts';
import { normalizeLocation } from './origin-index.ts';
import type { PolicySet } from './policy-set.ts';
import { renderPolicies } from './render.ts';
import type { RenderOptions, RenderResult } from './render.ts';

/** The MCO's render, or its refusal together with the render of the intent. */
export type RenderOrIntent =
  | { refused: false; render: RenderResult; error: null }
  | {
      refused: true;
      /** What the objects intend; null when even that does not render (e.g. a wildcard-nesting error). */
      render: RenderResult | null;
      /** The MCO's error text (the machine-config-controller log line): nothing of the objects reaches the nodes. */
      error: string;
    };

export interface RenderOrIntentOptions extends RenderOptions {
  /**
   * Refused: render the objects as the MCO would take them once corrected (sources and mirrors without the
   * whitespace and trailing "/" its patterns refuse: what `fix` proposes, and what containers/image strips from a
   * file anyway) instead of as written. What the user meant: explain and the live verdict (one answer, one plan).
   * Rollout notices render the objects as written: they compare two policy states, and the corrected intent of a
   * refused set equals the render of its fix, so the fix (which rolls out: the MCO now writes a MachineConfig)
   * would compare as no change and go unannounced.
   */
  lenient?: boolean;
}

/** A copy of the policies with the whitespace and trailing "/" the MCO refuses trimmed away. */
function correctedPolicies(p: PolicySet): PolicySet {
  const fix = <T extends { source: string; mirrors?: string[] }>(r: T): T => ({
    ...r,
    source: normalizeLocation(r.source),
    ...(r.mirrors ? { mirrors: r.mirrors.map(normalizeLocation) } : {}),
  });
  return {
    ...p,
    icsps: p.icsps.map((o) => ({
      ...o,
      spec: { repositoryDigestMirrors: (o.spec.repositoryDigestMirrors ?? []).map(fix) },
    })),
    idms: p.idms.map((o) => ({ ...o, spec: { imageDigestMirrors: (o.spec.imageDigestMirrors ?? []).map(fix) } })),
    itms: p.itms.map((o) => ({ ...o, spec: { imageTagMirrors: (o.spec.imageTagMirrors ?? []).map(fix) } })),
  };
}

/** Renders as the MCO does; a refusal (an EngineError of stage "render") yields the intent and the MCO's message. */
export function renderOrIntent(p: PolicySet, opts: RenderOrIntentOptions = {}): RenderOrIntent {
  const { lenient, ...render } = opts;
  try {
    return { refused: false, render: renderPolicies(p, render), error: null };
  } catch (e) {
    if (!(e instanceof EngineError) || e.stage !== 'render') throw e;
    let intent: RenderResult | null;
    try {
      intent = renderPolicies(lenient === true ? correctedPolicies(p) : p, { ...render, skipValidation: true });
    } catch {
      intent = null;
    }
    return { refused: true, render: intent, error: e.message };
  }
}
