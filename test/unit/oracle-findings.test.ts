// Engine fixes found by the differential test against containers/image v5.36.2 (test/oracle), pinned as
// plain unit tests so they hold without Go.
import { describe, expect, it } from 'vitest';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { resolve } from '../../src/domain/resolve.ts';

describe('findings of the differential test', () => {
  it(
    'reports another error of the same file before a malformed ' +
      'wildcard prefix (loadConfigFile checks wildcards last)',
    () => {
      const toml =
        '[[registry]]\nprefix = "*.example.com:5000"\n\n[[registry]]\nlocatio' +
        'n = "quay.io"\n\n[[registry.mirror]]\nlocation = ""\n';
      expect(() => parseRegistriesConf(toml)).toThrow('invalid condition: mirror location is unset');
      expect(() => parseRegistriesConf('[[registry]]\nprefix = "*.example.com:5000"\n')).toThrow(
        'Wildcarded prefix should be in the format',
      );
    },
  );

  it('reads keys spelled with other capitals, as BurntSushi/toml matches struct fields case-insensitively', () => {
    const conf = parseRegistriesConf(
      '[[Registry]]\nPrefix = "quay.io/ns"\nLOCATION = "mirror.local/ns"\nBlocked = ' +
        'true\n\n[[Registry.Mirror]]\nLocation = "m.local/ns"\nPull-From-Mirror = "digest-only"\n',
    );
    expect(conf.registries).toEqual([
      {
        prefix: 'quay.io/ns',
        location: 'mirror.local/ns',
        insecure: false,
        blocked: true,
        mirrorByDigestOnly: false,
        mirrors: [{ location: 'm.local/ns', insecure: false, pullFromMirror: 'digest-only' }],
      },
    ]);
    // Both spellings: Go's result depends on its map order; the engine keeps the exact one.
    expect(parseRegistriesConf('[[registry]]\nlocation = "a.io"\nLocation = "b.io"\n').registries[0]?.location).toBe(
      'a.io',
    );
  });

  it('refuses a value of the wrong type for a field the loader never reads again, as the Go decoder does', () => {
    expect(() => parseRegistriesConf('credential-helpers = "x"\n')).toThrow(
      '"credential-helpers" must be a list of strings',
    );
    expect(() => parseRegistriesConf('additional-layer-store-auth-helper = 5\n')).toThrow(
      '"additional-layer-store-auth-helper" must be a string',
    );
    expect(() => parseRegistriesConf('[registries]\nsearch = 5\n')).toThrow('"registries.search" must be a table');
    expect(parseRegistriesConf('credential-helpers = ["containers-auth.json"]\nunknown-key = 5\n').registries).toEqual(
      [],
    );
  });

  it('keeps a name whose first component is not a host as a path (qua_y.io/ns/app): no leading "/"', () => {
    const r = resolve(parseRegistriesConf(''), 'qua_y.io/ns/app:1');
    expect(r.normalizedReference).toBe('qua_y.io/ns/app:1');
    expect(r.pullSources.map((s) => s.reference)).toEqual(['qua_y.io/ns/app:1']);
  });
});
