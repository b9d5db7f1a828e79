// Short-name aliases as containers/image reads them (pkg/sysregistriesv2/shortnames.go): the [aliases] tables of
// registries.conf and its drop-ins, and the machine-generated alias cache /var/cache/containers/short-name-aliases.conf
// (root's; CRI-O runs as root, and root podman on the node writes it). A key is a short name without tag or digest;
// a value is a fully qualified name without tag or digest, stored normalized; "" stores no alias, which lets a later
// file cancel an earlier one. Any invalid entry fails the whole file. Sources: docs/short-names.md.
import { parse as parseToml, TomlError } from 'smol-toml';
import { EngineError } from './engine-error.ts';
import { parseNormalizedNamed, parseReference, refString } from './reference.ts';

export interface AliasEntry {
  /** The normalized fully qualified name (docker.io/busybox -> docker.io/library/busybox), or null: "" cancels. */
  value: string | null;
  /** The file the alias comes from (containers/image names it in "Resolved ... as an alias (FILE)"). */
  origin: string;
}

export type AliasTable = ReadonlyMap<string, AliasEntry>;

export const ALIAS_CACHE_PATH = '/var/cache/containers/short-name-aliases.conf';

/** A domain part that makes a name fully qualified: contains "." or ":", or is "localhost" (shortnames.go). */
export function isRegistryDomain(domain: string): boolean {
  return /[.:]/.test(domain) || domain === 'localhost';
}

/** The reason reference.Parse refuses s, as Go prints it; undefined when it parses. */
function parseError(s: string): string | undefined {
  try {
    parseReference(s);
    return undefined;
  } catch (e) {
    if (e instanceof EngineError) return e.message;
    throw e;
  }
}

/** validateShortName: the left-hand side must parse, carry no tag or digest, and name no registry. */
export function shortNameKeyError(name: string): string | undefined {
  const bad = parseError(name);
  if (bad !== undefined) return `cannot parse short name: ${JSON.stringify(name)}: ${bad}`;
  const ref = parseReference(name);
  if (ref.digest !== undefined) return `invalid short name ${JSON.stringify(name)}: must not contain digest`;
  if (ref.tag !== undefined) return `invalid short name ${JSON.stringify(name)}: must not contain tag`;
  if (isRegistryDomain(ref.domain)) return `invalid short name ${JSON.stringify(name)}: must not contain registry`;
  return undefined;
}

/** parseShortNameValue: the right-hand side must parse, carry no tag or digest, and name a registry; normalized. */
export function parseAliasValue(alias: string): { value: string } | { error: string } {
  const bad = parseError(alias);
  if (bad !== undefined) return { error: `parsing alias ${JSON.stringify(alias)}: ${bad}` };
  const ref = parseReference(alias);
  if (ref.digest !== undefined) return { error: `invalid alias ${JSON.stringify(alias)}: must not contain digest` };
  if (ref.tag !== undefined) return { error: `invalid alias ${JSON.stringify(alias)}: must not contain tag` };
  if (!isRegistryDomain(ref.domain))
    return { error: `invalid alias ${JSON.stringify(alias)}: must contain registry and repository` };
  try {
    return { value: refString(parseNormalizedNamed(alias)) };
  } catch (e) {
    if (e instanceof EngineError) return { error: e.message };
    throw e;
  }
}

/**
 * newShortNameAliasCache: every entry of one file's [aliases] table, or one error listing every bad entry (upstream
 * reports them all, one per line, in Go map order; here in key order so the message is stable).
 */
export function parseAliasTable(raw: unknown, origin: string): Map<string, AliasEntry> | { error: string } {
  const out = new Map<string, AliasEntry>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { error: '[aliases] must be a table of "short-name" = "registry/repository"' };
  const errors: string[] = [];
  for (const name of Object.keys(raw).sort()) {
    const v = (raw as Record<string, unknown>)[name];
    const keyError = shortNameKeyError(name);
    if (keyError !== undefined) errors.push(keyError);
    if (typeof v !== 'string') {
      errors.push(`alias ${JSON.stringify(name)} must be a string`);
      continue;
    }
    if (v === '') {
      out.set(name, { value: null, origin });
      continue;
    }
    const parsed = parseAliasValue(v);
    if ('error' in parsed) errors.push(parsed.error);
    else out.set(name, { value: parsed.value, origin });
  }
  return errors.length > 0 ? { error: errors.join('\n') } : out;
}

/** updateWithConfigurationFrom for aliases: per key, the later file wins (a "" entry included). */
export function mergeAliases(
  base: ReadonlyMap<string, AliasEntry>,
  later: ReadonlyMap<string, AliasEntry>,
): Map<string, AliasEntry> {
  const out = new Map(base);
  for (const [k, v] of later) out.set(k, v);
  return out;
}

/**
 * The machine alias cache file (loadShortNameAliasConf): a TOML file with an [aliases] table. A missing file is no
 * aliases; an unreadable or invalid one fails every short-name resolution (not fully qualified pulls).
 */
export function parseAliasCache(toml: string, path = ALIAS_CACHE_PATH): Map<string, AliasEntry> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(toml) as Record<string, unknown>;
  } catch (e) {
    const msg = e instanceof TomlError ? (e.message.split('\n')[0] ?? '') : String(e);
    throw new EngineError('config', `loading short-name aliases config file ${JSON.stringify(path)}: ${msg}`);
  }
  const table = parseAliasTable(doc['aliases'], path);
  if ('error' in table)
    throw new EngineError('config', `loading short-name aliases config file ${JSON.stringify(path)}: ${table.error}`);
  return table;
}
