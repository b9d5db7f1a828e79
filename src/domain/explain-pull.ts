// The pull as CRI-O does it for a pod: the name is kept as written (the kubelet only appends ":latest"), a short name
// becomes candidates (an alias, or one per unqualified-search registry) under the node's short-name mode, and each
// candidate has its own pull plan (explain). A fully qualified name is explained as before; name:tag@digest is
// pulled by digest, as CRI-O does. Rules and sources: docs/short-names.md.
import { EngineError } from './engine-error.ts';
import { explain } from './explain.ts';
import type { ExplainInput, Explanation, Warning } from './explain.ts';
import type { PolicySet } from './policy-set.ts';
import type { PullSource } from './pull-source.ts';
import { parseNormalizedNamed, parseReference, refString } from './reference.ts';
import type { RegistriesConf } from './registries-conf.ts';
import { TEMPLATE_SEARCH_REGISTRIES } from './render.ts';
import { isRegistryDomain } from './short-name-aliases.ts';
import type { AliasTable } from './short-name-aliases.ts';
import { modeForOpenShiftVersion } from './short-name-mode.ts';
import type { ShortNameModeDecision } from './short-name-mode.ts';
import { kubeletImageName, resolveShortName, shortNameConfigOf } from './short-names.ts';
import type { ShortNameAlias, ShortNameConfig, ShortNameMode, ShortNameResolution } from './short-names.ts';

/** The top-level "shortName" of the JSON answer: null for a fully qualified reference. */
export interface ShortNameSummary {
  mode: ShortNameMode;
  /** In the order CRI-O tries them (only the alias when there is one). */
  candidates: string[];
  alias: ShortNameAlias | null;
}

/** One candidate's own plan (a short name has one per candidate). */
export interface CandidatePlan {
  candidate: string;
  verdict: Explanation['verdict'];
  matchedPrefix: string | null;
  pullSources: Explanation['pullSources'];
  skippedMirrors: Explanation['skippedMirrors'];
  error: Explanation['error'];
  /** policy.json's judgement of this candidate (each candidate is its own logical reference). */
  policy: Explanation['policy'];
}

export interface PullExplanation extends Explanation {
  shortName: ShortNameSummary | null;
  /** Present for short names: each candidate's plan, in order. pullSources is their concatenation. */
  candidatePlans?: CandidatePlan[];
  /** Where the short-name mode came from (present for short names). */
  shortNameModeSource?: string;
}

export interface PullExplainInput extends Omit<ExplainInput, 'reference'> {
  /** As written in the pod spec: a short name is resolved from the text, not from a normalized parse. */
  reference: string;
  /** The mode and where it comes from (a node's crio.conf, the cluster version, --short-name-mode). */
  shortNameMode?: ShortNameModeDecision;
  /** The node's machine alias cache, when read. */
  aliasCache?: AliasTable;
}

/**
 * The unqualified-search registries the MCO gives nodes: image.config containerRuntimeSearchRegistries (a drop-in),
 * else the template's.
 */
export function searchRegistriesOf(p: PolicySet | undefined): { registries: string[]; origin: string } {
  const custom = p?.image?.spec.registrySources?.containerRuntimeSearchRegistries;
  if (custom !== undefined && custom.length > 0)
    return { registries: [...custom], origin: '/etc/containers/registries.conf.d/01-image-searchRegistries.conf' };
  return { registries: [...TEMPLATE_SEARCH_REGISTRIES], origin: '/etc/containers/registries.conf' };
}

/** The mode to apply when the caller gave none: from the cluster version if known, else assumed. */
export function defaultModeDecision(p: PolicySet | undefined): ShortNameModeDecision {
  const fromVersion = p?.clusterVersion !== undefined ? modeForOpenShiftVersion(p.clusterVersion) : undefined;
  if (fromVersion !== undefined) return fromVersion;
  return {
    mode: 'disabled',
    source: 'assumed: no node read, no cluster version known',
    caveat:
      'OpenShift ≤ 4.20, ≥ 4.22 and 4.21 z-streams with OCPBUGS-76356 resolve short names ' +
      'with every search registry ("disabled"); earlier 4.21 (CRI-O 1.34) enforces. Pass ' +
      '--short-name-mode, a ClusterVersion, or use --live to read the node',
  };
}

function shortNameConfig(input: PullExplainInput): ShortNameConfig {
  if (input.conf !== undefined) return shortNameConfigOf(input.conf, input.aliasCache);
  const search = searchRegistriesOf(input.policies);
  return {
    searchRegistries: search.registries,
    searchOrigin: search.origin,
    ...(input.aliasCache !== undefined ? { aliasCache: input.aliasCache } : {}),
  };
}

function withShortName(e: Explanation, shortName: ShortNameSummary | null): PullExplanation {
  return { ...e, shortName };
}

