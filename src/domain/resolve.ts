// Resolution as containers/image does it for CRI-O and podman: pick the one [[registry]] with the longest
// matching prefix, select its mirrors for this kind of pull, put the primary last, rewrite each endpoint, and
// decide per attempt whether the rewritten reference's own entry blocks it.
import { EngineError } from './engine-error.ts';
import type { PullSource, ResolveResult } from './pull-source.ts';
import { refMatchingPrefix } from './prefix-match.ts';
import type { Endpoint, Mirror, RegistriesConf, Registry } from './registries-conf.ts';
import { isDigested, parseNamed, parsePullReference, refName, refString } from './reference.ts';
import type { ImageReference } from './reference.ts';

/**
 * An index over a loaded configuration so a lookup costs the length of the name, not the number of entries:
 * candidates are the name cut at each "/", ":" or "@" (plain prefixes) and each ".suffix" of its host (wildcards).
 */
export class RegistryIndex {
  readonly conf: RegistriesConf;
  private readonly byPrefix = new Map<string, Registry>();

  constructor(conf: RegistriesConf) {
    this.conf = conf;
    for (const r of conf.registries) if (!this.byPrefix.has(r.prefix)) this.byPrefix.set(r.prefix, r);
  }

  /** The entry with exactly this prefix. */
  entry(prefix: string): Registry | undefined {
    return this.byPrefix.get(prefix);
  }

  /** findRegistry: longest prefix wins; on equal length the first in prefix order. */
  find(name: string): Registry | undefined {
    let best: Registry | undefined;
    for (const reg of this.findAll(name)) {
      if (
        best === undefined ||
        reg.prefix.length > best.prefix.length ||
        (reg.prefix.length === best.prefix.length && reg.prefix < best.prefix)
      ) {
        best = reg;
      }
    }
    return best;
  }

  /** Every entry whose prefix matches the name (the one find picks, and those it shadows). */
  findAll(name: string): Registry[] {
    const found: Registry[] = [];
    const consider = (candidate: string): void => {
      const reg = this.byPrefix.get(candidate);
      if (reg !== undefined && refMatchingPrefix(name, reg.prefix) !== -1) found.push(reg);
    };
    for (let i = 0; i < name.length; i++) {
      const c = name[i];
      if (c === '/' || c === ':' || c === '@') consider(name.slice(0, i));
    }
    consider(name);
    const host = hostOf(name);
    for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) consider(`*${host.slice(i)}`);
    return found;
  }
}

/** The host of a name or scope, without port or path. */
export function hostOf(name: string): string {
  const slash = name.indexOf('/');
  const hostPort = slash === -1 ? name : name.slice(0, slash);
  const colon = hostPort.indexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

/** Endpoint.rewriteReference: swap the matched prefix for the endpoint's location; the result must be canonical. */
export function rewriteReference(ref: string, prefix: string, location: string): string {
  const prefixLen = refMatchingPrefix(ref, prefix);
  if (prefixLen === -1) throw new EngineError('rewrite', `invalid prefix '${prefix}' for reference '${ref}'`);
  if (location === '') {
    if (!prefix.startsWith('*.')) {
      throw new EngineError(
        'rewrite',
        `invalid prefix '${prefix}' for empty location, should be in the format: *.example.com`,
      );
    }
    return ref;
  }
  const rewritten = location + ref.slice(prefixLen);
  try {
    return refString(parseNamed(rewritten));
  } catch (e) {
    if (e instanceof EngineError) throw new EngineError('rewrite', `rewriting reference: ${e.message}`);
    throw e;
  }
}

/** The endpoints a registry entry offers for this kind of pull, primary last (PullSourcesFromReference). */
export function selectEndpoints(
  reg: Registry,
  digestPull: boolean,
): Array<Endpoint & { mirror: boolean; pullFromMirror: Mirror['pullFromMirror'] }> {
  const out: Array<Endpoint & { mirror: boolean; pullFromMirror: Mirror['pullFromMirror'] }> = [];
  if (reg.mirrorByDigestOnly) {
    if (digestPull) for (const m of reg.mirrors) out.push({ ...m, mirror: true });
  } else {
    for (const m of reg.mirrors) {
      if (m.pullFromMirror === 'digest-only' && !digestPull) continue;
      if (m.pullFromMirror === 'tag-only' && digestPull) continue;
      out.push({ ...m, mirror: true });
    }
  }
  out.push({ location: reg.location, insecure: reg.insecure, mirror: false, pullFromMirror: '' });
  return out;
}

/** Resolves an already-parsed pull reference. */
export function resolveParsed(index: RegistryIndex, ref: ImageReference): ResolveResult {
  const full = refString(ref);
  const matched = index.find(refName(ref));
  // No entry: containers/image builds a default one whose location is the whole reference.
  const reg: Registry = matched ?? {
    prefix: full,
    location: full,
    insecure: false,
    blocked: false,
    mirrorByDigestOnly: false,
    mirrors: [],
  };
  const pullSources: PullSource[] = selectEndpoints(reg, isDigested(ref)).map((ep) => {
    const reference = rewriteReference(full, reg.prefix, ep.location);
    const source: PullSource = {
      reference,
      location: ep.location,
      mirror: ep.mirror,
      insecure: ep.insecure,
      blocked: false,
    };
    if (ep.pullFromMirror !== '') source.pullFromMirror = ep.pullFromMirror;
    return source;
  });
  // Blocked is decided per attempt, by the rewritten reference's own best entry.
  for (const s of pullSources) {
    const own = index.find(refName(parseNamed(s.reference)));
    if (own?.blocked === true) {
      s.blocked = true;
      s.blockedBy = own.prefix;
    }
  }
  return { normalizedReference: full, matchedPrefix: matched?.prefix ?? null, pullSources };
}

/** Resolves a user's reference (normalized, :latest defaulted) against a configuration. */
export function resolve(conf: RegistriesConf | RegistryIndex, reference: string): ResolveResult {
  const index = conf instanceof RegistryIndex ? conf : new RegistryIndex(conf);
  return resolveParsed(index, parsePullReference(reference));
}
