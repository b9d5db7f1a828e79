// The registries.conf model and how containers/image loads it (pkg/sysregistriesv2): v1 conversion, per-entry
// normalization and checks, first-prefix-wins de-duplication, prefix sort, and drop-ins that replace whole
// entries by prefix. Errors carry stage "config", with upstream's messages.
import { parse as parseToml, TomlError } from 'smol-toml';
import { EngineError } from './engine-error.ts';
import type { PullFromMirror } from './pull-source.ts';
import { isValidDomain } from './reference.ts';
import { decodeRegistriesConf } from './registries-conf-decode.ts';
import { mergeAliases, parseAliasTable } from './short-name-aliases.ts';
import type { AliasEntry } from './short-name-aliases.ts';
import type { ShortNameMode } from './short-names.ts';

export interface Endpoint {
  location: string;
  insecure: boolean;
}

export interface Mirror extends Endpoint {
  /** "" when unset (behaves as "all"). */
  pullFromMirror: PullFromMirror | '';
}

export interface Registry extends Endpoint {
  prefix: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: Mirror[];
}

export interface RegistriesConf {
  unqualifiedSearchRegistries: string[] | null;
  /** Sorted by prefix, unique prefixes (as after loading). */
  registries: Registry[];
  /** Files the configuration came from, in load order. */
  files: string[];
  /** Merged [aliases] of the main file and the drop-ins, later files winning per key ("" = cancelled: value null). */
  aliases?: Map<string, AliasEntry>;
  /** short-name-mode of the files (the last that sets it): podman honours it, CRI-O >= 1.34 ignores it. */
  shortNameMode?: ShortNameMode | null;
  /**
   * The file containers/image names for the search list: the last that set unqualified-search-registries, else the main
   * file.
   */
  searchOrigin?: string;
}

export interface ConfFile {
  name: string;
  toml: string;
}

const config = (msg: string): EngineError => new EngineError('config', msg);

