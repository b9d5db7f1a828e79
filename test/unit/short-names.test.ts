// Short-name resolution (CRI-O 1.34 + containers/image v5.36 shortnames.Resolve): each rule of docs/short-names.md.
// Expected values were checked against containers/image v5.36.2 itself (a scratch Go program calling
// shortnames.Resolve with the same registries.conf); the differential test (test/oracle) repeats that at scale.
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/domain/engine-error.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { parseAliasCache } from '../../src/domain/short-name-aliases.ts';
import {
  candidatesForPotentiallyShortImageName,
  isShortName,
  kubeletImageName,
  resolveShortName,
  shortNameConfigOf,
} from '../../src/domain/short-names.ts';
import type { ShortNameConfig } from '../../src/domain/short-names.ts';

const D = `sha256:${'a'.repeat(64)}`;
const OCP = 'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n';

function cfg(main: string, dropIns: Array<{ name: string; toml: string }> = [], cache?: string): ShortNameConfig {
  const conf = parseRegistriesConf(main, dropIns);
  return shortNameConfigOf(conf, cache === undefined ? undefined : parseAliasCache(cache));
}

describe('which names are short', () => {
  it('a name whose first component is not a host is short, tag, digest and all', () => {
    for (const s of [
      'busybox',
      'library/busybox',
      'synology/synology-csi:v1.2.0',
      `busybox@${D}`,
      'a/b/c:1',
      'qua_y.io/ns/app:1',
      'c'.repeat(64),
    ])
      expect(isShortName(s), s).toBe(true);
    for (const s of ['docker.io/busybox', 'quay.io/x', 'localhost/x', 'host:5000/x', 'index.docker.io/x'])
      expect(isShortName(s), s).toBe(false);
  });
});

