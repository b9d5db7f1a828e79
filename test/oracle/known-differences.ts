// Where the engine may answer differently from containers/image and why. Each entry names the upstream source
// line (containers/image v5.36.2, the version CRI-O 1.34 vendors) that makes the difference; everything else
// that differs fails the test. Message wording only: whether something fails, and every resolved field, must
// always agree.
import type { Disagreement } from './compare.ts';

export interface KnownDifference {
  id: string;
  what: string;
  upstream: string;
  applies(d: Disagreement): boolean;
}

const isString = (v: unknown): v is string => typeof v === 'string';

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'toml-decoder-wording',
    what:
      'A file that is not valid TOML, or has a value of the wrong type: both refuse to load it; the message is the ' +
      ("TOML decoder's own (BurntSushi/toml v1.5.0 there, smol-toml and the engine's " +
        'field checks here, which name the file and the [[registry]] entry).'),
    upstream:
      'containers/image v5.36.2 pkg/sysregistriesv2/system_registries_v2.go:' +
      '960 `meta, err := toml.DecodeFile(path, &combinedTOML)`',
    applies: (d) => d.field === 'configError' && isString(d.go) && d.go.startsWith('toml: ') && isString(d.engine),
  },
  {
    id: 'toml-decoder-wording-alias-cache',
    what:
      'The same for the machine alias cache (short-name-aliases.conf): both fail ' +
      'every short name with the same prefix; the TOML message differs.',
    upstream:
      'containers/image v5.36.2 pkg/sysregistriesv2/shortnames.go:321 `meta, err := toml.DecodeFile(confPath, &conf)`',
    applies: (d) => {
      const prefix = 'loading short-name aliases config file "short-name-aliases.conf": ';
      return (
        /^shortNames\[\d+\]\.error$/.test(d.field) &&
        isString(d.go) &&
        d.go.startsWith(`${prefix}toml: `) &&
        isString(d.engine) &&
        d.engine.startsWith(prefix)
      );
    },
  },
  {
    id: 'mixing-v1-v2-dump',
    what:
      'A file mixing v1 ([registries.*]) and v2 keys: both refuse it ' +
      'with the same sentence; containers/image appends a ' +
      'Go %#v dump of its whole decoded struct, the engine stops at the sentence.',
    upstream:
      'containers/image v5.36.2 pkg/sysregistriesv2/system_registries_v2.go:976 ' +
      '`fmt.Sprintf("mixing sysregistry v1/v2 is not supported: %#v", combinedTOML)`',
    applies: (d) =>
      d.field === 'configError' &&
      d.engine === 'mixing sysregistry v1/v2 is not supported' &&
      isString(d.go) &&
      d.go.startsWith('mixing sysregistry v1/v2 is not supported: sysregistriesv2.tomlConfig{'),
  },
];

export function knownDifference(d: Disagreement): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find((k) => k.applies(d));
}
