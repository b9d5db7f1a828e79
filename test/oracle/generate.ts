// Random differential cases: a registries.conf (sometimes v1, sometimes broken), drop-ins, and references
// aimed at its prefixes, mirrors and their neighbours. Small pools of hosts and path components make
// prefixes nest, collide, share locations and block each other's mirrors, which is where bugs live.
import type { Random } from './random.ts';
import { caseRandom } from './random.ts';

export interface ConfFile {
  name: string;
  toml: string;
}

/** One case, exactly as the Go oracle reads it (one JSON line). */
export interface OracleCase {
  id: number;
  /** Main registries.conf text; the file always exists on a node. */
  registriesConf: string;
  dropIns: ConfFile[];
  /** The machine alias cache (short-name-aliases.conf); null when absent. */
  aliasCache: string | null;
  /** Fully qualified (or invalid) references resolved through the docker transport. */
  references: string[];
  /** Names resolved through shortnames.Resolve (short-name phase). */
  shortNames: string[];
  shortNameMode: '' | 'enforcing' | 'permissive' | 'disabled';
}

const HOSTS = [
  'quay.io',
  'quay.io:443',
  'registry.example.com',
  'registry.example.com:5000',
  'a.b.example.com',
  'example.com',
  'mirror.local',
  'mirror.local:8443',
  'registry.company.com',
  'docker.io',
  'index.docker.io',
  'localhost',
  'localhost:5000',
  'reg.corp',
  'Upper.Example.com',
  '10.0.0.1:5000',
];
const WILDCARDS = ['*.example.com', '*.com', '*.b.example.com', '*.local', '*.corp', '*.io'];
const BAD_WILDCARDS = ['*.example.com:5000', '*.example.com/ns', '*.com@x', '*example.com'];
const COMPONENTS = [
  'ns',
  'team',
  'app',
  'openshift-release-dev',
  'ocp-release',
  'library',
  'busybox',
  'a',
  'b-c',
  'x_y',
  'sub',
  'img',
];
const TAGS = ['latest', 'v1.2.0', '1', 'tag_x', '4.21.0-x86_64'];
const HEX = '0123456789abcdef';

function digest(r: Random): string {
  // A few fixed digests so references repeat, plus a random one.
  if (r.chance(0.5)) return `sha256:${r.pick(['a', 'b', 'c', '0']).repeat(64)}`;
  let hex = '';
  for (let i = 0; i < 64; i++) hex += HEX[r.int(16)];
  return `sha256:${hex}`;
}

function path(r: Random, min: number, max: number): string {
  const n = min + r.int(max - min + 1);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(r.pick(COMPONENTS));
  return parts.join('/');
}

/** A scope host[:port][/path...] from the pools. */
function scope(r: Random, maxDepth = 2): string {
  const p = path(r, 0, maxDepth);
  return p === '' ? r.pick(HOSTS) : `${r.pick(HOSTS)}/${p}`;
}

/** A host that matches a wildcard "*.d" (one or more labels in front, sometimes a port). */
function hostUnder(r: Random, wildcard: string): string {
  const labels = ['x', 'reg', 'a.b', 'mirror', 'registry'];
  const host = `${r.pick(labels)}${wildcard.slice(1)}`;
  return r.chance(0.2) ? `${host}:5000` : host;
}

const q = (s: string): string => JSON.stringify(s);

interface GenRegistry {
  prefix?: string;
  location?: string;
  insecure?: boolean;
  blocked?: boolean;
  mirrorByDigestOnly?: boolean;
  ownPullFromMirror?: string;
  mirrors: Array<{ location?: string; insecure?: boolean; pullFromMirror?: string }>;
}

