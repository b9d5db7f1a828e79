// Short-name resolution as CRI-O 1.34 does it for every image pull (internal/storage/image.go
// CandidatesForPotentiallyShortImageName -> containers/image pkg/shortnames Resolve): the name as received, an alias
// if one exists (the only candidate, in every mode), otherwise one candidate per unqualified-search registry, in
// order; "enforcing" with more than one candidate fails (CRI-O is a daemon: there is never a TTY to prompt on).
// Pure: the aliases, the search list and the mode come in as values. Rules and source lines: docs/short-names.md.
import { EngineError } from './engine-error.ts';
import { parseNormalizedNamed, parseReference, refString } from './reference.ts';
import type { ImageReference } from './reference.ts';
import { isRegistryDomain } from './short-name-aliases.ts';
import type { AliasTable } from './short-name-aliases.ts';

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';
export const SHORT_NAME_MODES: readonly ShortNameMode[] = ['enforcing', 'permissive', 'disabled'];

export function isShortNameMode(s: string): s is ShortNameMode {
  return (SHORT_NAME_MODES as readonly string[]).includes(s);
}

/** What short-name resolution reads from the node. */
export interface ShortNameConfig {
  /** Merged [aliases] of registries.conf and its drop-ins. */
  aliases?: AliasTable;
  /** The machine alias cache (/var/cache/containers/short-name-aliases.conf for root): consulted first. */
  aliasCache?: AliasTable;
  /** unqualified-search-registries after merging the drop-ins; null when no file set it. */
  searchRegistries: readonly string[] | null;
  /** The file named in the "no unqualified-search registries" error; undefined when no registries.conf was found. */
  searchOrigin?: string;
}

export interface ShortNameAlias {
  /** The alias key: the name as written, without tag or digest (library/busybox and busybox are different keys). */
  name: string;
  /** The fully qualified, normalized value. */
  value: string;
  /** The file it comes from. */
  origin: string;
}

/** Which runtime's words an ambiguous list fails with. */
export type ShortNameRuntime = 'cri-o' | 'podman';

export interface ShortNameResolution {
  /** The name exactly as the runtime received it. */
  input: string;
  /** True when the name has no registry part (shortnames.parseUnnormalizedShortName). */
  short: boolean;
  mode: ShortNameMode;
  /** What CRI-O pulls, in order: fully qualified, with the tag stripped where a digest is present too. */
  candidates: string[];
  alias: ShortNameAlias | null;
  rationale: 'fully-qualified' | 'alias' | 'search';
  /** Resolved.Description(): the info line CRI-O logs before pulling ("" when there is none). */
  description: string;
  /** Set when resolution itself fails the pull: no alias and no search list, or enforcing with several candidates. */
  error: EngineError | null;
}

/** The message CRI-O substitutes for the library's TTY error (internal/storage/image.go). */
export function crioAmbiguousMessage(imageName: string): string {
  return `short name mode is enforcing, but image name ${imageName} returns ambiguous list`;
}
export const LIBRARY_AMBIGUOUS_MESSAGE = 'short-name resolution enforced but cannot prompt without a TTY';

/**
 * The string CRI-O receives for an image written in a pod spec: the kubelet (pkg/kubelet/images/image_manager.go
 * applyDefaultImageTag) appends ":latest" to a name with neither tag nor digest, and passes anything else as is.
 */
export function kubeletImageName(image: string): string {
  try {
    const ref = parseReference(image);
    return ref.tag === undefined && ref.digest === undefined ? `${image}:latest` : image;
  } catch {
    return image;
  }
}

function referenceError(message: string): EngineError {
  return new EngineError('reference', message);
}

function withCause(prefix: string, e: unknown): EngineError {
  if (e instanceof EngineError) return referenceError(`${prefix}: ${e.message}`);
  throw e;
}

