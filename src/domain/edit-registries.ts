// runtime-utils EditRegistriesConfig on the MCO's empty template: mirror entries, blocked and insecure scopes
// with their propagation to nested entries and mirrors, and mirrors copied into nested entries without their own.
import { EngineError } from './engine-error.ts';
import { mergedMirrorSets } from './mirror-sets.ts';
import type { MergedMirrorSet, MirrorSetInput } from './mirror-sets.ts';
import type { Mirror, Registry } from './registries-conf.ts';
import { scopeIsNestedInsideScope } from './scope.ts';

/** mirrorsAdjustedForNestedScope: the mirrors of mirroredScope, re-pointed at subScope below it. */
export function mirrorsAdjustedForNestedScope(
  mirroredScope: string,
  subScope: string,
  mirrors: readonly string[],
): string[] {
  if (mirroredScope.startsWith('*.')) {
    throw new EngineError(
      'render',
      `internal error: mirrorsAdjustedForNestedScope for a wildcard scope ${JSON.stringify(mirroredScope)}`,
    );
  }
  if (!(
    subScope.length > mirroredScope.length &&
    subScope.startsWith(mirroredScope) &&
    subScope[mirroredScope.length] === '/'
  )) {
    throw new EngineError(
      'render',
      `internal error: mirrorsAdjustedForNestedScope(` +
        `${JSON.stringify(mirroredScope)}, ${JSON.stringify(subScope)}) not nested`,
    );
  }
  const suffix = subScope.slice(mirroredScope.length);
  return mirrors.map((m) => m + suffix);
}

export function registryScope(r: Registry): string {
  return r.prefix !== '' ? r.prefix : r.location;
}

function newEntry(scope: string): Registry {
  const wildcard = scope.startsWith('*.');
  return {
    prefix: wildcard ? scope : '',
    location: wildcard ? '' : scope,
    insecure: false,
    blocked: false,
    mirrorByDigestOnly: false,
    mirrors: [],
  };
}

/** EditRegistriesConfig on an empty template: the [[registry]] entries in file order. */
export function editRegistriesConfig(
  insecure: readonly string[],
  blocked: readonly string[],
  digest: readonly MirrorSetInput[],
  tag: readonly MirrorSetInput[],
): Registry[] {
  const regs: Registry[] = [];
  const byScope = new Map<string, Registry>();
  const entry = (scope: string): Registry => {
    let r = byScope.get(scope);
    if (r === undefined) {
      r = newEntry(scope);
      regs.push(r);
      byScope.set(scope, r);
    }
    return r;
  };
  const digestSets = mergedMirrorSets(digest);
  const tagSets = mergedMirrorSets(tag);
  const write = (sets: MergedMirrorSet[], pullFromMirror: Mirror['pullFromMirror']): void => {
    for (const set of sets) {
      const r = entry(set.source);
      if (set.blockSource) r.blocked = true;
      for (const m of set.mirrors) r.mirrors.push({ location: m, insecure: false, pullFromMirror });
    }
  };
  write(digestSets, 'digest-only');
  write(tagSets, 'tag-only');
  for (const scope of blocked) entry(scope);
  for (const scope of insecure) {
    entry(scope).insecure = true;
    for (const r of regs) {
      if (scopeIsNestedInsideScope(registryScope(r), scope)) r.insecure = true;
      for (const m of r.mirrors) if (scopeIsNestedInsideScope(m.location, scope)) m.insecure = true;
    }
  }
  for (const scope of blocked) {
    entry(scope).blocked = true;
    for (const r of regs) if (scopeIsNestedInsideScope(registryScope(r), scope)) r.blocked = true;
  }
  // Entries below a mirrored source that have no mirrors of their own get the source's mirrors re-pointed.
  // Only entries without mirrors can receive any (those made for insecure/blocked scopes), so the loop runs over
  // them alone: oc-mirror configurations have thousands of sources and a handful of such scopes.
  let mirrorless = regs.filter((r) => r.mirrors.length === 0);
  for (const set of [...digestSets, ...tagSets]) {
    if (mirrorless.length === 0) break;
    const src = byScope.get(set.source)!;
    for (const r of mirrorless) {
      const scope = registryScope(r);
      if (r === src || r.mirrors.length > 0 || scope === set.source || !scopeIsNestedInsideScope(scope, set.source))
        continue;
      const locations = mirrorsAdjustedForNestedScope(
        set.source,
        scope,
        src.mirrors.map((m) => m.location),
      );
      r.mirrors = src.mirrors.map((m, i) => ({ ...m, location: locations[i]! }));
    }
    mirrorless = mirrorless.filter((r) => r.mirrors.length === 0);
  }
  return regs;
}
