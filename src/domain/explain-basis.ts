// What `explain` needs besides the reference, computed once per policy generation instead of once per answer:
// the rendered configuration (or a node's file), its prefix index, the origin map, and the indexes that let the
// near-miss and wildcard checks look at a handful of entries instead of every one. Building it is O(sources);
// every answer from it costs the length of the reference (plus the matched entry's mirrors).
import { EngineError } from './engine-error.ts';
import { mcoDroppedBlockedMessage } from './mco-tolerance.ts';
import type { Explanation, Warning } from './explain.ts';
import { OriginIndex } from './origin-index.ts';
import type { PayloadFilterResult } from './payload-filter.ts';
import type { Origin } from './origin-index.ts';
import type { PolicySet } from './policy-set.ts';
import { byteCompare, confFromEntries } from './registries-conf.ts';
import type { RegistriesConf, Registry } from './registries-conf.ts';
import type { RenderOptions, RenderResult } from './render.ts';
import { renderOrIntent } from './render-or-intent.ts';
import type { RenderOrIntent } from './render-or-intent.ts';
import { RegistryIndex } from './resolve.ts';

export interface ExplainBasisInput {
  policies?: PolicySet;
  /** A node's registries.conf, already loaded; takes precedence over rendering the policies. */
  conf?: RegistriesConf;
  render?: RenderOptions;
  /** renderOrIntent (lenient) of the policies with `render` options, when the caller has it (one per generation). */
  rendered?: RenderOrIntent;
}

export interface ExplainBasis {
  conf: RegistriesConf;
  index: RegistryIndex;
  origins: OriginIndex;
  /** Warnings that hold for every answer (the MCO refuses the objects, nothing rendered, ...). */
  warnings: Warning[];
  /** The origin shown for a mirror no policy object names (a node's file, the render itself). */
  confLabel: Origin;
  basisJson: Explanation['basis'];
  /** The policies the basis was rendered from (empty for a node's file): policy.json is judged from them. */
  policies: PolicySet;
  /** The render's payload filter (policy.json's blocked scopes depend on it). */
  payloadFilter?: PayloadFilterResult;
  /** Non-wildcard entries with mirrors, in prefix order: near misses "below" a name are a range of it. */
  mirrored: Registry[];
  /** Wildcard entries by prefix ("*.example.com"). */
  wildcards: Map<string, Registry>;
}

const EMPTY: PolicySet = { icsps: [], idms: [], itms: [] };

function basisFromPolicies(
  p: PolicySet,
  opts: RenderOptions,
  given?: RenderOrIntent,
): { conf: RegistriesConf; warnings: Warning[]; payloadFilter?: PayloadFilterResult } {
  const warnings: Warning[] = [];
  const outcome = given ?? renderOrIntent(p, { ...opts, lenient: true });
  let rendered: RenderResult;
  if (!outcome.refused) rendered = outcome.render;
  else {
    // Refused: nodes keep their previous file. Explain what the objects were meant to do, and say loudly that it
    // is not what nodes have. When not even the intent renders, there is nothing to explain from.
    if (outcome.render === null) throw new EngineError('render', outcome.error);
    rendered = outcome.render;
    warnings.push({
      code: 'mco-rejects-config',
      message:
        `The Machine Config Operator (4.13+) refuses these objects: ${outcome.error}. Nothing of ` +
        `this configuration reaches the nodes (the error shows only in the ` +
        `machine-config-controller log); the plan below is what the objects intend once fixed.`,
    });
  }
  if (!rendered.rendered && rendered.reason !== undefined)
    warnings.push({ code: 'nothing-rendered', message: `${rendered.reason}.` });
  const tolerated = rendered.payloadFilter?.toleratedError;
  if (tolerated !== undefined) {
    const dropped = p.image?.spec.registrySources?.blockedRegistries ?? [];
    warnings.push({ code: 'mco-dropped-blocked-registries', message: mcoDroppedBlockedMessage(tolerated, dropped) });
  } else if (rendered.payloadFilter?.loggedError) {
    warnings.push({
      code: 'payload-registry-not-blocked',
      message:
        `The MCO drops a blocked registry that serves the release payload and has no unblocked ` +
        `mirror (${rendered.payloadFilter.loggedError}); only the controller log says so.`,
    });
  }
  return {
    conf: confFromEntries(rendered.registries),
    warnings,
    ...(rendered.payloadFilter ? { payloadFilter: rendered.payloadFilter } : {}),
  };
}