/** TagNameOnly: ":latest" when there is neither tag nor digest. */
function tagNameOnly(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** references.RegistryImageReferenceFromRaw: CRI-O pulls name:tag@digest by digest. */
function crioCandidate(ref: ImageReference): string {
  if (ref.tag !== undefined && ref.digest !== undefined)
    return refString({ domain: ref.domain, path: ref.path, digest: ref.digest });
  return refString(ref);
}

/** The name without tag or digest, as written (reference.TrimNamed(...).String()). */
function trimmedName(ref: ImageReference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** Short iff the domain part is neither a host (contains "." or ":") nor "localhost". */
export function isShortName(input: string): boolean {
  try {
    return !isRegistryDomain(parseReference(input).domain);
  } catch {
    return false;
  }
}

/**
 * shortnames.Resolve as CRI-O calls it. Throws an EngineError (stage "reference") only when the name does not parse;
 * every other failure comes back in `error`, with the candidates it concerns still listed.
 */
export function resolveShortName(
  input: string,
  cfg: ShortNameConfig,
  mode: ShortNameMode,
  runtime: ShortNameRuntime = 'cri-o',
): ShortNameResolution {
  let parsed: ImageReference;
  try {
    parsed = parseReference(input);
  } catch (e) {
    throw withCause(`cannot parse input: ${JSON.stringify(input)}`, e);
  }
  const base = { input, mode, alias: null, description: '', error: null };
  if (isRegistryDomain(parsed.domain)) {
    let named: ImageReference;
    try {
      named = parseNormalizedNamed(input);
    } catch (e) {
      throw withCause(`cannot normalize input: ${JSON.stringify(input)}`, e);
    }
    return { ...base, short: false, candidates: [crioCandidate(tagNameOnly(named))], rationale: 'fully-qualified' };
  }

  // The alias key is the name as written without tag or digest; the machine cache is read before the config files,
  // and an entry there (even "") ends the lookup.
  const key = trimmedName(parsed);
  const entry = cfg.aliasCache?.has(key) === true ? cfg.aliasCache.get(key) : cfg.aliases?.get(key);
  if (entry !== undefined && entry.value !== null) {
    const value = parseNormalizedNamed(entry.value);
    const ref = tagNameOnly({
      domain: value.domain,
      path: value.path,
      ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
      ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
    });
    return {
      ...base,
      short: true,
      candidates: [crioCandidate(ref)],
      alias: { name: key, value: entry.value, origin: entry.origin },
      rationale: 'alias',
      description: `Resolved ${JSON.stringify(key)} as an alias (${entry.origin})`,
    };
  }

  const search = cfg.searchRegistries ?? [];
  if (search.length === 0) {
    const message =
      cfg.searchOrigin !== undefined
        ? `short-name ${JSON.stringify(input)} did not resolve to an alias and no ` +
          `unqualified-search registries are defined in ${JSON.stringify(cfg.searchOrigin)}`
        : `short-name ${JSON.stringify(input)} did not resolve to an ` +
          `alias and no containers-registries.conf(5) was found`;
    return { ...base, short: true, candidates: [], rationale: 'search', error: referenceError(message) };
  }
  const candidates = search.map((reg) => {
    try {
      return crioCandidate(tagNameOnly(parseNormalizedNamed(`${reg}/${input}`)));
    } catch (e) {
      throw withCause(`creating reference with unqualified-search registry ${JSON.stringify(reg)}`, e);
    }
  });
  const description =
    `Resolving ${JSON.stringify(key)} using ` + `unqualified-search registries (${cfg.searchOrigin ?? ''})`;
  const resolution: ShortNameResolution = { ...base, short: true, candidates, rationale: 'search', description };
  // disabled: all candidates; one candidate: no ambiguity; several without a TTY: permissive tries them all,
  // enforcing fails (CRI-O replaces the library's message with its own, naming the image as it received it).
  if (mode === 'enforcing' && candidates.length > 1) {
    resolution.error = referenceError(runtime === 'cri-o' ? crioAmbiguousMessage(input) : LIBRARY_AMBIGUOUS_MESSAGE);
  }
  return resolution;
}

/**
 * The API CRI-O exposes (ImageServer.CandidatesForPotentiallyShortImageName): the fully qualified names to try, in
 * order, or the error the pull fails with. Never an empty list on success.
 */
export function candidatesForPotentiallyShortImageName(
  input: string,
  cfg: ShortNameConfig,
  mode: ShortNameMode,
): string[] {
  const r = resolveShortName(input, cfg, mode, 'cri-o');
  if (r.error !== null) throw r.error;
  return r.candidates;
}

/** The short-name inputs of a loaded registries.conf (plus, on a node, the machine alias cache). */
export function shortNameConfigOf(
  conf: { unqualifiedSearchRegistries: string[] | null; aliases?: AliasTable; searchOrigin?: string; files: string[] },
  aliasCache?: AliasTable,
): ShortNameConfig {
  return {
    searchRegistries: conf.unqualifiedSearchRegistries,
    ...(conf.aliases !== undefined ? { aliases: conf.aliases } : {}),
    ...(aliasCache !== undefined ? { aliasCache } : {}),
    searchOrigin: conf.searchOrigin ?? conf.files[0],
  };
}
