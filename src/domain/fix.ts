// The fix for a verdict, checked by the engine: the manifests that remedy it (a corrected object the MCO refused,
// an ImageTagMirrorSet for tag pulls, an ImageDigestMirrorSet for digest pulls, a mirror set for a shadowing
// prefix, a mirror the user names) and the proof: the same image explained again with the fix applied reaches the
// intended verdict, and the MCO renders the result. A fix the engine cannot prove is not offered.
import { EngineError } from './engine-error.ts';
import { explain } from './explain.ts';
import type { Explanation, VerdictCode } from './explain.ts';
import { dumpGoYaml } from './go-yaml.ts';
import { overlayPolicies } from './policy-overlay.ts';
import type { PolicySet } from './policy-set.ts';
import { isDigested, parsePullReference, refName } from './reference.ts';
import { relevantSubset } from './policy-subset.ts';
import { renderPolicies } from './render.ts';
import type { RenderOptions } from './render.ts';
import { isValidMirror } from './scope.ts';
import { validateRegistriesConfScopes } from './mco-validate.ts';
import type {
  ImageConfig,
  ImageMirrors,
  MirrorObject,
  MirrorSourcePolicy,
  ObjectMeta,
  PolicyObject,
  RegistrySources,
} from '../types/openshift.ts';

export interface FixStep {
  /** The verdict or warning code this step remedies. */
  remedies: string;
  description: string;
}

export interface Fix {
  /** The manifests to apply, as one YAML stream (`oc apply -f`). */
  yaml: string;
  objects: PolicyObject[];
  steps: FixStep[];
  verdictBefore: VerdictCode;
  /** The verdict the engine computes with the fix applied (the proof). */
  verdictAfter: VerdictCode;
  /** The first pull source after the fix, for the one-line answer. */
  firstSourceAfter: string | null;
  applyCommand: string;
}

export interface FixResult {
  fix: Fix | null;
  /** Why there is no fix (nothing to remedy, or the engine could not prove one). */
  note: string | null;
}

export interface FixInput {
  reference: string;
  policies: PolicySet;
  render?: RenderOptions;
  /** A mirror the user names for an image no rule covers (`--mirror`): the repository that holds the image. */
  mirror?: string;
  /** The explanation already computed for these policies (saves one explain). */
  explanation?: Explanation;
}

const APPLY = 'oc apply -f fix.yaml';

/** What containers/image strips on load and the MCO refuses: whitespace and trailing slashes. */
const clean = (s: string): string => s.trim().replace(/\/+$/, '');

/** Metadata `oc apply` accepts back: name, labels, annotations (no uid, resourceVersion, managedFields). */
function applyableMeta(m: ObjectMeta): ObjectMeta {
  return {
    name: m.name,
    ...(m.labels ? { labels: { ...m.labels } } : {}),
    ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
  };
}

function cleanRules<T extends { source: string; mirrors?: string[]; mirrorSourcePolicy?: MirrorSourcePolicy }>(
  rules: readonly T[],
): T[] {
  return rules.map((r) => {
    const source = clean(r.source);
    let mirrors = r.mirrors === undefined ? undefined : [...new Set(r.mirrors.map(clean))];
    // NeverContactSource with the source among the mirrors is refused; the source as a mirror is tried anyway last.
    if (mirrors !== undefined && r.mirrorSourcePolicy === 'NeverContactSource')
      mirrors = mirrors.filter((m) => m !== source);
    return { ...r, source, ...(mirrors !== undefined ? { mirrors } : {}) };
  });
}

