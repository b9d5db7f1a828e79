// What a mirror-policy change means on the nodes: the registries.conf the MCO renders before and after (with the
// engine), the difference in mirror terms per source, which objects changed and who changed them (managedFields),
// whether nodes will drain, and whether a rendered MachineConfig already carries the change. Pure.
import { createHash } from 'node:crypto';
import { forecastDisruption } from './drain-rules.ts';
import type { DisruptionForecast } from './drain-rules.ts';
import type { PolicySet } from './policy-set.ts';
import { confFromEntries, parseRegistriesConf } from './registries-conf.ts';
import type { RegistriesConf, Registry } from './registries-conf.ts';
import { diffRegistries } from './registries-diff.ts';
import { TEMPLATE_SEARCH_REGISTRIES } from './render.ts';
import { renderOrIntent } from './render-or-intent.ts';
import type { ObjectMeta } from '../types/openshift.ts';

/** The registries.conf the nodes get for a policy set, as the MCO renders it (or would, if it refuses). */
export interface RenderedConfig {
  /** False: the MCO writes no registries.conf, nodes keep the template (no entries). */
  rendered: boolean;
  registries: Registry[];
  search: string[];
  /** The MCO refuses the configuration with this message (render stage): nothing of it reaches the nodes. */
  error: string | null;
  /** A blocked scope the MCO drops silently (it holds the release payload). */
  payloadDropped: string | null;
}

export interface ObjectRef {
  kind: 'ImageContentSourcePolicy' | 'ImageDigestMirrorSet' | 'ImageTagMirrorSet' | 'Image';
  name: string;
  uid?: string;
  generation?: number;
  /** From managedFields: the field manager of the latest write, and when. */
  manager?: string;
  changedAt?: string;
}

export interface ChangedObject extends ObjectRef {
  action: 'created' | 'changed' | 'deleted';
}

export interface PolicyState {
  config: RenderedConfig;
  objects: ObjectRef[];
}

export interface ChangeDescription {
  /** Content key of the configuration after the change. */
  key: string;
  objects: ChangedObject[];
  /** "mirror added: m (digest-only) for source s", one line per difference. */
  changes: string[];
  /** Sources (registries.conf prefixes) whose entry changed: what a rendered config must carry. */
  changedSources: string[];
  disruption: DisruptionForecast;
  after: RenderedConfig;
}

/** The MCO's render for the live cluster (no Image "cluster": nothing rendered); a refused render is kept as intent. */
export function renderForRollout(p: PolicySet): RenderedConfig {
  // Refused: describe what the objects intend (as written); the MCO itself writes nothing, so nodes keep the
  // previous file. The notifier measures rollouts from the last accepted render (rollout-transition.ts).
  const outcome = renderOrIntent(p, { requireImageConfig: true, lenient: false });
  const r = outcome.render;
  return {
    rendered: r?.rendered ?? false,
    registries: r?.registries ?? [],
    search: r?.unqualifiedSearchRegistries ?? [...TEMPLATE_SEARCH_REGISTRIES],
    error: outcome.error,
    payloadDropped: r?.payloadFilter?.loggedError ?? null,
  };
}

/** A stable content key of a rendered configuration (12 hex digits). */
export function configKey(c: RenderedConfig): string {
  const canon = JSON.stringify({
    r: c.rendered,
    e: c.error,
    s: c.search,
    g: c.registries.map((r) => [
      r.prefix,
      r.location,
      r.blocked,
      r.insecure,
      r.mirrorByDigestOnly,
      r.mirrors.map((m) => [m.location, m.insecure, m.pullFromMirror]),
    ]),
  });
  return createHash('sha256').update(canon).digest('hex').slice(0, 12);
}

function lastWrite(meta: ObjectMeta): { manager?: string; changedAt?: string } {
  const entries = (meta.managedFields ?? []).filter((f) => f.time !== undefined && f.manager !== undefined);
  entries.sort((a, b) => (a.time! < b.time! ? -1 : a.time! > b.time! ? 1 : 0));
  const last = entries.at(-1);
  return last === undefined ? {} : { manager: last.manager!, changedAt: last.time! };
}

/** The objects the render depends on (ClusterVersion only feeds the payload filter and is not listed). */
export function policyObjects(p: PolicySet): ObjectRef[] {
  const ref = (kind: ObjectRef['kind'], meta: ObjectMeta): ObjectRef => ({
    kind,
    name: meta.name,
    ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
    ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
    ...lastWrite(meta),
  });
  return [
    ...p.icsps.map((o) => ref('ImageContentSourcePolicy', o.metadata)),
    ...p.idms.map((o) => ref('ImageDigestMirrorSet', o.metadata)),
    ...p.itms.map((o) => ref('ImageTagMirrorSet', o.metadata)),
    ...(p.image !== undefined ? [ref('Image', p.image.metadata)] : []),
  ];
}

export function policyState(p: PolicySet): PolicyState {
  return { config: renderForRollout(p), objects: policyObjects(p) };
}

const conf = (c: RenderedConfig): RegistriesConf => ({
  ...confFromEntries(c.rendered ? c.registries : []),
  unqualifiedSearchRegistries: c.search,
});

