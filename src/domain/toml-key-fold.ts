// containers/image decodes registries.conf with BurntSushi/toml into Go structs, and that decoder matches a key
// to a field exactly or, failing that, case-insensitively (decode.go unifyStruct: strings.EqualFold). So
// `Location = "mirror.example.com"` is a location to CRI-O and podman. This renames such keys to their canonical
// spelling, following the structs' shape, before the loader reads them. Map-valued tables ([aliases]) keep their
// keys: those are data, not field names.

type Table = Record<string, unknown>;

/** A struct's fields: a leaf (null), a nested struct, or a list of structs. */
type Field = null | { table: Shape } | { list: Shape };
type Shape = Record<string, Field>;

const mirror: Shape = { location: null, insecure: null, 'pull-from-mirror': null };
const registry: Shape = { prefix: null, location: null, insecure: null, 'pull-from-mirror': null, blocked: null, 'mirror-by-digest-only': null, mirror: { list: mirror } };
const v1List: Field = { table: { registries: null } };

/** V2RegistriesConf and V1RegistriesConf, decoded together (loadConfigFile's tomlConfig). */
export const REGISTRIES_CONF_SHAPE: Shape = {
  'unqualified-search-registries': null,
  registry: { list: registry },
  'credential-helpers': null,
  'short-name-mode': null,
  'additional-layer-store-auth-helper': null,
  aliases: null,
  registries: { table: { search: v1List, insecure: v1List, block: v1List } },
};

/** Go's strings.EqualFold for these ASCII field names: ASCII case, plus the two non-ASCII letters that fold to s and k. */
function fold(s: string): string {
  return s.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').toLowerCase();
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * Returns the table with keys that only differ in case from a field renamed to the field's name. An exact key
 * wins over a folded one (the decoder tries the exact name first); everything else is left as it is.
 */
export function foldTomlKeys(t: Table, shape: Shape = REGISTRIES_CONF_SHAPE): Table {
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
    const sub = shape[field] ?? null;
    if (sub !== null && 'list' in sub && Array.isArray(value)) out[field] = value.map((v) => (isTable(v) ? foldTomlKeys(v, sub.list) : v));
    else if (sub !== null && 'table' in sub && isTable(value)) out[field] = foldTomlKeys(value, sub.table);
    else out[field] = value;
  }
  return out;
}