describe('candidates from unqualified-search-registries', () => {
  const c = cfg(OCP);
  it('one per search registry, in order; docker.io gets library/ for one component; :latest added', () => {
    expect(resolveShortName('busybox', c, 'disabled').candidates).toEqual([
      'registry.access.redhat.com/busybox:latest',
      'docker.io/library/busybox:latest',
    ]);
    expect(resolveShortName('library/busybox', c, 'disabled').candidates).toEqual([
      'registry.access.redhat.com/library/busybox:latest',
      'docker.io/library/busybox:latest',
    ]);
    expect(resolveShortName('synology/synology-csi:v1.2.0', c, 'disabled').candidates).toEqual([
      'registry.access.redhat.com/synology/synology-csi:v1.2.0',
      'docker.io/synology/synology-csi:v1.2.0',
    ]);
  });
  it('a digest is kept, no :latest; tag+digest is pulled by digest (CRI-O strips the tag)', () => {
    expect(resolveShortName(`busybox@${D}`, c, 'disabled').candidates).toEqual([
      `registry.access.redhat.com/busybox@${D}`,
      `docker.io/library/busybox@${D}`,
    ]);
    expect(resolveShortName(`busybox:1@${D}`, c, 'disabled').candidates).toEqual([
      `registry.access.redhat.com/busybox@${D}`,
      `docker.io/library/busybox@${D}`,
    ]);
  });
  it('permissive without a TTY gives the same list as disabled', () => {
    const r = resolveShortName('busybox', c, 'permissive');
    expect(r.error).toBeNull();
    expect(r.candidates).toHaveLength(2);
  });
  it(
    "enforcing with several candidates fails with CRI-O's message " +
      'naming the image as received; the candidates stay listed',
    () => {
      const r = resolveShortName('nginx:latest', c, 'enforcing');
      expect(r.error?.stage).toBe('reference');
      expect(r.error?.message).toBe('short name mode is enforcing, but image name nginx:latest returns ambiguous list');
      expect(r.candidates).toEqual(['registry.access.redhat.com/nginx:latest', 'docker.io/library/nginx:latest']);
      expect(() => candidatesForPotentiallyShortImageName('nginx', c, 'enforcing')).toThrow(
        'image name nginx returns ambiguous list',
      );
      expect(resolveShortName('nginx', c, 'enforcing', 'podman').error?.message).toBe(
        'short-name resolution enforced but cannot prompt without a TTY',
      );
    },
  );
  it('one search registry is never ambiguous, even enforcing', () => {
    const one = cfg('unqualified-search-registries = ["quay.io"]\n');
    expect(candidatesForPotentiallyShortImageName('busybox', one, 'enforcing')).toEqual(['quay.io/busybox:latest']);
  });
  it('no alias and no search list is an error naming the file that set the list (or the main file)', () => {
    const none = resolveShortName('nope', cfg('[[registry]]\nlocation = "quay.io"\n'), 'disabled');
    expect(none.error?.message).toBe(
      'short-name "nope" did not resolve to an alias and no unqualified-search ' +
        'registries are defined in "/etc/containers/registries.conf"',
    );
    const emptied = resolveShortName(
      'nope',
      cfg(OCP, [{ name: '/etc/containers/registries.conf.d/70.conf', toml: 'unqualified-search-registries = []\n' }]),
      'disabled',
    );
    expect(emptied.error?.message).toContain('are defined in "/etc/containers/registries.conf.d/70.conf"');
    expect(emptied.candidates).toEqual([]);
    expect(resolveShortName('nope', { searchRegistries: null }, 'disabled').error?.message).toBe(
      'short-name "nope" did not resolve to an alias and no containers-registries.conf(5) was found',
    );
  });
  it('the qua_y.io/ns/app:1 class is a short name: "qua_y.io" is not a host, so it is searched like any other', () => {
    expect(resolveShortName('qua_y.io/ns/app:1', c, 'disabled').candidates).toEqual([
      'registry.access.redhat.com/qua_y.io/ns/app:1',
      'docker.io/qua_y.io/ns/app:1',
    ]);
    expect(resolveShortName('qua_y.io/ns/app:1', c, 'enforcing').error?.message).toContain('ambiguous list');
  });
  it('a 64-hex name is a short name here although podman refuses it as a bare name', () => {
    expect(resolveShortName('c'.repeat(64), c, 'disabled').candidates[0]).toBe(
      `registry.access.redhat.com/${'c'.repeat(64)}:latest`,
    );
  });
  it('an uppercase path fails when the candidate is built, with the search registry named', () => {
    expect(() => resolveShortName('Foo/bar', c, 'disabled')).toThrow(
      'creating reference with unqualified-search registry "registry.access.redhat.' +
        'com": invalid reference format: repository name must be lowercase',
    );
  });
  it('a fully qualified name is the only candidate, normalized, with :latest', () => {
    const r = resolveShortName('docker.io/busybox', c, 'enforcing');
    expect(r).toMatchObject({
      short: false,
      candidates: ['docker.io/library/busybox:latest'],
      alias: null,
      error: null,
      rationale: 'fully-qualified',
    });
    expect(resolveShortName(`quay.io/a:1@${D}`, c, 'enforcing').candidates).toEqual([`quay.io/a@${D}`]);
  });
  it('an unparsable name is a reference error before anything else', () => {
    let err: unknown;
    try {
      resolveShortName('Bad Name', c, 'enforcing');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).stage).toBe('reference');
    expect((err as EngineError).message).toBe('cannot parse input: "Bad Name": invalid reference format');
  });
});

