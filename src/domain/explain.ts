// "Why does this image pull from there?": the plan a node follows for one reference, every configured mirror
// it will NOT try and why (each traced to the object it came from), what the other kind of pull would try, and
// the pitfalls that apply. Pure: policies or a node's registries.conf in, a typed explanation out.
import { EngineError } from './engine-error.ts';
import { nodePolicyFindings, policyFindings, refusalWarning } from './explain-policy.ts';
import type { PolicyJson } from './policy-json.ts';
import type { PolicyCheck } from './explain-policy.ts';
import type { EngineStage } from './engine-error.ts';
import { registryScope } from './edit-registries.ts';
import { nearMissCandidates, prepareExplainBasis, wildcardCandidates } from './explain-basis.ts';
import type { ExplainBasis } from './explain-basis.ts';
import type { MirrorKind, Origin, OriginIndex } from './origin-index.ts';
import type { PolicySet } from './policy-set.ts';
import { refMatchingPrefix } from './prefix-match.ts';
import type { PullSource, ResolveResult } from './pull-source.ts';
import type { ParsedReference } from './parsed-reference.ts';
import { describeBadPart, ERR, parseNamed, parsePullReference, refName, refString } from './reference.ts';
import type { ImageReference } from './reference.ts';
import type { Mirror, RegistriesConf, Registry } from './registries-conf.ts';
import type { RenderOptions } from './render.ts';
import { hostOf, resolveParsed, rewriteReference } from './resolve.ts';
import type { RegistryIndex } from './resolve.ts';

export type SkipReason =
  | 'tag-pull-digest-only-mirror'
  | 'digest-pull-tag-only-mirror'
  | 'shadowed-by-longer-prefix'
  | 'no-matching-source'
  | 'blocked';

export type { Origin } from './origin-index.ts';

export interface SkippedMirror {
  location: string;
  /** The object the mirror came from (the first, when several configure it). */
  from: Origin;
  reason: SkipReason;
  /** The source scope the mirror belongs to. */
  source: string;
  detail: string;
}