/** Corrected copies of the objects the MCO refuses for fixable reasons; empty when nothing changes. */
function correctRefused(p: PolicySet): PolicyObject[] {
  const out: PolicyObject[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  for (const o of p.icsps) {
    const rules = cleanRules(o.spec.repositoryDigestMirrors ?? []);
    if (!same(rules, o.spec.repositoryDigestMirrors ?? []))
      out.push({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: applyableMeta(o.metadata),
        spec: { repositoryDigestMirrors: rules },
      });
  }
  for (const o of p.idms) {
    const rules = cleanRules(o.spec.imageDigestMirrors ?? []);
    if (!same(rules, o.spec.imageDigestMirrors ?? []))
      out.push({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: applyableMeta(o.metadata),
        spec: { imageDigestMirrors: rules },
      });
  }
  for (const o of p.itms) {
    const rules = cleanRules(o.spec.imageTagMirrors ?? []);
    if (!same(rules, o.spec.imageTagMirrors ?? []))
      out.push({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: applyableMeta(o.metadata),
        spec: { imageTagMirrors: rules },
      });
  }
  const rs = p.image?.spec.registrySources;
  if (p.image !== undefined && rs !== undefined) {
    const fixed = { ...rs };
    for (const k of ['insecureRegistries', 'blockedRegistries', 'allowedRegistries'] as const) {
      const list = rs[k];
      if (list !== undefined) fixed[k] = [...new Set(list.map(clean).filter((s) => s !== ''))];
    }
    if (!same(fixed, rs))
      out.push({
        apiVersion: p.image.apiVersion,
        kind: 'Image',
        metadata: applyableMeta(p.image.metadata),
        spec: { ...p.image.spec, registrySources: fixed },
      } satisfies ImageConfig);
  }
  return out;
}

/** The mirrorSourcePolicy the MCO requires a new rule for `source` to carry: the one its other rules have. */
function policyOf(p: PolicySet, source: string): MirrorSourcePolicy | undefined {
  for (const list of [...p.idms.map((o) => o.spec.imageDigestMirrors), ...p.itms.map((o) => o.spec.imageTagMirrors)]) {
    for (const r of list ?? [])
      if (r.source === source && r.mirrorSourcePolicy === 'NeverContactSource') return 'NeverContactSource';
  }
  return undefined;
}

/** A DNS-1123 object name from a source scope, not used yet by an object of that kind. */
function objectName(p: PolicySet, kind: 'ImageDigestMirrorSet' | 'ImageTagMirrorSet', source: string): string {
  const slug =
    source
      .toLowerCase()
      .replace(/^\*\./, 'wildcard-')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 200) || 'source';
  const taken = new Set((kind === 'ImageDigestMirrorSet' ? p.idms : p.itms).map((o) => o.metadata.name));
  const base = `icsp-fix-${slug}`.replace(/-+$/, '');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

function mirrorSet(
  p: PolicySet,
  kind: 'ImageDigestMirrorSet' | 'ImageTagMirrorSet',
  source: string,
  mirrors: readonly string[],
): MirrorObject {
  const policy = policyOf(p, source);
  const rule: ImageMirrors = {
    source,
    mirrors: [...new Set(mirrors)],
    ...(policy !== undefined ? { mirrorSourcePolicy: policy } : {}),
  };
  const metadata: ObjectMeta = { name: objectName(p, kind, source), annotations: { 'icsp-bot/fix-for': source } };
  return kind === 'ImageTagMirrorSet'
    ? { apiVersion: 'config.openshift.io/v1', kind, metadata, spec: { imageTagMirrors: [rule] } }
    : { apiVersion: 'config.openshift.io/v1', kind, metadata, spec: { imageDigestMirrors: [rule] } };
}

interface Remedy {
  objects: PolicyObject[];
  step: FixStep;
  /** What the proof must reach: a verdict, or "served" (any verdict where a pull source serves and is allowed). */
  intended?: VerdictCode | 'served';
}

/** Verdicts under which the node gets the image from somewhere and the policy lets it through. */
const SERVED: ReadonlySet<VerdictCode> = new Set<VerdictCode>([
  'mirror-first',
  'tag-pull-skips-digest-mirrors',
  'digest-pull-skips-tag-mirrors',
  'shadowed',
  'source-only',
  'no-mirror-configured',
]);

/** rejected-by-policy: the image.config change that lets the logical name through policy.json. */
function policyRemedy(e: Explanation, p: PolicySet): Remedy | { unfixable: string } {
  const check = e.policy;
  const image = p.image;
  if (check === null || image === undefined)
    return { unfixable: 'the policy.json rejection does not come from image.config; nothing to change there' };
  const rs = image.spec.registrySources ?? {};
  let fixed: RegistrySources;
  let description: string;
  if (check.field === 'blockedRegistries' && check.entry !== null) {
    fixed = { ...rs, blockedRegistries: (rs.blockedRegistries ?? []).filter((b) => b !== check.entry) };
    description =
      `image.config cluster without blockedRegistries entry ${check.entry}: policy.json judges the ` +
      `name the pod asked for, so a blocked source is rejected even when a mirror serves it (to keep ` +
      `nodes off the source, use mirrorSourcePolicy: NeverContactSource instead)`;
  } else if (check.field === 'allowedRegistries') {
    const repo = refName(parsePullReference(e.input));
    fixed = { ...rs, allowedRegistries: [...(rs.allowedRegistries ?? []), repo] };
    description =
      `image.config cluster with ${repo} added to allowedRegistries (the repository as the ` +
      `pod names it, not the mirror host; the narrowest scope that admits it)`;
  } else return { unfixable: 'policy.json rejects the image for a reason image.config does not set' };
  const obj: ImageConfig = {
    apiVersion: image.apiVersion,
    kind: 'Image',
    metadata: applyableMeta(image.metadata),
    spec: { ...image.spec, registrySources: fixed },
  };
  return { objects: [obj], step: { remedies: 'rejected-by-policy', description }, intended: 'served' };
}

/** The mirror set that remedies a verdict of `e` (explained against `p`, which the MCO accepts). */
function remedyFor(e: Explanation, p: PolicySet, mirror: string | undefined): Remedy | null | { unfixable: string } {
  const code = e.verdict.code;
  if (code === 'rejected-by-policy') return policyRemedy(e, p);
  const skippedBy = (reason: string): string[] => [
    ...new Set(e.skippedMirrors.filter((s) => s.reason === reason).map((s) => s.location)),
  ];
  const source = e.matchedPrefix;
  const tagSkips = skippedBy('tag-pull-digest-only-mirror');
  if ((code === 'tag-pull-skips-digest-mirrors' || code === 'all-blocked') && tagSkips.length > 0 && source !== null) {
    return {
      objects: [mirrorSet(p, 'ImageTagMirrorSet', source, tagSkips)],
      step: {
        remedies: code,
        description:
          `ImageTagMirrorSet for source ${source} with the digest-only mirrors ${tagSkips.join(', ')}, ` +
          `so tag pulls use them (adding tag-only mirrors drains nodes; see icsp what-if)`,
      },
    };
  }
  const digestSkips = skippedBy('digest-pull-tag-only-mirror');
  if (code === 'digest-pull-skips-tag-mirrors' && digestSkips.length > 0 && source !== null) {
    return {
      objects: [mirrorSet(p, 'ImageDigestMirrorSet', source, digestSkips)],
      step: {
        remedies: code,
        description:
          `ImageDigestMirrorSet for source ${source} with the tag-only mirrors ` +
          `${digestSkips.join(', ')}, so digest pulls use them (adding digest-only mirrors needs no drain)`,
      },
    };
  }
  if (code === 'shadowed' && source !== null) {
    const shadowed = e.skippedMirrors.filter(
      (s) => s.reason === 'shadowed-by-longer-prefix' && !s.source.startsWith('*.'),
    );
    const mirrors = shadowed.map((s) => s.location + source.slice(s.source.length)).filter(isValidMirror);
    if (mirrors.length === 0)
      return { unfixable: `the shadowed mirrors come from a wildcard source; add mirrors for ${source} by hand` };
    const kind = e.pullKind === 'digest' ? 'ImageDigestMirrorSet' : 'ImageTagMirrorSet';
    return {
      objects: [mirrorSet(p, kind, source, mirrors)],
      step: {
        remedies: code,
        description:
          `${kind} for the longer prefix ${source} with the shadowed mirrors re-pointed below it ` +
          `(${[...new Set(mirrors)].join(', ')}): only the longest matching prefix counts`,
      },
    };
  }
  if ((code === 'no-mirror-configured' || code === 'source-only') && mirror !== undefined) {
    const ref = parsePullReference(e.input);
    const src = refName(ref);
    const kind = isDigested(ref) ? 'ImageDigestMirrorSet' : 'ImageTagMirrorSet';
    return {
      objects: [mirrorSet(p, kind, src, [mirror])],
      step: {
        remedies: code,
        description:
          `${kind} for ${src} with the mirror you named, ${mirror} (scoped ` +
          `to this repository so no other image changes route)`,
      },
    };
  }
  if (code === 'no-mirror-configured' || code === 'source-only')
    return {
      unfixable:
        'no mirror is configured for this image: name the repository that holds it with --mirror ' +
        '(Slack: mirror=) and the fix is an ImageTagMirrorSet or ImageDigestMirrorSet for it',
    };
  return null;
}

/** Proposes and proves the fix for one image against policy objects. */
export function proposeFix(input: FixInput): FixResult {
  if (input.mirror !== undefined && !isValidMirror(input.mirror)) {
    throw new EngineError(
      'input',
      `--mirror ${JSON.stringify(input.mirror)} is not a mirror location ` +
        `(host[:port][/path], lowercase path, no tag or scheme)`,
    );
  }
  const opts = input.render ?? {};
  const before = input.explanation ?? explain({ reference: input.reference, policies: input.policies, render: opts });
  if (before.verdict.code === 'short-name-ambiguous') return shortNameFix(input, before, opts);
  if (before.error !== null)
    return {
      fix: null,
      note:
        before.error.stage === 'reference'
          ? 'the reference itself is refused; correct it as the advice says'
          : `no manifest fixes this ${before.error.stage} error; see the advice`,
    };

  const objects: PolicyObject[] = [];
  const steps: FixStep[] = [];
  let current = input.policies;
  let explained = before;
  const refusal = before.warnings.find((w) => w.code === 'mco-rejects-config');
  if (refusal !== undefined) {
    const corrected = correctRefused(input.policies);
    const candidate = overlayPolicies(input.policies, corrected).policies;
    try {
      // The whole set once: a refusal may sit in any object. The explain below renders only this image's hosts.
      validateRegistriesConfScopes(
        candidate.image?.spec.registrySources?.insecureRegistries ?? [],
        candidate.image?.spec.registrySources?.blockedRegistries ?? [],
        candidate,
      );
      renderPolicies(relevantSubset(candidate, input.reference), opts);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      return {
        fix: null,
        note:
          `the MCO refuses these objects (${e.message}) for a reason no automatic ` +
          `correction removes: correct that object by hand, then ask again`,
      };
    }
    objects.push(...corrected);
    steps.push({
      remedies: 'mco-rejects-config',
      description:
        `corrected ${corrected.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}: trailing ` +
        `"/" and whitespace removed, as the MCO's source and mirror patterns require`,
    });
    current = candidate;
    explained = explain({
      reference: input.reference,
      policies: relevantSubset(current, input.reference),
      render: opts,
    });
  }

  const remedy = remedyFor(explained, current, input.mirror);
  if (remedy !== null && 'unfixable' in remedy) {
    if (objects.length === 0) return { fix: null, note: remedy.unfixable };
  } else if (remedy !== null) {
    objects.push(...remedy.objects);
    steps.push(remedy.step);
  }
  if (objects.length === 0)
    return {
      fix: null,
      note: before.verdict.code === 'mirror-first' ? null : `no manifest remedies ${before.verdict.code}`,
    };

  // The proof: the original objects with the fix applied, explained again from scratch. Only this image's hosts
  // are rendered (policy-subset.ts): the rest of the objects is unchanged and was accepted (or re-validated above).
  const after = explain({
    reference: input.reference,
    policies: relevantSubset(overlayPolicies(input.policies, objects).policies, input.reference),
    render: opts,
  });
  const intended: VerdictCode | 'served' =
    remedy !== null && !('unfixable' in remedy) ? (remedy.intended ?? 'mirror-first') : explained.verdict.code;
  const stillRefused = after.warnings.find((w) => w.code === 'mco-rejects-config');
  if (stillRefused !== undefined)
    return { fix: null, note: `the engine could not prove a fix: the MCO would refuse it (${stillRefused.message})` };
  const reached = intended === 'served' ? SERVED.has(after.verdict.code) : after.verdict.code === intended;
  if (!reached)
    return {
      fix: null,
      note:
        `the engine could not prove a fix: with it, the verdict is ${after.verdict.code}, ` +
        `not ${intended === 'served' ? 'one where the image is served' : intended}`,
    };
  return {
    fix: {
      yaml: objects.map((o) => dumpGoYaml(o)).join('---\n'),
      objects,
      steps,
      verdictBefore: before.verdict.code,
      verdictAfter: after.verdict.code,
      firstSourceAfter: after.pullSources[0]?.reference ?? null,
      applyCommand: APPLY,
    },
    note: null,
  };
}

/**
 * short-name-ambiguous: the fully qualified name to write in the pod spec. The first candidate (in CRI-O's order)
 * whose pull is served: the image the pod got while the short-name mode was permissive. Proven by explaining it.
 */
function shortNameFix(input: FixInput, before: Explanation, opts: RenderOptions): FixResult {
  const plans =
    (before as Explanation & { candidatePlans?: Array<{ candidate: string; verdict: { code: VerdictCode } }> })
      .candidatePlans ?? [];
  const chosen = plans.find((p) => SERVED.has(p.verdict.code));
  if (chosen === undefined)
    return {
      fix: null,
      note:
        `no candidate of ${input.reference} is served (` +
        `${plans.map((p) => `${p.candidate}: ${p.verdict.code}`).join(', ') || 'none'}); write the fully ` +
        `qualified name of the registry that holds it`,
    };
  const after = explain({
    reference: chosen.candidate,
    policies: relevantSubset(input.policies, chosen.candidate),
    render: opts,
  });
  if (!SERVED.has(after.verdict.code))
    return { fix: null, note: `the engine could not prove a fix: ${chosen.candidate} gives ${after.verdict.code}` };
  const others = plans.filter((p) => p !== chosen).map((p) => p.candidate);
  return {
    fix: {
      yaml: `# In the pod spec (or the workload's template), instead of image: ${input.reference}
image: ${chosen.candidate}
`,
      objects: [],
      steps: [
        {
          remedies: 'short-name-ambiguous',
          description:
            `write the fully qualified name ${chosen.candidate} in the pod spec: the first candidate ` +
            `CRI-O tries whose pull is served (what the pod got while the short-name mode was ` +
            `permissive)${others.length > 0 ? `; the other candidates: ${others.join(', ')}` : ''}`,
        },
      ],
      verdictBefore: before.verdict.code,
      verdictAfter: after.verdict.code,
      firstSourceAfter: after.pullSources[0]?.reference ?? null,
      applyCommand: `oc set image deployment/<name> <container>=${chosen.candidate}`,
    },
    note: null,
  };
}

/** The text form for `icsp why --fix`: what it does, the proof, then the YAML. */
export function formatFix(r: FixResult, image: string): string {
  if (r.fix === null) return `# No fix: ${r.note ?? 'the pull already uses its mirrors'}.\n`;
  const f = r.fix;
  const lines = [
    `# Fix for ${image}, checked by the engine: ${f.verdictBefore} -> ${f.verdictAfter}` +
      `${f.firstSourceAfter !== null ? ` (first tries ${f.firstSourceAfter})` : ''}.`,
    ...f.steps.map((s) => `#  - ${s.description}.`),
    `# Apply with: ${f.applyCommand}` +
      `${f.objects.length > 0 ? '   (preview first: icsp what-if --proposed fix.yaml ...)' : ''}`,
  ];
  return `${lines.join('\n')}\n---\n${f.yaml}`;
}

/** The JSON member of `why --json --fix`: the YAML and the proven verdict, or null. */
export function fixJson(r: FixResult): {
  yaml: string;
  verdictAfter: VerdictCode;
  verdictBefore: VerdictCode;
  steps: FixStep[];
  applyCommand: string;
} | null {
  return r.fix === null
    ? null
    : {
        yaml: r.fix.yaml,
        verdictAfter: r.fix.verdictAfter,
        verdictBefore: r.fix.verdictBefore,
        steps: r.fix.steps,
        applyCommand: r.fix.applyCommand,
      };
}