function genRegistry(r: Random, pools: { scopes: string[]; wildcards: string[] }): GenRegistry {
  const reg: GenRegistry = { mirrors: [] };
  const kind = r.next();
  if (kind < 0.55) {
    reg.prefix = r.chance(0.7) && pools.scopes.length > 0 ? r.pick(pools.scopes) : scope(r);
    reg.location = r.chance(0.6) ? reg.prefix : scope(r);
  } else if (kind < 0.72) {
    reg.prefix = r.chance(0.8) ? r.pick(pools.wildcards) : r.pick(WILDCARDS);
    if (r.chance(0.5)) reg.location = r.chance(0.5) ? scope(r, 1) : '';
  } else if (kind < 0.97) {
    // No prefix: it defaults to the location.
    reg.location = r.chance(0.7) && pools.scopes.length > 0 ? r.pick(pools.scopes) : scope(r);
  } else {
    // Malformed on purpose: the loader must refuse or normalize these.
    const bad = r.int(10);
    if (bad === 0) reg.prefix = r.pick(BAD_WILDCARDS);
    else if (bad === 1) reg.location = `https://${scope(r)}`;
    else if (bad === 2) reg.prefix = `${scope(r)}/`;
    else if (bad === 3)
      reg.prefix = scope(r); // location unset, not a wildcard
    else if (bad === 4) reg.location = `${scope(r)}//`;
    else if (bad === 5) reg.prefix = `http://${scope(r)}`;
    else if (bad === 6)
      reg.location = `${scope(r, 1)}/NS`; // not canonical: every rewrite through it fails
    else if (bad === 7)
      reg.location = r.pick([`${scope(r, 1)}:v1`, `${scope(r, 1)}@sha256:${'d'.repeat(64)}`, 'quay.io/a b']);
    else if (bad === 8) reg.prefix = r.pick(['quay.io/ns:v1', `quay.io/ns@sha256:${'d'.repeat(64)}`, 'Quay.io/ns']);
    else reg.location = scope(r);
    if (bad !== 3 && reg.location === undefined && r.chance(0.5)) reg.location = scope(r);
    if (bad === 8) reg.location = reg.prefix;
  }
  if (r.chance(0.15)) reg.insecure = true;
  if (r.chance(0.15)) reg.blocked = true;
  if (r.chance(0.12)) reg.mirrorByDigestOnly = true;
  if (r.chance(0.01)) reg.ownPullFromMirror = r.pick(['digest-only', 'all']);
  const nMirrors = r.pick([0, 0, 1, 1, 2, 3]);
  for (let i = 0; i < nMirrors; i++) {
    const m: GenRegistry['mirrors'][number] = {};
    const mk = r.next();
    if (mk < 0.97) m.location = r.chance(0.3) && pools.scopes.length > 0 ? r.pick(pools.scopes) : scope(r);
    else if (mk < 0.985) m.location = `${scope(r)}/`;
    else if (mk < 0.99) m.location = '';
    else if (mk < 0.995) m.location = `http://${scope(r)}`;
    // else: location unset
    if (r.chance(0.2)) m.insecure = true;
    if (!reg.mirrorByDigestOnly || r.chance(0.05)) {
      const pk = r.next();
      if (pk < 0.3) m.pullFromMirror = 'digest-only';
      else if (pk < 0.5) m.pullFromMirror = 'tag-only';
      else if (pk < 0.6) m.pullFromMirror = 'all';
      else if (pk < 0.605) m.pullFromMirror = r.pick(['Digest-Only', 'bogus', '']);
    }
    reg.mirrors.push(m);
  }
  return reg;
}

function registryToml(r: Random, reg: GenRegistry): string {
  const lines = ['[[registry]]'];
  // Hand-written files sometimes capitalize a key.
  const key = (k: string): string => (r.chance(0.01) ? r.pick([k.toUpperCase(), k[0]!.toUpperCase() + k.slice(1)]) : k);
  if (reg.prefix !== undefined) lines.push(`${key('prefix')} = ${q(reg.prefix)}`);
  if (reg.location !== undefined) lines.push(`${key('location')} = ${q(reg.location)}`);
  if (reg.insecure !== undefined) lines.push(`insecure = ${reg.insecure}`);
  if (reg.blocked !== undefined) lines.push(`blocked = ${reg.blocked}`);
  if (reg.mirrorByDigestOnly !== undefined) lines.push(`mirror-by-digest-only = ${reg.mirrorByDigestOnly}`);
  if (reg.ownPullFromMirror !== undefined) lines.push(`pull-from-mirror = ${q(reg.ownPullFromMirror)}`);
  for (const m of reg.mirrors) {
    lines.push('', '[[registry.mirror]]');
    if (m.location !== undefined) lines.push(`location = ${q(m.location)}`);
    if (m.insecure !== undefined) lines.push(`insecure = ${m.insecure}`);
    if (m.pullFromMirror !== undefined) lines.push(`pull-from-mirror = ${q(m.pullFromMirror)}`);
  }
  return lines.join('\n');
}

