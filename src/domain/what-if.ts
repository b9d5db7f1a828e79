// "What will this change do?" before it reaches a node: the proposed objects laid over the current ones as
// `oc apply` would, rendered as the MCO renders them. Answers whether the MCO accepts the result (its exact message
// if not), the registries.conf / policy.json / search-registries difference in mirror terms, what each pool's nodes
// will do (drain, reboot, CRI-O reload; how many nodes, how long), and which running images change route. Pure.
import { EngineError } from './engine-error.ts';
import { nodeAction, forecastPool } from './node-disruption.ts';
import type { MachineConfiguration, NodeAction, PoolFacts, PoolForecast } from './node-disruption.ts';
import { overlayPolicies } from './policy-overlay.ts';
import type { ObjectKey, Overlay } from './policy-overlay.ts';
import type { PolicySet } from './policy-set.ts';
import type { PullSource } from './pull-source.ts';
import { parsePullReference, refName } from './reference.ts';
import type { ImageReference } from './reference.ts';
import { confFromEntries } from './registries-conf.ts';
import type { RegistriesConf, Registry } from './registries-conf.ts';
import { diffRegistries } from './registries-diff.ts';
import { renderPolicies, TEMPLATE_SEARCH_REGISTRIES } from './render.ts';
import { evaluatePolicy } from './policy-eval.ts';
import { renderPolicyJson, TEMPLATE_POLICY_JSON } from './policy-json.ts';
import type { PolicyJson, PolicyRequirement } from './policy-json.ts';
import type { RenderOptions, RenderResult } from './render.ts';
import { renderOrIntent } from './render-or-intent.ts';
import { RegistryIndex, resolveParsed } from './resolve.ts';
import type { ImageUsage } from './running-images.ts';
import type { PolicyObject } from '../types/openshift.ts';

export interface WhatIfInput {
  current: PolicySet;
  proposed: readonly PolicyObject[];
  remove?: readonly ObjectKey[];
  /** Images pods run, per namespace; undefined: reroutes not computed. */
  images?: ImageUsage;
  /** The cluster's pools; default master and worker with unknown sizes. */
  pools?: readonly PoolFacts[];
  /** MachineConfiguration "cluster" (4.16+); null: the MCO's rules before NodeDisruptionPolicy. */
  machineConfiguration?: MachineConfiguration | null;
  render?: RenderOptions;
}

export type RouteChange =
  | 'becomes-pull-error'
  | 'pull-error-fixed'
  | 'becomes-blocked'
  | 'unblocked'
  | 'becomes-rejected'
  | 'no-longer-rejected'
  | 'first-source-changed'
  | 'gains-mirror'
  | 'loses-mirror'
  | 'changed';

export interface Rerouted {
  image: string;
  namespaces: Array<{ namespace: string; pods: number }>;
  /** Pull sources in the order the node tries them; blocked attempts marked " (blocked)"; an error as "error: …". */
  before: string[];
  after: string[];
  /** The most important change; `changes` has all that apply. */
  change: RouteChange;
  changes: RouteChange[];
}

export interface WhatIfResult {
  objects: Overlay['actions'];
  accepted: boolean;
  /** The MCO's message when it refuses the proposed configuration. */
  mcoMessage: string | null;
  /** The MCO already refuses the current objects: nodes have an older configuration than these objects say. */
  currentRefused: string | null;
  registriesChanges: string[];
  policyJsonChanges: string[];
  searchRegistriesChange: string | null;
  nodeAction: NodeAction;
  pools: PoolForecast[];
  rerouted: Rerouted[];
  reroutedByNamespace: Array<{ namespace: string; images: number; pods: number }>;
  imagesChecked: number;
  /** References that do not parse at all (their pods fail before and after). */
  unparseableImages: string[];
  notes: string[];
}

interface Rendered {
  conf: RegistriesConf;
  /** /etc/containers/policy.json as the MCO writes it (the template when image.config sets neither list). */
  policy: PolicyJson;
  error: string | null;
}