describe('aliases', () => {
  const aliased = OCP + '[aliases]\n"myapp" = "quay.io/acme/myapp"\n"hub" = "docker.io/busybox"\n';
  it('an alias is the only candidate in every mode, tag or digest re-added, value normalized', () => {
    for (const mode of ['enforcing', 'permissive', 'disabled'] as const) {
      const r = resolveShortName('myapp:2', cfg(aliased), mode);
      expect(r.error).toBeNull();
      expect(r.candidates).toEqual(['quay.io/acme/myapp:2']);
      expect(r.alias).toEqual({
        name: 'myapp',
        value: 'quay.io/acme/myapp',
        origin: '/etc/containers/registries.conf',
      });
      expect(r.description).toBe('Resolved "myapp" as an alias (/etc/containers/registries.conf)');
    }
    expect(resolveShortName('hub', cfg(aliased), 'enforcing').candidates).toEqual(['docker.io/library/busybox:latest']);
    expect(resolveShortName(`myapp@${D}`, cfg(aliased), 'enforcing').candidates).toEqual([`quay.io/acme/myapp@${D}`]);
  });
  it('the key is the name as written: library/myapp does not hit the alias for myapp', () => {
    expect(resolveShortName('library/myapp', cfg(aliased), 'disabled').alias).toBeNull();
  });
  it('drop-ins merge per key, later wins; "" cancels back to the search list', () => {
    const c = cfg(aliased, [
      { name: '/etc/containers/registries.conf.d/50-b.conf', toml: '[aliases]\n"myapp" = ""\n' },
      {
        name: '/etc/containers/registries.conf.d/10-a.conf',
        toml: '[aliases]\n"myapp" = "quay.io/other/myapp"\n"new" = "quay.io/n/new"\n',
      },
    ]);
    expect(resolveShortName('myapp', c, 'disabled').candidates).toEqual([
      'registry.access.redhat.com/myapp:latest',
      'docker.io/library/myapp:latest',
    ]);
    expect(resolveShortName('new', c, 'enforcing').alias?.origin).toBe('/etc/containers/registries.conf.d/10-a.conf');
    expect(resolveShortName('hub', c, 'enforcing').candidates).toEqual(['docker.io/library/busybox:latest']);
  });
  it('the machine alias cache is read first; an entry there (even "") ends the lookup', () => {
    const c = cfg(aliased, [], '[aliases]\n"cached" = "quay.io/c/cached"\n"myapp" = ""\n');
    expect(resolveShortName('cached', c, 'enforcing')).toMatchObject({
      candidates: ['quay.io/c/cached:latest'],
      alias: { origin: '/var/cache/containers/short-name-aliases.conf' },
    });
    expect(resolveShortName('myapp', c, 'disabled').alias).toBeNull();
    expect(resolveShortName('hub', c, 'disabled').alias?.value).toBe('docker.io/library/busybox');
  });
  it('an invalid alias anywhere fails the whole configuration, every bad entry listed (one per line)', () => {
    expect(() =>
      parseRegistriesConf(OCP, [
        { name: '/etc/containers/registries.conf.d/60-bad.conf', toml: '[aliases]\n"bad" = "nohost"\n' },
      ]),
    ).toThrow(
      'loading drop-in registries configuration "/etc/containers/registries.conf.d/60-bad.conf": ' +
        'validating short-name aliases: invalid alias "nohost": must contain registry and repository',
    );
    const bad = (t: string): string => {
      try {
        parseRegistriesConf(OCP + t);
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad('[aliases]\n"a" = "quay.io/a:1"\n')).toContain('invalid alias "quay.io/a:1": must not contain tag');
    expect(bad(`[aliases]\n"a" = "quay.io/a@${D}"\n`)).toContain('must not contain digest');
    expect(bad('[aliases]\n"quay.io/a" = "quay.io/a"\n')).toContain(
      'invalid short name "quay.io/a": must not contain registry',
    );
    expect(bad('[aliases]\n"a:1" = "quay.io/a"\n')).toContain('invalid short name "a:1": must not contain tag');
    expect(bad('[aliases]\n"A" = "quay.io/a"\n"b" = "Quay.io/B"\n')).toBe(
      'loading registries configuration "/etc/containers/registries.conf": validating ' +
        'short-name aliases: cannot parse short name: "A": repository name must be ' +
        'lowercase\nparsing alias "Quay.io/B": repository name must be lowercase',
    );
  });
  it('a bad alias cache fails with the file named', () => {
    expect(() => parseAliasCache('[aliases]\n"x" = "nohost"\n')).toThrow(
      'loading short-name aliases config file "/var/cache/containers/short-name-aliases.conf": invalid alias "nohost"',
    );
  });
  it('short-name-mode in registries.conf: the last file that sets it; an unknown value fails the configuration', () => {
    expect(
      parseRegistriesConf(OCP + 'short-name-mode = "enforcing"\n', [
        { name: '/d/1.conf', toml: 'short-name-mode = "permissive"\n' },
      ]).shortNameMode,
    ).toBe('permissive');
    expect(parseRegistriesConf(OCP + 'short-name-mode = ""\n').shortNameMode).toBeNull();
    expect(() => parseRegistriesConf(OCP + 'short-name-mode = "strict"\n')).toThrow(
      'invalid short-name mode: "strict"',
    );
  });
});

describe('the name CRI-O receives from the kubelet', () => {
  it('appends :latest only when there is neither tag nor digest', () => {
    expect(kubeletImageName('nginx')).toBe('nginx:latest');
    expect(kubeletImageName('nginx:1')).toBe('nginx:1');
    expect(kubeletImageName(`nginx@${D}`)).toBe(`nginx@${D}`);
    expect(kubeletImageName('quay.io/a/b')).toBe('quay.io/a/b:latest');
  });
});
