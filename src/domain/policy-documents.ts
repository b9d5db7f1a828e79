// Reads policy objects from YAML or JSON text: multi-document streams, `kind: List` (what `oc get ... -o yaml`
// prints), the kinds the engine knows checked field by field. An invalid object fails with the file, the
// object's kind/name and the field path; an unknown kind is skipped with a warning.
import { loadAll, YAMLException } from 'js-yaml';
import { EngineError } from './engine-error.ts';
import { checkExpandedSize, DEFAULT_YAML_LIMITS } from './yaml-limits.ts';
import type { YamlLimits } from './yaml-limits.ts';
import type { PolicySet } from './policy-set.ts';
import type {
  ClusterVersion,
  ImageConfig,
  ImageContentSourcePolicy,
  ImageDigestMirrorSet,
  ImageTagMirrorSet,
  PolicyObject,
} from '../types/openshift.ts';

export interface ParsedDocuments {
  objects: PolicyObject[];
  warnings: string[];
}

const KNOWN: Record<string, string> = {
  ImageContentSourcePolicy: 'operator.openshift.io/v1alpha1',
  ImageDigestMirrorSet: 'config.openshift.io/v1',
  ImageTagMirrorSet: 'config.openshift.io/v1',
  Image: 'config.openshift.io/v1',
  ClusterVersion: 'config.openshift.io/v1',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class FieldError extends Error {}

/** A short description of a user's value for a message: never the whole value (it may be huge or aliased). */
export function brief(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const short = (s: string): string => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

function expectString(v: unknown, path: string, required = true): void {
  if (v === undefined && !required) return;
  if (typeof v !== 'string') throw new FieldError(`${path}: expected a string, got ${brief(v)}`);
}

function expectStringList(v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw new FieldError(`${path}: expected a list of strings, got ${brief(v)}`);
  v.forEach((x, i) => expectString(x, `${path}[${i}]`));
}

function checkMirrorRules(list: unknown, path: string, withPolicy: boolean): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new FieldError(`${path}: expected a list`);
  list.forEach((rule, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(rule)) throw new FieldError(`${p}: expected an object with source and mirrors, got ${brief(rule)}`);
    expectString(rule['source'], `${p}.source`);
    expectStringList(rule['mirrors'], `${p}.mirrors`);
    if (
      withPolicy &&
      rule['mirrorSourcePolicy'] !== undefined &&
      rule['mirrorSourcePolicy'] !== 'NeverContactSource' &&
      rule['mirrorSourcePolicy'] !== 'AllowContactingSource'
    ) {
      throw new FieldError(
        `${p}.mirrorSourcePolicy: must be NeverContactSource or ` +
          `AllowContactingSource, got ${brief(rule['mirrorSourcePolicy'])}`,
      );
    }
  });
}

/**
 * Drops fields whose value is null below `v`, as the API server prunes them from objects of a CRD whose schema does
 * not make them nullable: `allowedRegistries: null` means unset, and the engine never meets a null field.
 */
function pruneNullFields(v: unknown): void {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    if (Array.isArray(x)) {
      for (const e of x) stack.push(e);
      continue;
    }
    const o = x as Obj;
    for (const k of Object.keys(o)) {
      if (o[k] === null) delete o[k];
      else stack.push(o[k]);
    }
  }
}

function checkObject(o: Obj): void {
  const kind = o['kind'] as string;
  if (isObj(o['spec'])) pruneNullFields(o['spec']);
  if (isObj(o['status'])) pruneNullFields(o['status']);
  const spec = o['spec'];
  // Every kind but ClusterVersion has a required spec (the CRDs say so); the engine reads it without checking again.
  if (kind !== 'ClusterVersion' && (spec === undefined || spec === null))
    throw new FieldError(`spec: missing (got ${brief(spec)}); a ${kind} needs a spec object`);
  if (spec !== undefined && spec !== null && !isObj(spec))
    throw new FieldError(`spec: expected an object, got ${brief(spec)}`);
  const s = (spec ?? {}) as Obj;
  switch (kind) {
    case 'ImageContentSourcePolicy':
      checkMirrorRules(s['repositoryDigestMirrors'], 'spec.repositoryDigestMirrors', false);
      break;
    case 'ImageDigestMirrorSet':
      checkMirrorRules(s['imageDigestMirrors'], 'spec.imageDigestMirrors', true);
      break;
    case 'ImageTagMirrorSet':
      checkMirrorRules(s['imageTagMirrors'], 'spec.imageTagMirrors', true);
      break;
    case 'Image': {
      const rs = s['registrySources'];
      if (rs === undefined || rs === null) break;
      if (!isObj(rs)) throw new FieldError(`spec.registrySources: expected an object, got ${brief(rs)}`);
      for (const k of [
        'insecureRegistries',
        'blockedRegistries',
        'allowedRegistries',
        'containerRuntimeSearchRegistries',
      ]) {
        expectStringList(rs[k], `spec.registrySources.${k}`);
      }
      break;
    }
    case 'ClusterVersion': {
      const st = o['status'];
      if (st === undefined || st === null) break;
      if (!isObj(st)) throw new FieldError(`status: expected an object, got ${brief(st)}`);
      const d = st['desired'];
      if (d === undefined || d === null) break;
      if (!isObj(d)) throw new FieldError(`status.desired: expected an object, got ${brief(d)}`);
      expectString(d['image'], 'status.desired.image', false);
      break;
    }
  }
}