/** A render's registries.conf as nodes load it; nothing rendered (or null): the template's. */
function confOf(r: RenderResult | null): RegistriesConf {
  return {
    ...confFromEntries(r?.rendered ? r.registries : []),
    unqualifiedSearchRegistries: r?.unqualifiedSearchRegistries ?? [...TEMPLATE_SEARCH_REGISTRIES],
  };
}

/** registries.conf and policy.json of one configuration; the MCO refuses both when either refuses (one sync). */
function renderConf(p: PolicySet, opts: RenderOptions): Rendered {
  try {
    const r = renderPolicies(p, opts);
    return { conf: confOf(r), policy: renderPolicyJson(p, r.payloadFilter).policy, error: null };
  } catch (e) {
    if (!(e instanceof EngineError) || e.stage !== 'render') throw e;
    return { conf: confOf(null), policy: structuredClone(TEMPLATE_POLICY_JSON_OBJECT), error: e.message };
  }
}

/** The policy.json difference in scope terms: the default and each transports.docker scope. */
function policyDiff(before: PolicyJson, after: PolicyJson): string[] {
  const kind = (reqs: readonly PolicyRequirement[] | undefined): string =>
    (reqs ?? []).map((r) => r.type).join('+') || '(none)';
  const out: string[] = [];
  if (kind(before.default) !== kind(after.default))
    out.push(`default: ${kind(before.default)} -> ${kind(after.default)}`);
  const b = before.transports['docker'] ?? {};
  const a = after.transports['docker'] ?? {};
  for (const s of Object.keys(a)) if (!(s in b)) out.push(`docker scope ${s}: added (${kind(a[s])})`);
  for (const s of Object.keys(b)) {
    if (!(s in a)) out.push(`docker scope ${s}: removed (was ${kind(b[s])})`);
    else if (kind(a[s]) !== kind(b[s])) out.push(`docker scope ${s}: ${kind(b[s])} -> ${kind(a[s])}`);
  }
  return out;
}

const TEMPLATE_POLICY_JSON_OBJECT = JSON.parse(TEMPLATE_POLICY_JSON) as PolicyJson;

/** policy.json of a configuration the MCO refuses: what its objects mean (nodes have an older one). */
function proposedPolicyFallback(p: PolicySet, opts: RenderOptions): PolicyJson {
  try {
    return renderPolicyJson(p, renderPolicies(p, { ...opts, skipValidation: true }).payloadFilter).policy;
  } catch {
    return structuredClone(TEMPLATE_POLICY_JSON_OBJECT);
  }
}

const show = (s: PullSource): string => (s.blocked ? `${s.reference} (blocked)` : s.reference);

interface Plan {
  sources: PullSource[] | null;
  error: string | null;
}

function plan(index: RegistryIndex, ref: ImageReference): Plan {
  try {
    return { sources: resolveParsed(index, ref).pullSources, error: null };
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return { sources: null, error: e.message };
  }
}

const planKey = (p: Plan): string =>
  p.sources === null ? `!${p.error}` : p.sources.map((s) => `${s.reference}\u0000${s.blocked}`).join('\n');

function classify(b: Plan, a: Plan): RouteChange[] {
  if (b.sources === null) return ['pull-error-fixed'];
  if (a.sources === null) return ['becomes-pull-error'];
  const out: RouteChange[] = [];
  const usable = (p: PullSource[]): PullSource[] => p.filter((s) => !s.blocked);
  const ub = usable(b.sources);
  const ua = usable(a.sources);
  if (ua.length === 0 && ub.length > 0) out.push('becomes-blocked');
  if (ub.length === 0 && ua.length > 0) out.push('unblocked');
  if (ua.length > 0 && ub.length > 0 && ua[0]!.reference !== ub[0]!.reference) out.push('first-source-changed');
  const mirrors = (p: PullSource[]): Set<string> =>
    new Set(
      usable(p)
        .filter((s) => s.mirror)
        .map((s) => s.reference),
    );
  const mb = mirrors(b.sources);
  const ma = mirrors(a.sources);
  if ([...ma].some((m) => !mb.has(m))) out.push('gains-mirror');
  if ([...mb].some((m) => !ma.has(m))) out.push('loses-mirror');
  if (out.length === 0) out.push('changed');
  return out;
}