/** sysregistriesv2 parseLocation: strips every trailing "/", refuses URI schemes. */
export function parseLocation(input: string): string {
  const trimmed = input.replace(/\/+$/, '');
  if (trimmed.startsWith('http://') || trimmed.startsWith('https://')) {
    throw config(`invalid location '${input}': URI schemes are not supported`);
  }
  return trimmed;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function str(t: Table, key: string, where: string): string {
  const v = t[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw config(`${where}: "${key}" must be a string`);
  return v;
}

function bool(t: Table, key: string, where: string): boolean {
  const v = t[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw config(`${where}: "${key}" must be true or false`);
  return v;
}

function strList(v: unknown, where: string): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw config(`${where} must be a list of strings`);
  return v as string[];
}

interface RawRegistry extends Registry {
  /** pull-from-mirror written on the registry itself: an error, checked in post-processing. */
  ownPullFromMirror: string;
  rawMirrorPull: string[];
}

function decodeRegistry(t: Table, i: number): RawRegistry {
  const where = `[[registry]] #${i + 1}`;
  const mirrorsRaw = t['mirror'];
  const mirrors: Mirror[] = [];
  const rawMirrorPull: string[] = [];
  if (mirrorsRaw !== undefined) {
    if (!Array.isArray(mirrorsRaw)) throw config(`${where}: "mirror" must be an array of tables`);
    mirrorsRaw.forEach((m, j) => {
      if (!isTable(m)) throw config(`${where}: mirror #${j + 1} must be a table`);
      const w = `${where} mirror #${j + 1}`;
      rawMirrorPull.push(str(m, 'pull-from-mirror', w));
      mirrors.push({ location: str(m, 'location', w), insecure: bool(m, 'insecure', w), pullFromMirror: '' });
    });
  }
  return {
    prefix: str(t, 'prefix', where),
    location: str(t, 'location', where),
    insecure: bool(t, 'insecure', where),
    blocked: bool(t, 'blocked', where),
    mirrorByDigestOnly: bool(t, 'mirror-by-digest-only', where),
    mirrors,
    ownPullFromMirror: str(t, 'pull-from-mirror', where),
    rawMirrorPull,
  };
}

interface PartialConf {
  unqualifiedSearchRegistries: string[] | null;
  registries: Registry[];
  aliases?: Map<string, AliasEntry>;
  shortNameMode?: ShortNameMode | null;
}

/** parseShortNameMode: the three modes containers/image knows; "" or unset is "not set here". */
function shortNameModeOf(v: unknown): ShortNameMode | null {
  if (v === undefined || v === '') return null;
  if (v === 'disabled' || v === 'permissive' || v === 'enforcing') return v;
  throw config(`invalid short-name mode: ${JSON.stringify(v)}`);
}

/** V1 format ([registries.search|insecure|block]) converted to v2 entries, in first-mention order. */
function convertV1(v1: Table): PartialConf {
  const list = (k: string): string[] | null => {
    const sec = v1[k];
    if (sec === undefined) return null;
    if (!isTable(sec)) throw config(`[registries.${k}] must be a table`);
    return strList(sec['registries'], `[registries.${k}] registries`);
  };
  const byLocation = new Map<string, RawRegistry>();
  const get = (loc: string): RawRegistry => {
    const location = parseLocation(loc);
    let reg = byLocation.get(location);
    if (reg === undefined) {
      reg = {
        prefix: location,
        location,
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: [],
        ownPullFromMirror: '',
        rawMirrorPull: [],
      };
      byLocation.set(location, reg);
    }
    return reg;
  };
  for (const b of list('block') ?? []) get(b).blocked = true;
  for (const s of list('insecure') ?? []) get(s).insecure = true;
  return { unqualifiedSearchRegistries: list('search'), registries: [...byLocation.values()] };
}

function hasV1Field(t: Table): boolean {
  const v1 = t['registries'];
  if (!isTable(v1)) return false;
  return ['search', 'insecure', 'block'].some((k) => isTable(v1[k]) && (v1[k] as Table)['registries'] !== undefined);
}

/** postProcessRegistries: normalize and check each entry, then de-duplicate prefixes and sort. */
function postProcess(raw: RawRegistry[], search: string[] | null, afterEntries?: () => void): PartialConf {
  for (const reg of raw) {
    reg.location = parseLocation(reg.location);
    if (reg.prefix === '') {
      if (reg.location === '') throw config('invalid condition: both location and prefix are unset');
      reg.prefix = reg.location;
    } else {
      reg.prefix = parseLocation(reg.prefix);
      if (reg.location === '' && !reg.prefix.startsWith('*.')) {
        throw config('invalid condition: location is unset and prefix is not in the format: *.example.com');
      }
    }
    if (reg.ownPullFromMirror !== '') {
      throw config(`pull-from-mirror must not be set for a non-mirror registry ${JSON.stringify(reg.prefix)}`);
    }
    reg.mirrors.forEach((mir, j) => {
      mir.location = parseLocation(mir.location);
      if (mir.location === '') throw config('invalid condition: mirror location is unset');
      const pfm = reg.rawMirrorPull[j] ?? '';
      if (reg.mirrorByDigestOnly && pfm !== '') {
        throw config(
          `cannot set mirror usage mirror-by-digest-only for the registry (${JSON.stringify(reg.prefix)}) and ` +
            `pull-from-mirror for per-mirror (${JSON.stringify(mir.location)}) at the same time`,
        );
      }
      if (pfm !== '' && pfm !== 'all' && pfm !== 'digest-only' && pfm !== 'tag-only') {
        throw config(
          `unsupported pull-from-mirror value ${JSON.stringify(pfm)} for mirror ${JSON.stringify(mir.location)}`,
        );
      }
      mir.pullFromMirror = pfm as PullFromMirror | '';
    });
  }
  // Entries for the same location (or the same prefix, without location) must agree on insecure and blocked.
  const byKey = new Map<string, RawRegistry[]>();
  for (const reg of raw) {
    const key = reg.location === '' ? reg.prefix : reg.location;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [reg]);
    else list.push(reg);
  }
  for (const reg of raw) {
    for (const other of byKey.get(reg.location === '' ? reg.prefix : reg.location) ?? []) {
      if (reg.insecure !== other.insecure)
        throw config(`registry '${reg.location}' is defined multiple times with conflicting 'insecure' setting`);
      if (reg.blocked !== other.blocked)
        throw config(`registry '${reg.location}' is defined multiple times with conflicting 'blocked' setting`);
    }
  }
  let unqualified = search;
  if (unqualified !== null) {
    unqualified = unqualified.map((s) => {
      const r = parseLocation(s);
      if (!isValidDomain(r)) throw config(`Invalid unqualified-search-registries entry ${JSON.stringify(r)}`);
      return r;
    });
  }
  // The first entry with a prefix wins; later ones are dropped silently.
  const unique = new Map<string, Registry>();
  for (const reg of raw) {
    if (!unique.has(reg.prefix)) {
      unique.set(reg.prefix, {
        prefix: reg.prefix,
        location: reg.location,
        insecure: reg.insecure,
        blocked: reg.blocked,
        mirrorByDigestOnly: reg.mirrorByDigestOnly,
        mirrors: reg.mirrors,
      });
    }
  }
  const registries = sortByPrefix([...unique.values()]);
  // Checked only after every entry, the conflicts and the search list (loadConfigFile, after postProcessRegistries),
  // so another error in the same file is the one reported. short-name-mode is parsed in between.
  afterEntries?.();
  for (const reg of registries) {
    if (reg.prefix.startsWith('*.') && /[/@:]/.test(reg.prefix)) {
      throw config(
        `Wildcarded prefix should be in the format: *.example.com. Current ` +
          `prefix ${JSON.stringify(reg.prefix)} is incorrectly formatted`,
      );
    }
  }
  return { unqualifiedSearchRegistries: unqualified, registries };
}

function sortByPrefix(regs: Registry[]): Registry[] {
  return regs.sort((a, b) => byteCompare(a.prefix, b.prefix));
}

/** Go's string order: UTF-16 code unit order equals byte order for the ASCII that scopes are made of. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function loadFile(file: ConfFile, forceV2: boolean): PartialConf {
  let doc: Table;
  try {
    doc = decodeRegistriesConf(parseToml(file.toml) as Table);
  } catch (e) {
    if (e instanceof EngineError) throw config(`${file.name}: ${e.message}`);
    const msg = e instanceof TomlError ? e.message.split('\n')[0] : String(e);
    throw config(`${file.name}: invalid TOML: ${msg}`);
  }
  const v2Raw = doc['registry'];
  // Any v2 key that is set counts, even an empty list (containers/image >= 5.24).
  const hasV2 =
    v2Raw !== undefined ||
    doc['unqualified-search-registries'] !== undefined ||
    doc['credential-helpers'] !== undefined ||
    doc['aliases'] !== undefined ||
    (typeof doc['short-name-mode'] === 'string' && doc['short-name-mode'] !== '') ||
    (typeof doc['additional-layer-store-auth-helper'] === 'string' && doc['additional-layer-store-auth-helper'] !== '');
  if (hasV1Field(doc)) {
    if (forceV2) throw config(`registry must be in v2 format but is in v1: ${file.name}`);
    if (hasV2) throw config('mixing sysregistry v1/v2 is not supported');
    const v1 = convertV1(doc['registries'] as Table);
    return postProcess(v1.registries as RawRegistry[], v1.unqualifiedSearchRegistries);
  }
  if (v2Raw !== undefined && !Array.isArray(v2Raw))
    throw config(`${file.name}: "registry" must be an array of tables ([[registry]])`);
  const raw = ((v2Raw ?? []) as unknown[]).map((t, i) => {
    if (!isTable(t)) throw config(`${file.name}: [[registry]] #${i + 1} must be a table`);
    return decodeRegistry(t, i);
  });
  // loadConfigFile's order: registries, short-name-mode, the wildcard format, then the aliases (one bad alias fails the
  // file).
  let shortNameMode: ShortNameMode | null = null;
  const part = postProcess(raw, strList(doc['unqualified-search-registries'], 'unqualified-search-registries'), () => {
    shortNameMode = shortNameModeOf(doc['short-name-mode']);
  });
  part.shortNameMode = shortNameMode;
  const aliases = parseAliasTable(doc['aliases'], file.name);
  if ('error' in aliases) {
    throw config(
      `loading ${forceV2 ? 'drop-in ' : ''}registries configuration ` +
        `${JSON.stringify(file.name)}: validating short-name aliases: ${aliases.error}`,
    );
  }
  part.aliases = aliases;
  return part;
}

/**
 * Loads the main file and then the drop-ins in name order, as containers/image does: a drop-in entry replaces
 * the whole entry with the same prefix; a drop-in's search list replaces the main one.
 */
export function parseRegistriesConf(
  mainToml: string,
  dropIns: ConfFile[] = [],
  mainName = '/etc/containers/registries.conf',
): RegistriesConf {
  const main = loadFile({ name: mainName, toml: mainToml }, false);
  const byPrefix = new Map<string, Registry>(main.registries.map((r) => [r.prefix, r]));
  let search = main.unqualifiedSearchRegistries;
  let searchOrigin = mainName;
  let aliases = main.aliases ?? new Map<string, AliasEntry>();
  let shortNameMode = main.shortNameMode ?? null;
  const files = [mainName];
  for (const d of [...dropIns].sort((a, b) => byteCompare(a.name, b.name))) {
    const part = loadFile(d, true);
    for (const r of part.registries) byPrefix.set(r.prefix, r);
    if (part.unqualifiedSearchRegistries !== null) {
      search = part.unqualifiedSearchRegistries;
      searchOrigin = d.name;
    }
    if (part.aliases !== undefined) aliases = mergeAliases(aliases, part.aliases);
    if (part.shortNameMode != null) shortNameMode = part.shortNameMode;
    files.push(d.name);
  }
  return {
    unqualifiedSearchRegistries: search,
    registries: sortByPrefix([...byPrefix.values()]),
    files,
    aliases,
    shortNameMode,
    searchOrigin,
  };
}

/** A configuration from entries already in memory (a render), post-processed as if loaded from a file. */
export function confFromEntries(entries: readonly Registry[], name = 'rendered registries.conf'): RegistriesConf {
  const raw: RawRegistry[] = entries.map((e) => ({
    ...e,
    mirrors: e.mirrors.map((m) => ({ ...m, pullFromMirror: '' as const })),
    ownPullFromMirror: '',
    rawMirrorPull: e.mirrors.map((m) => m.pullFromMirror),
  }));
  const part = postProcess(raw, null);
  return { unqualifiedSearchRegistries: part.unqualifiedSearchRegistries, registries: part.registries, files: [name] };
}