/** Everything an answer needs besides the reference; O(sources), once per generation of the policies. */
export function prepareExplainBasis(input: ExplainBasisInput): ExplainBasis {
  const origins = new OriginIndex(input.policies);
  let conf: RegistriesConf;
  let warnings: Warning[];
  let confLabel: Origin;
  let payloadFilter: PayloadFilterResult | undefined;
  if (input.conf !== undefined) {
    conf = input.conf;
    warnings = [];
    confLabel = { kind: 'registries.conf', name: input.conf.files[0] ?? 'registries.conf' };
  } else {
    ({ conf, warnings, payloadFilter } = basisFromPolicies(
      input.policies ?? EMPTY,
      input.render ?? {},
      input.rendered,
    ));
    confLabel = { kind: 'rendered', name: 'registries.conf' };
  }
  const p = input.policies;
  const basisJson: Explanation['basis'] =
    input.conf !== undefined
      ? { kind: 'registries.conf', files: input.conf.files }
      : {
          kind: 'policies',
          objects: (p?.icsps.length ?? 0) + (p?.idms.length ?? 0) + (p?.itms.length ?? 0) + (p?.image ? 1 : 0),
        };
  const mirrored: Registry[] = [];
  const wildcards = new Map<string, Registry>();
  for (const reg of conf.registries) {
    if (reg.prefix.startsWith('*.')) {
      if (!wildcards.has(reg.prefix)) wildcards.set(reg.prefix, reg);
    } else if (reg.mirrors.length > 0) mirrored.push(reg);
  }
  // A loaded configuration is sorted already; sort anyway, the range search below depends on it.
  mirrored.sort((a, b) => byteCompare(a.prefix, b.prefix));
  return {
    conf,
    index: new RegistryIndex(conf),
    origins,
    warnings,
    confLabel,
    basisJson,
    mirrored,
    wildcards,
    policies: input.policies ?? EMPTY,
    ...(payloadFilter !== undefined ? { payloadFilter } : {}),
  };
}

/** The entries a near-miss check has to look at for `name`, in prefix order: O(length of name + log n). */
export function nearMissCandidates(
  basis: ExplainBasis,
  name: string,
  dockerLibraryAlias: string | undefined,
): Registry[] {
  const found = new Map<string, Registry>();
  const add = (reg: Registry | undefined): void => {
    if (reg !== undefined && !reg.prefix.startsWith('*.') && reg.mirrors.length > 0) found.set(reg.prefix, reg);
  };
  // Prefixes of the name as a string (they match on a "/" boundary or are a partial component).
  for (let i = 1; i <= name.length; i++) add(basis.index.entry(name.slice(0, i)));
  if (dockerLibraryAlias !== undefined) add(basis.index.entry(dockerLibraryAlias));
  // Sources below the name: a contiguous range of the sorted entries; at most 10 are ever reported.
  const below = `${name}/`;
  let lo = 0;
  let hi = basis.mirrored.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byteCompare(basis.mirrored[mid]!.prefix, below) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo, n = 0; i < basis.mirrored.length && n < 10 && basis.mirrored[i]!.prefix.startsWith(below); i++, n++)
    add(basis.mirrored[i]);
  return [...found.values()].sort((a, b) => byteCompare(a.prefix, b.prefix));
}

/** Wildcard entries whose suffix ends the host ("*.d" for each ".d" of it), in prefix order. */
export function wildcardCandidates(basis: ExplainBasis, host: string): Registry[] {
  const out: Registry[] = [];
  for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) {
    const reg = basis.wildcards.get(`*${host.slice(i)}`);
    if (reg !== undefined) out.push(reg);
  }
  return out.sort((a, b) => byteCompare(a.prefix, b.prefix));
}