function collect(doc: unknown, file: string, out: ParsedDocuments, index: string): void {
  if (doc === null || doc === undefined) return;
  if (!isObj(doc))
    throw new EngineError(
      'input',
      `${file}: document ${index}: expected a Kubernetes object, got ${Array.isArray(doc) ? 'a list' : typeof doc}`,
    );
  const kind = doc['kind'];
  if (kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(doc['items']))) {
    const items = doc['items'];
    if (!Array.isArray(items))
      throw new EngineError(
        'input',
        `${file}: document ${index}: ${kind}: items: expected a list, got ${brief(items)}`,
      );
    items.forEach((item, i) => collect(item, file, out, `${index} items[${i}]`));
    return;
  }
  if (typeof kind !== 'string')
    throw new EngineError(
      'input',
      `${file}: document ${index}: kind: ` +
        `${kind === undefined ? 'missing; is this a Kubernetes object?' : `expected a string, got ${brief(kind)}`}`,
    );
  const meta = doc['metadata'];
  const name = isObj(meta) && typeof meta['name'] === 'string' && meta['name'] !== '' ? meta['name'] : undefined;
  const label = `${short(kind)}/${name === undefined ? '?' : short(name)}`;
  const group = KNOWN[kind];
  if (group === undefined) {
    out.warnings.push(
      `${file}: skipped ${label}: not a kind icsp reads (ImageContentSourcePolicy, ` +
        `ImageDigestMirrorSet, ImageTagMirrorSet, Image, ClusterVersion)`,
    );
    return;
  }
  if (doc['apiVersion'] !== group) {
    throw new EngineError('input', `${file}: ${label}: apiVersion: expected ${group}, got ${brief(doc['apiVersion'])}`);
  }
  if (meta !== undefined && !isObj(meta))
    throw new EngineError(
      'input',
      `${file}: document ${index}: ${kind}: metadata: expected an object, got ${brief(meta)}`,
    );
  if (name === undefined) {
    const n = isObj(meta) ? meta['name'] : undefined;
    throw new EngineError(
      'input',
      `${file}: document ${index}: ${kind}: metadata.name: ` +
        `${n === undefined ? 'missing' : `expected a non-empty string, got ${brief(n)}`}`,
    );
  }
  try {
    checkObject(doc);
  } catch (e) {
    if (e instanceof FieldError) throw new EngineError('input', `${file}: ${label}: ${e.message}`);
    throw e;
  }
  out.objects.push(doc as unknown as PolicyObject);
}

/** Parses one file's text (YAML is a superset of JSON, so both go through the YAML loader). */
export function parsePolicyDocuments(
  text: string,
  file: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): ParsedDocuments {
  const out: ParsedDocuments = { objects: [], warnings: [] };
  let docs: unknown[];
  try {
    docs = loadAll(text, { filename: file, maxAliases: limits.maxAliases });
  } catch (e) {
    const msg =
      e instanceof YAMLException
        ? `${e.reason}${e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : ''}`
        : e instanceof RangeError
          ? 'nested too deeply'
          : String(e);
    const hint = msg.includes('maxAliases') ? ' (raise ICSP_YAML_MAX_ALIASES if this file is genuine)' : '';
    throw new EngineError('input', `${file}: invalid YAML: ${msg}${hint}`);
  }
  const tooBig = checkExpandedSize(docs, limits);
  if (tooBig !== undefined)
    throw new EngineError(
      'input',
      `${file}: refused: ${tooBig}; the limits are ICSP_YAML_MAX_ALIASES=` +
        `${limits.maxAliases} and ICSP_YAML_MAX_ALIAS_NODES=${limits.maxAliasNodes}`,
    );
  docs.forEach((d, i) => collect(d, file, out, `#${i + 1}`));
  return out;
}

/** Checks objects that did not come from a file (e.g. the API server) with the same field rules. */
export function acceptPolicyObjects(objects: readonly unknown[], source: string): ParsedDocuments {
  const out: ParsedDocuments = { objects: [], warnings: [] };
  objects.forEach((o, i) => {
    try {
      collect(o, source, out, `#${i + 1}`);
    } catch (e) {
      // One malformed object must not hide the others: skip it and say so.
      if (!(e instanceof EngineError)) throw e;
      out.warnings.push(`skipped: ${e.message}`);
    }
  });
  return out;
}

const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }): number =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

/** Gathers objects into what the MCO renders from; only the Image and ClusterVersion singletons count. */
export function buildPolicySet(objects: readonly PolicyObject[], warnings: string[] = []): PolicySet {
  const p: PolicySet = { icsps: [], idms: [], itms: [] };
  for (const o of objects) {
    switch (o.kind) {
      case 'ImageContentSourcePolicy':
        p.icsps.push(o as ImageContentSourcePolicy);
        break;
      case 'ImageDigestMirrorSet':
        p.idms.push(o as ImageDigestMirrorSet);
        break;
      case 'ImageTagMirrorSet':
        p.itms.push(o as ImageTagMirrorSet);
        break;
      case 'Image':
        if (o.metadata.name === 'cluster') p.image = o as ImageConfig;
        else warnings.push(`ignored Image/${o.metadata.name}: the MCO only reads Image/cluster`);
        break;
      case 'ClusterVersion': {
        const img = (o as ClusterVersion).status?.desired?.image;
        if (o.metadata.name !== 'version')
          warnings.push(`ignored ClusterVersion/${o.metadata.name}: the MCO only reads ClusterVersion/version`);
        else if (img !== undefined) p.releaseImage = img;
        const version = (o as ClusterVersion).status?.desired?.version;
        if (o.metadata.name === 'version' && version !== undefined) p.clusterVersion = version;
        break;
      }
    }
  }
  // The MCO's listers give no order; name order keeps our output stable (only the first validation error depends on
  // it).
  p.icsps.sort(byName);
  p.idms.sort(byName);
  p.itms.sort(byName);
  return p;
}
