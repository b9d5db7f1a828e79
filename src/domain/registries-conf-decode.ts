// containers/image decodes registries.conf with BurntSushi/toml into Go structs (sysregistriesv2 loadConfigFile's
// tomlConfig), and two properties of that decoder decide what a node accepts:
// - a key matches a field exactly or, failing that, case-insensitively (decode.go unifyStruct, strings.EqualFold),
//   so `Location = "mirror.example.com"` is a location to CRI-O and podman;
// - a value of the wrong type for its field fails the whole file, for fields the loader never looks at again too
//   (`credential-helpers = "x"` makes every pull fail).
// This renames such keys to their canonical spelling along the structs' shape and refuses those type mismatches
// before the loader reads the table. Map-valued tables ([aliases]) keep their keys: those are data, not fields.
import { EngineError } from './engine-error.ts';

type Table = Record<string, unknown>;

/**
 * A struct field: null when the loader checks it itself; a Go type the decoder enforces here; a nested struct;
 * a list of structs.
 */
type Field = null | 'string' | 'strings' | 'stringMap' | { table: Shape } | { list: Shape };
type Shape = Record<string, Field>;

const mirror: Shape = { location: null, insecure: null, 'pull-from-mirror': null };
const registry: Shape = {
  prefix: null,
  location: null,
  insecure: null,
  'pull-from-mirror': null,
  blocked: null,
  'mirror-by-digest-only': null,
  mirror: { list: mirror },
};
const v1List: Field = { table: { registries: 'strings' } };

/** V2RegistriesConf and V1RegistriesConf, decoded together. */
const REGISTRIES_CONF: Shape = {
  'unqualified-search-registries': null,
  registry: { list: registry },
  'credential-helpers': 'strings',
  'short-name-mode': 'string',
  'additional-layer-store-auth-helper': 'string',
  aliases: 'stringMap',
  registries: { table: { search: v1List, insecure: v1List, block: v1List } },
};

/**
 * Go's strings.EqualFold for these ASCII field names: ASCII case, plus the two non-ASCII letters that fold to s and k.
 */
function fold(s: string): string {
  return s
    .replace(/\u017f/g, 's')
    .replace(/\u212a/g, 'k')
    .toLowerCase();
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

const GO_TYPE = { string: 'a string', strings: 'a list of strings', stringMap: 'a table of strings' } as const;

function typeOk(type: 'string' | 'strings' | 'stringMap', v: unknown): boolean {
  if (type === 'string') return typeof v === 'string';
  if (type === 'strings') return Array.isArray(v) && v.every((x) => typeof x === 'string');
  return isTable(v) && Object.values(v).every((x) => typeof x === 'string');
}

function mismatch(where: string, expected: string): EngineError {
  return new EngineError('config', `"${where}" must be ${expected}`);
}

/**
 * The table as the decoder sees it: keys that only differ in case from a field renamed to the field's name, and type
 * mismatches refused with an EngineError (stage "config"). Everything else is left as it is. With both spellings in
 * one table the decoder fills the field twice in Go's (random) map order; the exact spelling is kept here.
 */
export function decodeRegistriesConf(t: Table): Table {
  return decode(t, REGISTRIES_CONF, '');
}

function decode(t: Table, shape: Shape, path: string): Table {
  // No prototype: a key named __proto__ stays a plain key.
  const out = Object.create(null) as Table;
  const byFold = new Map(Object.keys(shape).map((f) => [fold(f), f]));
  for (const [key, value] of Object.entries(t)) {
    const field = Object.hasOwn(shape, key) ? key : byFold.get(fold(key));
    if (field === undefined) {
      out[key] = value;
      continue;
    }
    if (field !== key && Object.hasOwn(t, field)) continue; // the exact spelling is present: it is the one that counts
    const where = path === '' ? field : `${path}.${field}`;
    const type = shape[field] ?? null;
    if (type === null) {
      out[field] = value;
    } else if (typeof type === 'string') {
      if (!typeOk(type, value)) throw mismatch(where, GO_TYPE[type]);
      out[field] = value;
    } else if ('table' in type) {
      if (!isTable(value)) throw mismatch(where, 'a table');
      out[field] = decode(value, type.table, where);
    } else {
      if (!Array.isArray(value)) throw mismatch(where, 'an array of tables');
      out[field] = value.map((v, i) => (isTable(v) ? decode(v, type.list, `${where}[${i}]`) : v));
    }
  }
  return out;
}