function searchToml(r: Random): string {
  const n = r.pick([0, 1, 2, 2, 3]);
  const list: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.next();
    if (k < 0.85)
      list.push(
        r.pick(['registry.access.redhat.com', 'docker.io', 'quay.io', 'registry.example.com:5000', 'localhost']),
      );
    else if (k < 0.92) list.push(`${r.pick(HOSTS)}/`);
    else list.push(r.pick(['quay.io/ns', 'http://quay.io', '*.example.com', 'Bad_Host', '']));
  }
  return `unqualified-search-registries = [${list.map(q).join(', ')}]`;
}

/** A v2 file: optional search list, then [[registry]] tables; sometimes a deliberate TOML or type error. */
function v2File(r: Random, pools: { scopes: string[]; wildcards: string[] }, maxRegs: number): string {
  const parts: string[] = [];
  if (r.chance(0.4)) parts.push(searchToml(r));
  if (r.chance(0.05)) parts.push(`short-name-mode = ${q(r.pick(['enforcing', 'permissive', 'disabled']))}`);
  const n = r.int(maxRegs + 1);
  for (let i = 0; i < n; i++) parts.push(registryToml(r, genRegistry(r, pools)));
  let text = parts.join('\n\n') + '\n';
  const broken = r.next();
  if (broken < 0.015) text += '[[registry]]\nprefix = "unterminated\n';
  else if (broken < 0.03) text += '\n[[registry]]\nlocation = "x.io"\ninsecure = "yes"\n';
  else if (broken < 0.04) text += '\n[[registry]]\nlocation = 5\n';
  else if (broken < 0.05) text += '\nunqualified-search-registries = "quay.io"\n';
  // Top-level keys the loader never uses again still have a type (and go before the first table).
  const topLevel = r.next();
  if (topLevel < 0.01) text = `credential-helpers = ${r.pick(['"x"', '["containers-auth.json"]', '[1]'])}\n${text}`;
  else if (topLevel < 0.02) text = `additional-layer-store-auth-helper = ${r.pick(['5', '"helper"', 'true'])}\n${text}`;
  else if (topLevel < 0.025) text = `registries = 5\n${text}`;
  // A key in other capitals, alone (with both spellings Go's result depends on its map order).
  else if (topLevel < 0.03 && !text.includes('unqualified-search-registries'))
    text = `Unqualified-Search-Registries = ["quay.io"]\n${text}`;
  return text;
}

function v1File(r: Random): string {
  const list = (n: number): string =>
    `[${Array.from({ length: n }, () => q(r.chance(0.9) ? r.pick(HOSTS) : `${scope(r, 1)}/`)).join(', ')}]`;
  const parts: string[] = [];
  // Top-level keys go before the first table. Any v2 key that is set, even empty, makes it a mix (refused);
  // an empty short-name-mode counts as unset.
  if (r.chance(0.15))
    parts.push(
      r.pick([
        'unqualified-search-registries = []',
        'unqualified-search-registries = ["quay.io"]',
        'short-name-mode = ""',
        'short-name-mode = "enforcing"',
        'credential-helpers = []',
      ]),
    );
  if (r.chance(0.7)) parts.push(`[registries.search]\nregistries = ${list(r.int(3))}`);
  if (r.chance(0.6)) parts.push(`[registries.insecure]\nregistries = ${list(r.int(3))}`);
  if (r.chance(0.6)) parts.push(`[registries.block]\nregistries = ${list(r.int(3))}`);
  if (r.chance(0.05)) parts.push('[[registry]]\nlocation = "quay.io"');
  return parts.join('\n\n') + '\n';
}