/** Every warning an explanation can carry (the live policy source adds the live-policies-* ones). */
export const WARNING_CODES = [
  'mco-rejects-config',
  'nothing-rendered',
  'payload-registry-not-blocked',
  'implicit-latest',
  'never-contact-source-tag-pull',
  'source-tried-twice',
  'host-prefix-matches-port',
  'merged-mirror-order',
  'mirror-insecure-not-inherited',
  'wildcard-first-occurrence',
  'mco-dropped-blocked-registries',
  // a node's own policy.json asks for signatures (src/domain/explain-policy.ts)
  'policy-not-judged',
  // short names and name:tag@digest (src/domain/explain-pull.ts)
  'tag-and-digest',
  'short-name-mode-uncertain',
  'live-policies-stale',
  'live-policies-missing-kinds',
  'live-policies-input',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Warning {
  code: WarningCode;
  message: string;
}

/** Every verdict of a plan: what the node will do with this pull. */
export const VERDICT_CODES = [
  'mirror-first',
  'tag-pull-skips-digest-mirrors',
  'digest-pull-skips-tag-mirrors',
  'shadowed',
  'source-only',
  'no-mirror-configured',
  'all-blocked',
  'rejected-by-policy',
  'pull-error',
  // short names (src/domain/explain-pull.ts): enforcing mode with several candidates; candidates tried in order
  'short-name-ambiguous',
  'short-name-search',
] as const;
export type VerdictCode = (typeof VERDICT_CODES)[number];

export interface Explanation {
  input: string;
  normalizedReference: string | null;
  pullKind: 'tag' | 'digest' | null;
  matchedPrefix: string | null;
  verdict: { code: VerdictCode; summary: string };
  pullSources: Array<PullSource & { from?: Origin[] }>;
  skippedMirrors: SkippedMirror[];
  /** What the other kind of pull would try, when it would use mirrors this one skips. */
  alternative: { pullKind: 'tag' | 'digest'; reference: string; pullSources: PullSource[] } | null;
  advice: string[];
  warnings: Warning[];
  error: { stage: EngineStage; message: string } | null;
  /** /etc/containers/policy.json judged against the logical reference (policies basis only; else null). */
  policy: PolicyCheck | null;
  /** Where the configuration came from: the policy objects, or the registries.conf files. */
  basis: { kind: 'policies'; objects: number } | { kind: 'registries.conf'; files: string[] };
}

export interface ExplainInput {
  /** What the user typed, or the same already through the grammar (it is then not parsed again). */
  reference: string | ParsedReference;
  /** The policy generation's precomputed basis (prepareExplainBasis): policies, conf and render are then ignored. */
  basis?: ExplainBasis;
  policies?: PolicySet;
  /** A node's registries.conf, already loaded; takes precedence over rendering the policies. */
  conf?: RegistriesConf;
  render?: RenderOptions;
  /** A node's own policy.json, judged with conf (the policies' render is judged otherwise). */
  nodePolicy?: { path: string; policy: PolicyJson };
}

/** The placeholder a digest plan is computed with, shown to humans as @sha256:<digest>. */
const DUMMY_DIGEST = `sha256:${'0'.repeat(64)}`;
export const DIGEST_PLACEHOLDER = 'sha256:<digest>';

function mirrorKind(m: Mirror, reg: Registry): MirrorKind | 'all' {
  if (reg.mirrorByDigestOnly || m.pullFromMirror === 'digest-only') return 'digest';
  if (m.pullFromMirror === 'tag-only') return 'tag';
  return 'all';
}

function describeSource(s: PullSource): string {
  return s.mirror ? `mirror ${s.location || '(wildcard entry)'}` : `source ${s.location || hostOf(s.reference)}`;
}

function errorExplanation(
  input: string,
  stage: EngineStage,
  message: string,
  basis: Explanation['basis'],
  warnings: Warning[],
  advice: string[] = [],
): Explanation {
  return {
    input,
    normalizedReference: null,
    pullKind: null,
    matchedPrefix: null,
    verdict: { code: 'pull-error', summary: `The pull fails before any registry is contacted: ${message}` },
    pullSources: [],
    skippedMirrors: [],
    alternative: null,
    advice,
    warnings,
    error: { stage, message },
    policy: null,
    basis,
  };
}

/**
 * The answer for one reference. With `basis` (one per policy generation) it costs the length of the reference
 * plus the matched entry's mirrors, whatever the number of sources; without, the basis is built first (O(sources)).
 */
export function explain(input: ExplainInput): Explanation {
  const basis = input.basis ?? prepareExplainBasis(input);
  const { origins, basisJson, index } = basis;
  const warnings = [...basis.warnings];
  const text = typeof input.reference === 'string' ? input.reference : input.reference.input;

  let ref: ImageReference;
  try {
    ref = typeof input.reference === 'string' ? parsePullReference(text) : input.reference.ref;
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    const bad = e.message === ERR.tagAndDigest ? undefined : describeBadPart(text);
    const advice =
      e.message === ERR.tagAndDigest
        ? [
            'CRI-O (containers/image) refuses name:tag@digest; `podman pull` strips ' +
              'the tag and pulls by digest. Use name@digest in the pod spec.',
          ]
        : bad !== undefined
          ? [bad]
          : [];
    return errorExplanation(text, 'reference', e.message, basisJson, warnings, advice);
  }
  const name = refName(ref);
  const digestPull = ref.digest !== undefined;
  const kind: MirrorKind = digestPull ? 'digest' : 'tag';
  if (text !== refString(ref) && ref.tag === 'latest' && !/:[^/]*$/.test(text.split('@')[0] ?? '')) {
    warnings.push({
      code: 'implicit-latest',
      message: `No tag or digest given: ":latest" is implied, so this is a tag pull (${refString(ref)}).`,
    });
  }

  let plan: ResolveResult;
  try {
    plan = resolveParsed(index, ref);
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    const culprit = culpritOfRewrite(index, ref);
    return errorExplanation(text, e.stage, e.message, basisJson, warnings, culprit ? [culprit] : []);
  }

  const chosen = index.find(name);
  const skipped: SkippedMirror[] = [];
  const originOf = (k: MirrorKind | 'all', scope: string, location: string): Origin[] => {
    if (k !== 'all') return origins.lookup(k, scope, location);
    return [...origins.lookup('digest', scope, location), ...origins.lookup('tag', scope, location)];
  };
  const fromOf = (list: Origin[]): Origin => list[0] ?? basis.confLabel;
  if (chosen !== undefined) {
    const scope = registryScope(chosen);
    for (const m of chosen.mirrors) {
      const mk = mirrorKind(m, chosen);
      if (mk === 'digest' && !digestPull) {
        skipped.push({
          location: m.location,
          from: fromOf(originOf('digest', scope, m.location)),
          reason: 'tag-pull-digest-only-mirror',
          source: chosen.prefix,
          detail: 'digest-only mirror (ICSP/IDMS): used only for pulls by @sha256 digest',
        });
      } else if (mk === 'tag' && digestPull) {
        skipped.push({
          location: m.location,
          from: fromOf(originOf('tag', scope, m.location)),
          reason: 'digest-pull-tag-only-mirror',
          source: chosen.prefix,
          detail: 'tag-only mirror (ITMS): used only for pulls by tag',
        });
      }
    }
    for (const s of plan.pullSources) {
      if (s.mirror && s.blocked) {
        skipped.push({
          location: s.location,
          from: fromOf(originOf(kind, scope, s.location)),
          reason: 'blocked',
          source: chosen.prefix,
          detail: `the mirror lies under blocked registry ${s.blockedBy}; the attempt is refused`,
        });
      }
    }
  }
  for (const other of index.findAll(name)) {
    if (other === chosen || other.mirrors.length === 0) continue;
    for (const m of other.mirrors) {
      skipped.push({
        location: m.location,
        from: fromOf(originOf(mirrorKind(m, other), registryScope(other), m.location)),
        reason: 'shadowed-by-longer-prefix',
        source: other.prefix,
        detail:
          `configured for ${other.prefix}, but the longer ` +
          `prefix ${chosen?.prefix} wins and only its mirrors count`,
      });
    }
  }
  nearMisses(basis, ref, chosen).forEach(({ reg, why }) => {
    for (const m of reg.mirrors) {
      skipped.push({
        location: m.location,
        from: fromOf(originOf(mirrorKind(m, reg), registryScope(reg), m.location)),
        reason: 'no-matching-source',
        source: reg.prefix,
        detail: why,
      });
    }
  });

  const pullSources = plan.pullSources.map((s) => {
    if (!s.mirror || chosen === undefined) return s;
    const from = originOf(kind, registryScope(chosen), s.location);
    return from.length > 0 ? { ...s, from } : s;
  });

  // The other kind of pull, when it would use mirrors this one skips.
  let alternative: Explanation['alternative'] = null;
  const skipsKind = skipped.some(
    (s) => s.reason === 'tag-pull-digest-only-mirror' || s.reason === 'digest-pull-tag-only-mirror',
  );
  if (skipsKind) {
    const altRef: ImageReference = digestPull
      ? { domain: ref.domain, path: ref.path, tag: 'latest' }
      : { domain: ref.domain, path: ref.path, digest: DUMMY_DIGEST };
    try {
      const alt = resolveParsed(index, altRef);
      const show = (r: string): string => r.replace(DUMMY_DIGEST, DIGEST_PLACEHOLDER);
      alternative = {
        pullKind: digestPull ? 'tag' : 'digest',
        reference: show(refString(altRef)),
        pullSources: alt.pullSources.map((s) => ({ ...s, reference: show(s.reference) })),
      };
    } catch {
      alternative = null;
    }
  }

  addPitfallWarnings(warnings, { ref, plan, chosen, index, origins, digestPull, basis });
  const decided = decideVerdict(ref, plan, chosen, skipped);
  const fromFile = basis.basisJson.kind === 'registries.conf';
  const nodePol =
    fromFile && input.nodePolicy !== undefined ? nodePolicyFindings(input.nodePolicy, ref, plan.pullSources) : null;
  if (nodePol?.note) warnings.push({ code: 'policy-not-judged', message: nodePol.note });
  const pol = !fromFile ? policyFindings(basis.policies, basis.payloadFilter, ref, plan.pullSources) : nodePol;
  if (pol?.refusal && !warnings.some((w) => w.code === 'mco-rejects-config'))
    warnings.push(refusalWarning(pol.refusal));
  const verdict = pol?.verdict && decided.code !== 'all-blocked' ? pol.verdict : decided;
  const refused = warnings.find((w) => w.code === 'mco-rejects-config');
  if (refused !== undefined)
    verdict.summary +=
      ' Also: the MCO refuses these objects, so none of this reaches the nodes until fixed (see warnings).';
  const advice = [
    ...(verdict.code === 'rejected-by-policy' ? (pol?.advice ?? []) : []),
    ...adviceFor(decided.code, ref, chosen, skipped, plan),
  ];
  return {
    input: text,
    normalizedReference: plan.normalizedReference,
    pullKind: digestPull ? 'digest' : 'tag',
    matchedPrefix: plan.matchedPrefix,
    verdict,
    pullSources,
    skippedMirrors: skipped,
    alternative,
    advice,
    warnings,
    error: null,
    policy: pol?.check ?? null,
    basis: basisJson,
  };
}

/** Which endpoint made the rewrite fail, to name it in the advice. */
function culpritOfRewrite(index: RegistryIndex, ref: ImageReference): string | undefined {
  const reg = index.find(refName(ref));
  if (reg === undefined) return undefined;
  for (const m of reg.mirrors) {
    try {
      rewriteReference(refString(ref), reg.prefix, m.location);
    } catch {
      return (
        `Mirror "${m.location}" of ${reg.prefix} turns ${refString(ref)} into a non-canonical ` +
        `name, which aborts the whole pull (the source is not tried either). Point the mirror at ` +
        `a full repository path (for example ${m.location}/${ref.path}).`
      );
    }
  }
  return undefined;
}

/** Entries on the same host whose scope almost covers the reference: partial path components, docker.io/library. */
function nearMisses(
  basis: ExplainBasis,
  ref: ImageReference,
  chosen: Registry | undefined,
): Array<{ reg: Registry; why: string }> {
  const name = refName(ref);
  const out: Array<{ reg: Registry; why: string }> = [];
  const libraryAlias =
    ref.domain === 'docker.io' && ref.path.startsWith('library/')
      ? `docker.io/${ref.path.slice('library/'.length)}`
      : undefined;
  for (const reg of nearMissCandidates(basis, name, libraryAlias)) {
    if (out.length >= 10) break;
    if (reg === chosen || reg.mirrors.length === 0 || reg.prefix.startsWith('*.')) continue;
    if (refMatchingPrefix(name, reg.prefix) !== -1) continue;
    if (hostOf(reg.prefix) !== ref.domain.split(':')[0]) continue;
    if (name.startsWith(reg.prefix))
      out.push({
        reg,
        why: `source ${reg.prefix} is not a whole path component of ${name}: prefixes match on "/" boundaries only`,
      });
    else if (
      ref.domain === 'docker.io' &&
      ref.path.startsWith('library/') &&
      reg.prefix === `docker.io/${ref.path.slice('library/'.length)}`
    ) {
      out.push({
        reg,
        why:
          `${name} is the normalized name (official images live under ` +
          `docker.io/library/); source ${reg.prefix} does not cover it`,
      });
    } else if (reg.prefix.startsWith(`${name}/`))
      out.push({ reg, why: `source ${reg.prefix} is below ${name}: it covers only that sub-path` });
  }
  return out;
}

function decideVerdict(
  ref: ImageReference,
  plan: ResolveResult,
  chosen: Registry | undefined,
  skipped: SkippedMirror[],
): Explanation['verdict'] {
  const full = plan.normalizedReference;
  const kindWord = ref.digest !== undefined ? 'digest pull' : 'tag pull';
  const usable = plan.pullSources.filter((s) => !s.blocked);
  const primary = plan.pullSources[plan.pullSources.length - 1]!;
  if (usable.length === 0) {
    return {
      code: 'all-blocked',
      summary:
        `${full} cannot be pulled: every candidate is blocked (` +
        `${plan.pullSources.map(describeSource).join(', ')}), so the pull fails with "registry ... is blocked".`,
    };
  }
  const mirrors = usable.filter((s) => s.mirror);
  const byReason = (r: SkipReason): SkippedMirror[] => skipped.filter((s) => s.reason === r);
  if (mirrors.length > 0) {
    const order = usable.map(describeSource).join(', then ');
    const blockedNote = primary.blocked
      ? ` The source itself is blocked (NeverContactSource or ` +
        `blockedRegistries), so if every mirror fails the pull fails.`
      : '';
    return { code: 'mirror-first', summary: `${kindWord} of ${full}: tries ${order}.${blockedNote}` };
  }
  const viaSource = `goes straight to the ${describeSource(primary)}`;
  const tagSkips = byReason('tag-pull-digest-only-mirror');
  if (tagSkips.length > 0) {
    return {
      code: 'tag-pull-skips-digest-mirrors',
      summary:
        `${full} is a tag pull, so it ${viaSource}: ${plural(tagSkips.length, 'mirror')} ` +
        `${list(tagSkips)} ${tagSkips.length === 1 ? 'is' : 'are'} digest-only ` +
        `(${origins(tagSkips)}) and never used for tags. Pull by digest, or add an ImageTagMirrorSet.`,
    };
  }
  const digestSkips = byReason('digest-pull-tag-only-mirror');
  if (digestSkips.length > 0) {
    return {
      code: 'digest-pull-skips-tag-mirrors',
      summary:
        `${full} is a digest pull, so it ${viaSource}: ${plural(digestSkips.length, 'mirror')}` +
        ` ${list(digestSkips)} ${digestSkips.length === 1 ? 'is' : 'are'} tag-only ` +
        `(${origins(digestSkips)}). Add an ImageDigestMirrorSet for digest pulls.`,
    };
  }
  const shadowed = byReason('shadowed-by-longer-prefix');
  if (shadowed.length > 0) {
    return {
      code: 'shadowed',
      summary:
        `${kindWord} of ${full} ${viaSource}: [[registry]] ${chosen?.prefix} is the ` +
        `longest matching prefix and has no mirrors for this pull, which hides the mirrors ` +
        `of ${[...new Set(shadowed.map((s) => s.source))].join(', ')}.`,
    };
  }
  if (chosen === undefined) {
    const near = byReason('no-matching-source');
    const nearNote =
      near.length > 0 ? ` Close but not matching: ${[...new Set(near.map((s) => s.source))].join(', ')}.` : '';
    return {
      code: 'no-mirror-configured',
      summary:
        `No mirror rule covers ${full}: the node pulls it ` +
        `from ${primary.location.split('/')[0]} directly.${nearNote}`,
    };
  }
  return {
    code: 'source-only',
    summary: `${kindWord} of ${full} ${viaSource}: [[registry]] ${chosen.prefix} has no mirrors.`,
  };
}

function plural(n: number, w: string): string {
  return n === 1 ? w : `${w}s`;
}
function list(s: SkippedMirror[]): string {
  return [...new Set(s.map((x) => x.location))].join(', ');
}
function origins(s: SkippedMirror[]): string {
  return [...new Set(s.map((x) => `${x.from.kind}/${x.from.name}`))].join(', ');
}

function adviceFor(
  code: VerdictCode,
  ref: ImageReference,
  chosen: Registry | undefined,
  skipped: SkippedMirror[],
  plan: ResolveResult,
): string[] {
  const name = refName(ref);
  switch (code) {
    case 'tag-pull-skips-digest-mirrors': {
      const mirrors = [
        ...new Set(skipped.filter((s) => s.reason === 'tag-pull-digest-only-mirror').map((s) => s.location)),
      ];
      return [
        `Pull by digest: ${name}@sha256:<digest> (\`skopeo inspect ` +
          `docker://${refString(ref)}\` or \`oc image info ${refString(ref)}\` prints the digest).`,
        `Or make tag pulls use the mirror: add an ImageTagMirrorSet with source ${chosen?.prefix} and ` +
          `mirrors ${mirrors.join(', ')} (\`icsp why\` shows the result offline before you apply it).`,
      ];
    }
    case 'digest-pull-skips-tag-mirrors':
      return [
        `Add an ImageDigestMirrorSet for source ${chosen?.prefix} with the same mirrors, so digest pulls use them too.`,
      ];
    case 'all-blocked':
      return ref.digest === undefined && skipped.some((s) => s.reason === 'tag-pull-digest-only-mirror')
        ? [
            'The source is blocked (NeverContactSource) and its mirrors are ' +
              'digest-only: pull by digest, or add an ImageTagMirrorSet for tags.',
          ]
        : [
            'Every candidate is blocked: remove the scope from image.config ' +
              'blockedRegistries, or add a mirror outside it.',
          ];
    case 'mirror-first':
      return plan.pullSources.some((s) => s.mirror && !s.blocked)
        ? [
            `The node's pull secret (/var/lib/kubelet/config.json) needs credentials for ` +
              [...new Set(plan.pullSources.filter((s) => s.mirror).map((s) => hostOf(s.reference)))].join(', ') +
              ': credentials are looked up by the mirror host, not the source.',
          ]
        : [];
    default:
      return [];
  }
}

interface PitfallContext {
  ref: ImageReference;
  plan: ResolveResult;
  chosen: Registry | undefined;
  index: RegistryIndex;
  origins: OriginIndex;
  digestPull: boolean;
  basis: ExplainBasis;
}

function addPitfallWarnings(w: Warning[], c: PitfallContext): void {
  const { plan, chosen, ref } = c;
  const primary = plan.pullSources[plan.pullSources.length - 1]!;
  if (primary.blocked && !c.digestPull && plan.pullSources.every((s) => !s.mirror)) {
    w.push({
      code: 'never-contact-source-tag-pull',
      message:
        `The source is blocked and no mirror serves tag pulls: this pull fails with ` +
        `"registry ${primary.blockedBy} is blocked" (a classic disconnected-cluster failure).`,
    });
  }
  if (chosen !== undefined) {
    const scope = registryScope(chosen);
    if (plan.pullSources.some((s) => s.mirror && s.location === chosen.location && chosen.location !== '')) {
      w.push({
        code: 'source-tried-twice',
        message:
          `The source ${chosen.location} is also listed among its own mirrors, ` +
          `so it is tried as a mirror and again last as the source.`,
      });
    }
    const name = refName(ref);
    if (!chosen.prefix.startsWith('*.') && name.length > chosen.prefix.length && name[chosen.prefix.length] === ':') {
      w.push({
        code: 'host-prefix-matches-port',
        message:
          `Prefix ${chosen.prefix} also matches ${ref.domain} (same host with a port): ` +
          `containers/image marks this as unintended, do not rely on it.`,
      });
    }
    if (c.origins.mergedFromSeveralObjects(scope) && chosen.mirrors.length > 1) {
      w.push({
        code: 'merged-mirror-order',
        message:
          `Mirrors for ${scope} come from several objects: the MCO merges them by topological sort and ` +
          `unrelated mirrors sort alphabetically, not by object. Put them in one list to control the order.`,
      });
    }
    for (const s of plan.pullSources) {
      if (!s.mirror || s.insecure) continue;
      const own = c.index.find(refName(parseNamed(s.reference)));
      if (own?.insecure === true) {
        w.push({
          code: 'mirror-insecure-not-inherited',
          message:
            `Mirror ${s.location} sits in insecure scope ${own.prefix}, but that flag applies to the mirror ` +
            `only when set on the [[registry.mirror]] entry itself; this attempt verifies TLS.`,
        });
      }
    }
  }
  const host = ref.domain.split(':')[0]!;
  for (const reg of wildcardCandidates(c.basis, host)) {
    if (host.endsWith(reg.prefix.slice(1)) && refMatchingPrefix(refName(ref), reg.prefix) === -1) {
      w.push({
        code: 'wildcard-first-occurrence',
        message:
          `Wildcard ${reg.prefix} looks like it covers ${host}, but containers/image checks only the first ` +
          `"${reg.prefix.slice(1)}" in the name, which is not at the end of the host: it does not match.`,
      });
    }
  }
}