function basisOf(input: PullExplainInput): Explanation['basis'] {
  if (input.conf !== undefined) return { kind: 'registries.conf', files: input.conf.files };
  const p = input.policies;
  return {
    kind: 'policies',
    objects: (p?.icsps.length ?? 0) + (p?.idms.length ?? 0) + (p?.itms.length ?? 0) + (p?.image ? 1 : 0),
  };
}

/** The answer for a pull that fails while the name is resolved, before any registry is contacted. */
function failure(
  input: PullExplainInput,
  code: 'short-name-ambiguous' | 'pull-error',
  summary: string,
  error: EngineError,
  advice: string[],
  warnings: Warning[],
  shortName: ShortNameSummary | null,
  plans: CandidatePlan[],
  modeSource?: string,
): PullExplanation {
  return {
    input: input.reference,
    normalizedReference: null,
    pullKind: null,
    matchedPrefix: null,
    verdict: { code, summary },
    pullSources: [],
    skippedMirrors: [],
    alternative: null,
    advice,
    warnings,
    error: { stage: error.stage, message: error.message },
    policy: null,
    basis: basisOf(input),
    shortName,
    ...(plans.length > 0 ? { candidatePlans: plans } : {}),
    ...(modeSource !== undefined ? { shortNameModeSource: modeSource } : {}),
  };
}

function planOf(candidate: string, e: Explanation): CandidatePlan {
  return {
    candidate,
    verdict: e.verdict,
    matchedPrefix: e.matchedPrefix,
    pullSources: e.pullSources,
    skippedMirrors: e.skippedMirrors,
    error: e.error,
    policy: e.policy,
  };
}

function describeFirst(plan: CandidatePlan): string {
  const first = plan.pullSources.find((s) => !s.blocked);
  if (plan.error !== null) return `${plan.candidate} fails (${plan.error.message})`;
  if (plan.verdict.code === 'rejected-by-policy') return `${plan.candidate}, which policy.json rejects`;
  if (first === undefined) return `${plan.candidate} (every source blocked)`;
  return first.mirror
    ? `${plan.candidate} through mirror ${first.location || first.reference}`
    : `${plan.candidate} from ${first.reference.split('/')[0]} directly`;
}