/** A reference aimed at the configuration: under a prefix, a wildcard, a mirror, or nothing at all. */
function reference(r: Random, pools: { scopes: string[]; wildcards: string[] }): string {
  let name: string;
  const k = r.next();
  if (k < 0.55 && pools.scopes.length > 0) {
    const base = r.pick(pools.scopes);
    const hasPath = base.includes('/');
    // A bare host needs at least one path component; sometimes the name is the scope itself.
    name = hasPath && r.chance(0.2) ? base : `${base}/${path(r, 1, 2)}`;
    if (r.chance(0.1)) name = name.replace(/^([^/]+)/, '$1:5000'); // host:port under a port-less prefix
  } else if (k < 0.75 && pools.wildcards.length > 0) {
    name = `${hostUnder(r, r.pick(pools.wildcards))}/${path(r, 1, 2)}`;
  } else if (k < 0.85) {
    name = path(r, 1, 2); // docker.io short form: normalized by the docker transport
  } else {
    name = `${scope(r, 1)}/${path(r, 1, 1)}`;
  }
  const form = r.next();
  let ref = name;
  if (form < 0.35) ref += `:${r.pick(TAGS)}`;
  else if (form < 0.75) ref += `@${digest(r)}`;
  else if (form < 0.82) ref += `:${r.pick(TAGS)}@${digest(r)}`;
  if (r.chance(0.1)) ref = mutate(r, ref);
  return ref;
}

