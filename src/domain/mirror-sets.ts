// Mirror rules as the MCO collects them: digest sets (IDMS, then ICSP), tag sets (ITMS), grouped by exact
// source and merged by a topological sort (runtime-utils mergedMirrorSets). No object "wins".
import type { PolicySet } from './policy-set.ts';
import { byteCompare } from './registries-conf.ts';
import { TopoGraph } from './topo-sort.ts';
import type { MirrorSourcePolicy } from '../types/openshift.ts';

export interface MirrorSetInput {
  source: string;
  mirrors: string[];
  policy: MirrorSourcePolicy | '';
}

export interface MergedMirrorSet {
  source: string;
  mirrors: string[];
  blockSource: boolean;
}

/** mirrorsContainsARealMirror: at least one mirror that is not the source itself. */
export function mirrorsContainsARealMirror(source: string, mirrors: readonly string[]): boolean {
  return mirrors.some((m) => m !== source);
}

/** Groups sets by exact source and merges each group's lists by topological sort; sources in byte order. */
export function mergedMirrorSets(sets: readonly MirrorSetInput[]): MergedMirrorSet[] {
  const groups = new Map<string, { lists: string[][]; blockSource: boolean }>();
  for (const s of sets) {
    if (!mirrorsContainsARealMirror(s.source, s.mirrors)) continue; // ignored entirely, policy included
    let g = groups.get(s.source);
    if (g === undefined) {
      g = { lists: [], blockSource: false };
      groups.set(s.source, g);
    }
    g.lists.push(s.mirrors);
    if (s.policy === 'NeverContactSource') g.blockSource = true;
  }
  return [...groups.keys()].sort(byteCompare).map((source) => {
    const g = groups.get(source)!;
    const only = g.lists.length === 1 ? g.lists[0]! : undefined;
    if (only !== undefined && new Set(only).size === only.length) {
      // One list without repeats (oc-mirror: every source once): the sort of a simple chain is the chain itself.
      // Same result as the graph below, without building one per source.
      const mirrors = [...only];
      if (mirrors[mirrors.length - 1] === source) mirrors.pop();
      return { source, mirrors, blockSource: g.blockSource };
    }
    const graph = new TopoGraph();
    for (const list of g.lists) {
      for (let i = 0; i + 1 < list.length; i++) graph.addEdge(list[i]!, list[i + 1]!);
      if (!list.includes(source)) graph.addEdge(list[list.length - 1]!, source);
    }
    const sorted = graph.sorted();
    // The source is dropped only when it ends up last: containers/image tries the primary last anyway.
    if (sorted[sorted.length - 1] === source) sorted.pop();
    return { source, mirrors: sorted, blockSource: g.blockSource };
  });
}

/** Digest sets (IDMS, then ICSP) and tag sets (ITMS) as EditRegistriesConfig receives them. */
export function mirrorSetInputs(p: PolicySet): { digest: MirrorSetInput[]; tag: MirrorSetInput[] } {
  const digest: MirrorSetInput[] = [];
  for (const o of p.idms)
    for (const m of o.spec.imageDigestMirrors ?? [])
      digest.push({ source: m.source, mirrors: m.mirrors ?? [], policy: m.mirrorSourcePolicy ?? '' });
  for (const o of p.icsps)
    for (const m of o.spec.repositoryDigestMirrors ?? [])
      digest.push({ source: m.source, mirrors: m.mirrors ?? [], policy: '' });
  const tag: MirrorSetInput[] = [];
  for (const o of p.itms)
    for (const m of o.spec.imageTagMirrors ?? [])
      tag.push({ source: m.source, mirrors: m.mirrors ?? [], policy: m.mirrorSourcePolicy ?? '' });
  return { digest, tag };
}