export function changedObjects(before: readonly ObjectRef[], after: readonly ObjectRef[]): ChangedObject[] {
  const id = (o: ObjectRef): string => `${o.kind}/${o.name}`;
  const b = new Map(before.map((o) => [id(o), o]));
  const a = new Map(after.map((o) => [id(o), o]));
  const out: ChangedObject[] = [];
  for (const o of after) {
    const old = b.get(id(o));
    if (old === undefined || (old.uid !== undefined && o.uid !== undefined && old.uid !== o.uid))
      out.push({ ...o, action: 'created' });
    else if (old.generation !== o.generation) out.push({ ...o, action: 'changed' });
  }
  for (const o of before) if (!a.has(id(o))) out.push({ kind: o.kind, name: o.name, action: 'deleted' });
  return out;
}

/** What changed between two policy states; null when the nodes' registries.conf would not change. */
export function describeChange(before: PolicyState, after: PolicyState): ChangeDescription | null {
  const beforeConf = conf(before.config);
  const afterConf = conf(after.config);
  const diffs = diffRegistries(afterConf.registries, beforeConf.registries, 'change');
  const newError = after.config.error !== null && after.config.error !== before.config.error;
  if (diffs.length === 0 && !newError) return null;
  return {
    key: configKey(after.config),
    objects: changedObjects(before.objects, after.objects),
    changes: diffs.map((d) => d.message),
    changedSources: [...new Set(diffs.map((d) => d.source))].sort(),
    disruption: forecastDisruption(beforeConf, afterConf),
    after: after.config,
  };
}

/**
 * Whether a rendered MachineConfig's registries.conf (null: it writes none, nodes keep the template) carries the
 * change: parsed structurally and compared with the expected render for the changed sources only, so that a later
 * unrelated change does not hide that this one arrived. Without `changedSources`, every difference counts.
 */
export function renderedHasChange(
  mcRegistriesConf: string | null,
  expected: RenderedConfig,
  changedSources?: readonly string[],
): boolean {
  let actual: Registry[];
  try {
    actual = mcRegistriesConf === null ? [] : parseRegistriesConf(mcRegistriesConf).registries;
  } catch {
    return false;
  }
  const want = confFromEntries(expected.rendered ? expected.registries : []).registries;
  const diffs = diffRegistries(want, actual, 'node');
  if (changedSources === undefined) return diffs.length === 0;
  const sources = new Set(changedSources);
  return diffs.every((d) => !sources.has(d.source));
}

/**
 * The render the MCO last accepted, read back from the pools' rendered MachineConfigs (for a first start on objects
 * it already refuses: the objects no longer say what the nodes were given, the rendered configs do). One text per
 * pool (null: the MachineConfig writes no registries.conf, nodes keep the template); the text most pools carry wins
 * (the render controller gives every pool the same generated file; a pool with its own registries.conf override is
 * outvoted), ties to the first. Null when no pool's text is known or none parses.
 */
export function acceptedFromRendered(texts: ReadonlyArray<string | null>): RenderedConfig | null {
  const counts = new Map<string, { config: RenderedConfig; n: number }>();
  for (const t of texts) {
    let config: RenderedConfig;
    if (t === null)
      config = {
        rendered: false,
        registries: [],
        search: [...TEMPLATE_SEARCH_REGISTRIES],
        error: null,
        payloadDropped: null,
      };
    else {
      try {
        const c = parseRegistriesConf(t);
        config = {
          rendered: true,
          registries: c.registries,
          search: c.unqualifiedSearchRegistries ?? [],
          error: null,
          payloadDropped: null,
        };
      } catch {
        continue;
      }
    }
    const key = configKey(config);
    const seen = counts.get(key);
    if (seen === undefined) counts.set(key, { config, n: 1 });
    else seen.n++;
  }
  let best: { config: RenderedConfig; n: number } | null = null;
  for (const c of counts.values()) if (best === null || c.n > best.n) best = c;
  return best?.config ?? null;
}

/** The likely reason a rendered config never picked the change up (MCO validation, payload filter). */
export function likelyRejection(c: RenderedConfig): string {
  if (c.error !== null)
    return (
      `the MCO refuses this configuration: ${c.error} (shown only in the machine-config-controller ` +
      `log: oc logs -n openshift-machine-config-operator deploy/machine-config-controller)`
    );
  if (c.payloadDropped !== null) return `the MCO drops a blocked registry: ${c.payloadDropped}`;
  if (!c.rendered)
    return (
      'the MCO renders nothing (no image.config.openshift.io/cluster?); check oc logs -n ' +
      'openshift-machine-config-operator deploy/machine-config-controller'
    );
  return (
    'the machine-config-controller has not re-rendered: check oc logs -n ' +
    'openshift-machine-config-operator deploy/machine-config-controller'
  );
}

/** The likely reason when the objects were refused after the change: the MCO writes nothing until they are fixed. */
export function laterRefusal(error: string): string {
  return (
    `the MCO refuses the objects as changed since: ${error} (it writes no new MachineConfig until they are ` +
    'fixed; shown only in the machine-config-controller log: oc logs -n openshift-machine-config-operator ' +
    'deploy/machine-config-controller)'
  );
}
