// Which policy objects configure mirror L for source S, by pull kind: to name the object behind every mirror an
// answer shows. Built once per policy generation in O(rules); a lookup costs the length of the scope, not the
// number of sources (oc-mirror writes tens of thousands of them).
import type { PolicySet } from './policy-set.ts';

export interface Origin {
  kind: string;
  name: string;
}

export type MirrorKind = 'digest' | 'tag';

/** What containers/image does to a location on load, and what the lenient render applies to refused input. */
export function normalizeLocation(s: string): string {
  const t = s.trim();
  return t.endsWith('/') ? t.replace(/\/+$/, '') : t;
}

export class OriginIndex {
  /** kind → source → mirror location → objects (nested maps: no key string built per mirror). */
  private readonly map: Record<MirrorKind, Map<string, Map<string, Origin[]>>> = { digest: new Map(), tag: new Map() };
  /** Normalized source → position of its first appearance: an ancestor that appears first wins, as before. */
  private readonly firstSeen = new Map<string, number>();
  private readonly multiObjectSources = new Set<string>();

  constructor(p: PolicySet | undefined) {
    if (p === undefined) return;
    const perSource = new Map<string, Set<string>>();
    const add = (kind: MirrorKind, source: string, mirrors: readonly string[] | undefined, o: Origin): void => {
      const s = normalizeLocation(source);
      if (!this.firstSeen.has(s)) this.firstSeen.set(s, this.firstSeen.size);
      let bySource = this.map[kind].get(s);
      if (bySource === undefined) {
        bySource = new Map();
        this.map[kind].set(s, bySource);
      }
      for (const m of mirrors ?? []) {
        const location = normalizeLocation(m);
        const list = bySource.get(location);
        if (list === undefined) bySource.set(location, [o]);
        else if (!list.some((x) => x.kind === o.kind && x.name === o.name)) list.push(o);
      }
      const objects = perSource.get(s);
      if (objects === undefined) perSource.set(s, new Set([`${o.kind}/${o.name}`]));
      else objects.add(`${o.kind}/${o.name}`);
    };
    for (const o of p.idms)
      for (const r of o.spec.imageDigestMirrors ?? [])
        add('digest', r.source, r.mirrors, { kind: o.kind, name: o.metadata.name });
    for (const o of p.icsps)
      for (const r of o.spec.repositoryDigestMirrors ?? [])
        add('digest', r.source, r.mirrors, { kind: o.kind, name: o.metadata.name });
    for (const o of p.itms)
      for (const r of o.spec.imageTagMirrors ?? [])
        add('tag', r.source, r.mirrors, { kind: o.kind, name: o.metadata.name });
    for (const [s, objects] of perSource) if (objects.size > 1) this.multiObjectSources.add(s);
  }

  /**
   * Objects behind mirror `location` of the entry for `scope`, including mirrors the MCO copied from an ancestor
   * source (scope = ancestor + "/sub", location = ancestor's mirror + "/sub"). The ancestors are the scope cut at
   * each "/"; of several that match, the one whose source appeared first in the policies wins.
   */
  lookup(kind: MirrorKind, scope: string, location: string): Origin[] {
    const direct = this.map[kind].get(scope)?.get(location);
    if (direct !== undefined) return direct;
    let best: { at: number; origins: Origin[] } | undefined;
    for (let i = scope.indexOf('/'); i !== -1; i = scope.indexOf('/', i + 1)) {
      const ancestor = scope.slice(0, i);
      const at = this.firstSeen.get(ancestor);
      if (at === undefined || ancestor.startsWith('*.') || (best !== undefined && best.at < at)) continue;
      const suffix = scope.slice(i);
      if (!location.endsWith(suffix)) continue;
      const found = this.map[kind].get(ancestor)?.get(location.slice(0, location.length - suffix.length));
      if (found !== undefined) best = { at, origins: found };
    }
    return best?.origins ?? [];
  }

  mergedFromSeveralObjects(scope: string): boolean {
    return this.multiObjectSources.has(scope);
  }
}