/** The prefixes containers/image would look up for a name: cut at each "/", ":" or "@", and the whole name. */
function plainCuts(name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '/' || c === ':' || c === '@') out.push(name.slice(0, i));
  }
  out.push(name);
  return out;
}

/**
 * Reroutes of every running image between two configurations. `changedPrefixes` (the [[registry]] prefixes that
 * differ) lets most images be skipped without resolving: a plan can only change if an entry above the image's name
 * changed, or one above where its mirrors rewrite it to (the attempts' blocked flags). Without it, all resolve.
 */
export function reroutes(
  before: RegistriesConf,
  after: RegistriesConf,
  images: ImageUsage,
  changedPrefixes?: ReadonlySet<string>,
  policies?: { before: PolicyJson; after: PolicyJson },
): { rerouted: Rerouted[]; unparseable: string[] } {
  const bi = new RegistryIndex(before);
  const ai = new RegistryIndex(after);
  const rerouted: Rerouted[] = [];
  const unparseable: string[] = [];
  const prune = changedPrefixes !== undefined && ![...changedPrefixes].some((p) => p.startsWith('*.'));
  // Every cut of a changed prefix: a mirror location equal to one of them may rewrite names below a changed entry.
  const changedAncestors = new Set<string>();
  if (prune) for (const p of changedPrefixes) for (const c of plainCuts(p)) changedAncestors.add(c);
  const entryAffected = new Map<Registry, boolean>();
  const affected = (reg: Registry): boolean => {
    let v = entryAffected.get(reg);
    if (v === undefined) {
      v = reg.mirrors.some(
        (m) => changedAncestors.has(m.location) || plainCuts(m.location).some((c) => changedPrefixes!.has(c)),
      );
      entryAffected.set(reg, v);
    }
    return v;
  };
  for (const [image, byNs] of images) {
    let ref: ImageReference;
    try {
      ref = parsePullReference(image);
    } catch {
      unparseable.push(image);
      continue;
    }
    // policy.json judges the logical name: a changed policy can reject (or admit) an image whatever its route.
    const rejected =
      policies === undefined
        ? null
        : {
            before: !evaluatePolicy(policies.before, ref).allowed,
            after: !evaluatePolicy(policies.after, ref).allowed,
          };
    const policyChanged = rejected !== null && rejected.before !== rejected.after;
    if (prune && !policyChanged) {
      const name = refName(ref);
      if (!plainCuts(name).some((c) => changedPrefixes.has(c))) {
        const reg = bi.find(name);
        if (reg === undefined || !affected(reg)) continue;
      }
    }
    const b = plan(bi, ref);
    const a = plan(ai, ref);
    if (planKey(b) === planKey(a) && !policyChanged) continue;
    const changes = planKey(b) === planKey(a) ? [] : classify(b, a);
    if (policyChanged) changes.unshift(rejected.after ? 'becomes-rejected' : 'no-longer-rejected');
    rerouted.push({
      image,
      namespaces: [...byNs]
        .map(([namespace, pods]) => ({ namespace, pods }))
        .sort((x, y) => (x.namespace < y.namespace ? -1 : 1)),
      before: b.sources === null ? [`error: ${b.error}`] : b.sources.map(show),
      after: a.sources === null ? [`error: ${a.error}`] : a.sources.map(show),
      change: changes[0]!,
      changes,
    });
  }
  rerouted.sort((x, y) => (x.image < y.image ? -1 : x.image > y.image ? 1 : 0));
  return { rerouted, unparseable };
}

const DEFAULT_POOLS: PoolFacts[] = [
  { name: 'master', machineCount: null },
  { name: 'worker', machineCount: null },
];