/** Invalid or odd inputs: every one must be refused (or accepted) by both sides alike. */
function mutate(r: Random, ref: string): string {
  switch (r.int(12)) {
    case 0:
      return ref.replace(/\/([a-z])/, (_m, c: string) => `/${c.toUpperCase()}`);
    case 1:
      return `${ref}@sha256:${'a'.repeat(63)}`;
    case 2:
      return `//${ref}`;
    case 3:
      return '';
    case 4:
      return `${ref} `;
    case 5:
      return 'a'.repeat(64);
    case 6:
      return `${ref.split(/[:@]/)[0]}/${'x'.repeat(250)}`;
    case 7:
      return `https://${ref}`;
    case 8:
      return `${ref}@sha512:${'b'.repeat(64)}`;
    case 9:
      return ref.replace(/\//, '//');
    case 10:
      return `qua_y.io/ns/app:1`;
    default:
      return `${ref}:`;
  }
}

/** Scopes and wildcards a case is built around (so entries overlap). */
function casePools(r: Random): { scopes: string[]; wildcards: string[] } {
  const scopes = Array.from({ length: 2 + r.int(4) }, () => scope(r));
  // Nested scopes of those: the longest-prefix rule and blocked mirrors need them.
  for (const s of [...scopes]) if (r.chance(0.5)) scopes.push(`${s}/${r.pick(COMPONENTS)}`);
  const wildcards = Array.from({ length: 1 + r.int(2) }, () => r.pick(WILDCARDS));
  return { scopes, wildcards };
}

export interface GenerateOptions {
  /** Add short-name, alias and alias-cache material (needs the engine's short-name API). */
  shortNames: boolean;
}

export function generateCase(seed: number, id: number, opts: GenerateOptions): OracleCase {
  const r = caseRandom(seed, id);
  const pools = casePools(r);
  const main = r.chance(0.06) ? v1File(r) : v2File(r, pools, 6);
  const dropIns: ConfFile[] = [];
  if (r.chance(0.3)) {
    const n = 1 + r.int(2);
    for (let i = 0; i < n; i++) {
      const name = `${r.pick(['10', '20', '50', '99'])}-${r.pick(['mirrors', 'search', 'x'])}.conf`;
      if (dropIns.some((d) => d.name === name)) continue;
      dropIns.push({ name, toml: r.chance(0.04) ? v1File(r) : v2File(r, pools, 3) });
    }
  }
  const references = Array.from({ length: 4 }, () => reference(r, pools));
  const c: OracleCase = {
    id,
    registriesConf: main,
    dropIns,
    aliasCache: null,
    references,
    shortNames: [],
    shortNameMode: '',
  };
  if (opts.shortNames) addShortNameMaterial(r, c, pools);
  return c;
}

const SHORT_KEYS = ['busybox', 'nginx', 'library/busybox', 'synology/synology-csi', 'team/app', 'ubi9', 'a'];
const SEARCH = [
  'registry.access.redhat.com',
  'docker.io',
  'quay.io',
  'registry.example.com:5000',
  'localhost',
  'mirror.local',
];

/** An alias value aimed at the case's scopes (so its candidate meets mirrors), sometimes docker.io (normalized). */
function aliasValue(r: Random, pools: { scopes: string[] }): string {
  const k = r.next();
  if (k < 0.6 && pools.scopes.length > 0)
    return `${r.pick(pools.scopes).replace(/^index\.docker\.io/, 'docker.io')}/${r.pick(COMPONENTS)}`;
  if (k < 0.75) return `docker.io/${r.pick(COMPONENTS)}`;
  if (k < 0.85) return `localhost/${r.pick(COMPONENTS)}`;
  return `${r.pick(HOSTS)}/${path(r, 1, 2)}`;
}

/** Invalid alias entries; a table gets one at most: upstream lists all of them in Go map order, which is random. */
const BAD_ALIASES: ReadonlyArray<[string, string]> = [
  ['busybox:1', 'quay.io/busybox'],
  ['quay.io/busybox', 'quay.io/busybox'],
  ['bad1', 'quay.io/nginx:1'],
  ['bad2', 'nginx'],
  ['bad3', `quay.io/nginx@sha256:${'a'.repeat(64)}`],
  ['Nginx', 'quay.io/nginx'],
  ['bad4', 'quay.io/Nginx'],
];

function aliasTable(r: Random, pools: { scopes: string[] }): string {
  const lines = ['[aliases]'];
  const keys = new Set<string>();
  for (let i = 0, n = 1 + r.int(3); i < n; i++) keys.add(r.pick(SHORT_KEYS));
  for (const k of keys) lines.push(`${q(k)} = ${q(r.chance(0.12) ? '' : aliasValue(r, pools))}`);
  if (r.chance(0.04)) {
    const [k, v] = r.pick(BAD_ALIASES);
    lines.push(`${q(k)} = ${q(v)}`);
  }
  return lines.join('\n');
}

/** A name CRI-O could receive: mostly short (bare, with namespace, tag, digest, both), some qualified or invalid. */
function shortNameInput(r: Random): string {
  const k = r.next();
  let name: string;
  if (k < 0.8) name = r.pick(SHORT_KEYS);
  else if (k < 0.9)
    name = r.pick([
      'quay.io/ns/app',
      'localhost/app',
      'docker.io/busybox',
      'registry.example.com:5000/team/app',
      'qua_y.io/ns/app',
    ]);
  else
    return r.pick([
      'Busybox',
      'busybox:',
      `${'c'.repeat(64)}`,
      '',
      'busy box',
      `busybox@sha256:${'a'.repeat(63)}`,
      '//busybox',
    ]);
  const form = r.next();
  if (form < 0.35) return `${name}:${r.pick(TAGS)}`;
  if (form < 0.5) return `${name}@${digest(r)}`;
  if (form < 0.6) return `${name}:${r.pick(TAGS)}@${digest(r)}`;
  return name;
}

/** Short names, aliases (registries.conf, drop-ins, the machine cache) and a mode for the case. */
function addShortNameMaterial(r: Random, c: OracleCase, pools: { scopes: string[] }): void {
  c.shortNameMode = r.pick(['enforcing', 'enforcing', 'disabled', 'permissive']);
  // registries.conf's own mode does not decide for CRI-O, but an invalid one fails the whole file.
  if (r.chance(0.03) && !/short-name-mode/i.test(c.registriesConf))
    c.registriesConf = `short-name-mode = ${q(r.pick(['bogus', 'Enforcing', 'permissive']))}\n${c.registriesConf}`;
  c.shortNames = Array.from({ length: 3 }, () => shortNameInput(r));
  // Most nodes have a search list (OpenShift's template: registry.access.redhat.com, docker.io).
  if (!/unqualified-search-registries/i.test(c.registriesConf) && r.chance(0.7)) {
    const list = r.chance(0.5)
      ? ['registry.access.redhat.com', 'docker.io']
      : Array.from({ length: r.int(3) + 1 }, () => r.pick(SEARCH));
    c.registriesConf = `unqualified-search-registries = [${list.map(q).join(', ')}]\n${c.registriesConf}`;
  }
  if (r.chance(0.5)) c.registriesConf += `\n${aliasTable(r, pools)}\n`;
  for (const d of c.dropIns) if (r.chance(0.5)) d.toml += `\n${aliasTable(r, pools)}\n`;
  if (r.chance(0.3)) c.aliasCache = `${aliasTable(r, pools)}\n`;
  else if (r.chance(0.02)) c.aliasCache = 'aliases = [';
}