/** Explains one pull the way CRI-O performs it; see the file comment. */
export function explainPull(input: PullExplainInput): PullExplanation {
  // Reference errors come before anything about the configuration, as in CRI-O (the mode is in its SystemContext,
  // so shortnames.Resolve parses the name before it reads any file).
  let parsed;
  try {
    parsed = parseReference(input.reference);
  } catch {
    return withShortName(explain(input), null);
  }
  if (isRegistryDomain(parsed.domain)) {
    if (parsed.tag === undefined || parsed.digest === undefined) return withShortName(explain(input), null);
    // CRI-O (RegistryImageReferenceFromRaw) strips the tag of name:tag@digest and pulls by digest.
    let byDigest: string;
    try {
      const n = parseNormalizedNamed(input.reference);
      byDigest = refString({ domain: n.domain, path: n.path, ...(n.digest !== undefined ? { digest: n.digest } : {}) });
    } catch {
      return withShortName(explain(input), null);
    }
    const e = explain({ ...input, reference: byDigest });
    return {
      ...e,
      input: input.reference,
      shortName: null,
      warnings: [
        {
          code: 'tag-and-digest',
          message:
            `CRI-O pulls ${input.reference} by digest (${byDigest}): the tag is ignored. podman strips it ` +
            `the same way; skopeo and other containers/image tools refuse name:tag@digest.`,
        },
        ...e.warnings,
      ],
    };
  }

  const decision = input.shortNameMode ?? defaultModeDecision(input.policies);
  const modeWarnings: Warning[] = [];
  if (decision.caveat !== undefined)
    modeWarnings.push({
      code: 'short-name-mode-uncertain',
      message: `Short-name mode ${decision.mode} (${decision.source}). ${decision.caveat}.`,
    });
  // What CRI-O receives from the kubelet ("nginx" arrives as "nginx:latest"); it names that string in its errors.
  const received = kubeletImageName(input.reference);
  let res: ShortNameResolution;
  try {
    res = resolveShortName(received, shortNameConfig(input), decision.mode);
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return failure(
      input,
      'pull-error',
      `The pull fails before any registry is contacted: ${e.message}`,
      e,
      [],
      modeWarnings,
      null,
      [],
      decision.source,
    );
  }
  const summary: ShortNameSummary = { mode: res.mode, candidates: res.candidates, alias: res.alias };
  const plans = res.candidates.map((c) => {
    const e = explain({ ...input, reference: c });
    return { e, plan: planOf(c, e) };
  });
  const candidateWarnings = dedupe(plans.flatMap((p) => p.e.warnings));

  if (res.error !== null && res.candidates.length === 0) {
    return failure(
      input,
      'pull-error',
      `The pull fails before any registry is contacted: ${res.error.message}`,
      res.error,
      [
        `Use a fully qualified name (registry/repository:tag) in the pod spec, or define ` +
          `unqualified-search-registries (image.config spec.registrySources.containerRuntimeSearchRegistries) or ` +
          `an alias.`,
      ],
      modeWarnings,
      summary,
      [],
      decision.source,
    );
  }
  if (res.error !== null) {
    const list = res.candidates.map((c, i) => `${i + 1}. ${c}`).join(', ');
    return failure(
      input,
      'short-name-ambiguous',
      `The pull fails: ${input.reference} is a short name, the node's short-name mode ` +
        `is enforcing (${decision.source}) and it has ${res.candidates.length} candidates ` +
        `(${list}), so CRI-O refuses it: "${res.error.message}".`,
      res.error,
      [
        `Write the fully qualified name in the pod spec, e.g. ${res.candidates.map((c) => c).join(' or ')}.`,
        `Or define an alias for "${aliasKey(input.reference)}" in a registries.conf.d drop-in (a ` +
          `MachineConfig writing /etc/containers/registries.conf.d/<name>.conf with [aliases] ` +
          `"${aliasKey(input.reference)}" = "<registry>/<repository>"): an alias is the only candidate in every ` +
          `mode.`,
        `Or set short_name_mode = "disabled" in a crio.conf.d drop-in (ContainerRuntimeConfig ` +
          `has no field for it yet; OpenShift 4.22 and later 4.21.z ship it disabled).`,
      ],
      [...modeWarnings, ...candidateWarnings],
      summary,
      plans.map((p) => p.plan),
      decision.source,
    );
  }

  const pullSources: Array<PullSource & { candidate?: string }> = plans.flatMap((p) =>
    p.plan.pullSources.map((s) => ({ ...s, candidate: p.plan.candidate })),
  );
  const first = plans[0]!;
  const warnings = [...modeWarnings, ...candidateWarnings];
  let verdict: Explanation['verdict'];
  let advice: string[];
  if (res.alias !== null) {
    verdict = {
      code: first.e.verdict.code,
      summary:
        `${input.reference} is a short name with an alias: ${res.alias.name} = ${res.alias.value} ` +
        `(${res.alias.origin}), the only candidate in every mode. ${first.e.verdict.summary}`,
    };
    advice = first.e.advice;
  } else {
    const order = plans.map((p) => describeFirst(p.plan)).join('; if that fails, ');
    const others =
      plans.length > 1
        ? ` Each candidate has its own mirrors; a failure of one moves to the ` +
          `next, and the pull fails with the last candidate's error.`
        : '';
    verdict = {
      code: 'short-name-search',
      summary:
        `${input.reference} is a short name: with short-name mode ${res.mode} (${decision.source}) CRI-O ` +
        `tries ${plans.length === 1 ? 'one candidate' : `${plans.length} candidates in order`}: ${order}.` +
        `${others}`,
    };
    advice = [
      `Prefer a fully qualified name in the pod spec (` +
        `${res.candidates[res.candidates.length - 1]} if the image lives there): the search ` +
        `order depends on the node's configuration, and a same-named image on an earlier registry wins.`,
      ...(plans.length > 1
        ? [
            `Under short-name mode enforcing (CRI-O 1.34 default, OpenShift 4.21 before OCPBUGS-76356) this ` +
              `pull would fail: "short name mode is enforcing, but image name ${received} returns ambiguous ` +
              `list".`,
          ]
        : []),
    ];
  }
  return {
    input: input.reference,
    normalizedReference: first.e.normalizedReference,
    pullKind: first.e.pullKind,
    matchedPrefix: first.e.matchedPrefix,
    verdict,
    pullSources,
    skippedMirrors: plans.flatMap((p) => p.plan.skippedMirrors),
    alternative: first.e.alternative,
    advice,
    warnings,
    error: null,
    policy: first.e.policy,
    basis: first.e.basis,
    shortName: summary,
    candidatePlans: plans.map((p) => p.plan),
    shortNameModeSource: decision.source,
  };
}

function aliasKey(reference: string): string {
  try {
    const r = parseReference(reference);
    return r.domain === '' ? r.path : `${r.domain}/${r.path}`;
  } catch {
    return reference;
  }
}

function dedupe(ws: Warning[]): Warning[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.code}\u0000${w.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** For callers holding a loaded registries.conf: the same answer from the node's files. */
export function explainPullFromConf(
  reference: string,
  conf: RegistriesConf,
  mode: ShortNameModeDecision,
  aliasCache?: AliasTable,
): PullExplanation {
  return explainPull({ reference, conf, shortNameMode: mode, ...(aliasCache !== undefined ? { aliasCache } : {}) });
}