export function whatIf(input: WhatIfInput): WhatIfResult {
  const opts = input.render ?? {};
  const notes: string[] = [];
  const overlay = overlayPolicies(input.current, input.proposed, input.remove ?? []);
  for (const a of overlay.actions)
    if (a.action === 'not-found') notes.push(`--remove ${a.kind}/${a.name}: no such object in the current policies`);
  const current = renderConf(input.current, opts);
  let before = current.conf;
  if (current.error !== null) {
    // Nodes keep whatever the MCO last accepted; compare with what the current objects mean: renderOrIntent, as
    // written (not lenient), as rollout notices compare two states. Refused by policy.json only: the real render.
    before = confOf(renderOrIntent(input.current, opts).render);
    notes.push(
      `The MCO already refuses the current objects (${current.error}): nodes run an older ` +
        `configuration than they say; the difference below is against what the current objects mean.`,
    );
  }
  const proposed = renderConf(overlay.policies, opts);
  const accepted = proposed.error === null;
  // A refused configuration changes nothing on the nodes: they keep their file.
  const after = accepted ? proposed.conf : before;
  const diffs = diffRegistries(after.registries, before.registries, 'change');
  const registriesChanges = diffs.map((d) => d.message);
  const rsBefore = input.current.image?.spec.registrySources;
  const rsAfter = overlay.policies.image?.spec.registrySources;
  const beforePolicy = current.error === null ? current.policy : proposedPolicyFallback(input.current, opts);
  const afterPolicy = accepted ? proposed.policy : beforePolicy;
  const policyJsonChanges = policyDiff(beforePolicy, afterPolicy);
  const sb = rsBefore?.containerRuntimeSearchRegistries ?? [];
  const sa = rsAfter?.containerRuntimeSearchRegistries ?? [];
  const searchRegistriesChange =
    accepted && sb.join('\n') !== sa.join('\n')
      ? `containerRuntimeSearchRegistries: [${sb.join(', ')}] -> [${sa.join(', ')}]`
      : null;
  const files = {
    registriesConf: registriesChanges.length > 0,
    policyJson: policyJsonChanges.length > 0,
    searchRegistries: searchRegistriesChange !== null,
  };
  const anyChange = files.registriesConf || files.policyJson || files.searchRegistries;
  const action = nodeAction(files, before, after, input.machineConfiguration ?? null);
  const pools = (input.pools ?? DEFAULT_POOLS).map((p) => forecastPool(p, action, anyChange));
  if (!accepted)
    notes.push(
      'The MCO refuses the proposed objects: it writes no new MachineConfig, so nodes keep their current ' +
        'file and nothing rolls out; the error shows only in the machine-config-controller log.',
    );
  if (anyChange && action.drain && !action.reboot)
    notes.push(
      'Drain expected; reboot not expected per MCO code (openshift-docs ' +
        'says some mirror changes reboot: verify on your release).',
    );

  let rerouted: Rerouted[] = [];
  let unparseable: string[] = [];
  if (input.images !== undefined && (registriesChanges.length > 0 || policyJsonChanges.length > 0)) {
    ({ rerouted, unparseable } = reroutes(
      before,
      after,
      input.images,
      new Set(diffs.map((d) => d.source)),
      policyJsonChanges.length > 0 ? { before: beforePolicy, after: afterPolicy } : undefined,
    ));
  } else if (input.images !== undefined) unparseable = [...input.images.keys()].filter((i) => !parses(i));
  const byNs = new Map<string, { images: number; pods: number }>();
  for (const r of rerouted) {
    for (const n of r.namespaces) {
      const e = byNs.get(n.namespace) ?? { images: 0, pods: 0 };
      e.images += 1;
      e.pods += n.pods;
      byNs.set(n.namespace, e);
    }
  }
  const reroutedByNamespace = [...byNs]
    .map(([namespace, v]) => ({ namespace, ...v }))
    .sort((a, b) => b.images - a.images || (a.namespace < b.namespace ? -1 : 1));
  return {
    objects: overlay.actions,
    accepted,
    mcoMessage: proposed.error,
    currentRefused: current.error,
    registriesChanges,
    policyJsonChanges,
    searchRegistriesChange,
    nodeAction: action,
    pools,
    rerouted,
    reroutedByNamespace,
    imagesChecked: input.images?.size ?? 0,
    unparseableImages: unparseable,
    notes,
  };
}

function parses(image: string): boolean {
  try {
    parsePullReference(image);
    return true;
  } catch {
    return false;
  }
}
