// The part of a policy set that can change how one image resolves, so that checking one image (the fix's proof)
// costs the few rules above that image, not all 10,000 sources of an oc-mirror cluster. What decides a pull:
//  - the entries whose scope is a prefix of the image's name (the longest wins; a nested entry without mirrors
//    inherits those of an ancestor source, which is also a prefix of the name);
//  - for each attempt, the entries above the rewritten name (its blocked flag);
//  - the image.config scopes (kept whole), the wildcard rules (kept whole), and the release payload (payload filter).
// Mirror lists merge per exact source and the MCO checks mirrorSourcePolicy per exact source, so every rule of a
// kept source is kept too. What the subset loses is only the "close but not matching" notes of unrelated sources.
import type { PolicySet } from './policy-set.ts';
import { parseNamed, parsePullReference, refName } from './reference.ts';

interface Rule {
  source: string;
  mirrors?: string[];
}

/** Whitespace and trailing "/" dropped (what the lenient render does); the usual clean string costs nothing. */
const clean = (s: string): string => {
  const c0 = s.charCodeAt(0);
  const cl = s.charCodeAt(s.length - 1);
  return c0 > 32 && cl > 32 && cl !== 47 ? s : s.trim().replace(/\/+$/, '');
};

/** The name a mirror turns `name` into (plain: prefix swapped; wildcard: host swapped). */
function rewritten(name: string, source: string, mirror: string): string {
  if (source.startsWith('*.')) {
    const slash = name.indexOf('/');
    return clean(mirror) + (slash === -1 ? '' : name.slice(slash));
  }
  return clean(mirror) + name.slice(source.length);
}

export function relevantSubset(p: PolicySet, reference: string): PolicySet {
  const names: string[] = [];
  try {
    names.push(refName(parsePullReference(reference)));
  } catch {
    return p;
  }
  if (p.releaseImage !== undefined) {
    try {
      names.push(refName(parseNamed(p.releaseImage)));
    } catch {
      return p;
    }
  }
  const lists: Array<readonly Rule[]> = [];
  for (const o of p.icsps) lists.push(o.spec.repositoryDigestMirrors ?? []);
  for (const o of p.idms) lists.push(o.spec.imageDigestMirrors ?? []);
  for (const o of p.itms) lists.push(o.spec.imageTagMirrors ?? []);
  // A plain string prefix covers both the MCO's nesting and containers/image's "/", ":" or "@" boundary.
  const above = (source: string, list: readonly string[]): boolean =>
    source.startsWith('*.') || list.some((n) => n.startsWith(source));
  const sources = new Set<string>();
  const attempts: string[] = [];
  for (const list of lists) {
    for (const r of list) {
      const s = clean(r.source);
      if (!above(s, names)) continue;
      sources.add(r.source);
      for (const n of names)
        if (s.startsWith('*.') || n.startsWith(s)) for (const m of r.mirrors ?? []) attempts.push(rewritten(n, s, m));
    }
  }
  if (attempts.length > 0)
    for (const list of lists)
      for (const r of list) if (!sources.has(r.source) && above(clean(r.source), attempts)) sources.add(r.source);
  // Objects stay even when emptied: whether any mirror object exists decides whether the MCO renders at all.
  const keep = <T extends Rule>(list: readonly T[] | undefined): T[] =>
    (list ?? []).filter((r) => sources.has(r.source));
  return {
    ...p,
    icsps: p.icsps.map((o) => ({ ...o, spec: { repositoryDigestMirrors: keep(o.spec.repositoryDigestMirrors) } })),
    idms: p.idms.map((o) => ({ ...o, spec: { imageDigestMirrors: keep(o.spec.imageDigestMirrors) } })),
    itms: p.itms.map((o) => ({ ...o, spec: { imageTagMirrors: keep(o.spec.imageTagMirrors) } })),
  };
}
