// A PolicySet in slices for a structured-clone channel (postMessage to a worker thread): one clone of 40,000 rules
// holds the sending thread for hundreds of ms, a slice of 2,000 a few ms, so the sender can yield between slices.
// The receiver pushes each slice onto the skeleton's list. Pure.
import type { PolicySet } from './policy-set.ts';

export type RuleList = 'icsps' | 'idms' | 'itms';
export type PolicySlice = { skeleton: PolicySet } | { list: RuleList; object: number; rules: unknown[] };

/** Rules per slice: a structured clone of ~2,000 rules takes a few ms. */
export const RULES_PER_SLICE = 2000;

const FIELD = { icsps: 'repositoryDigestMirrors', idms: 'imageDigestMirrors', itms: 'imageTagMirrors' } as const;

/** The rule list of one object of a set being assembled (created empty when the object has none). */
export function rulesOf(p: PolicySet, list: RuleList, i: number): unknown[] {
  const spec = p[list][i]!.spec as Record<string, unknown>;
  let rules = spec[FIELD[list]];
  if (!Array.isArray(rules)) {
    rules = [];
    spec[FIELD[list]] = rules;
  }
  return rules as unknown[];
}

/** The policies without their rule lists (small) first, then the lists in slices, to send one by one. */
export function* policySlices(p: PolicySet, perSlice = RULES_PER_SLICE): Generator<PolicySlice> {
  const strip = <T extends { spec: object }>(o: T, f: string): T => ({ ...o, spec: { ...o.spec, [f]: [] } });
  const skeleton: PolicySet = {
    ...p,
    icsps: p.icsps.map((o) => strip(o, FIELD.icsps)),
    idms: p.idms.map((o) => strip(o, FIELD.idms)),
    itms: p.itms.map((o) => strip(o, FIELD.itms)),
  };
  yield { skeleton };
  for (const list of ['icsps', 'idms', 'itms'] as const) {
    for (let object = 0; object < p[list].length; object++) {
      const rules = ((p[list][object]!.spec as Record<string, unknown>)[FIELD[list]] ?? []) as unknown[];
      for (let k = 0; k < rules.length; k += perSlice) yield { list, object, rules: rules.slice(k, k + perSlice) };
    }
  }
}
