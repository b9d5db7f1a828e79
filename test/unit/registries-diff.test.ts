import { describe, expect, it } from 'vitest';
import { diffRegistries } from '../../src/domain/registries-diff.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';

const conf = (toml: string) => parseRegistriesConf(toml).registries;
const rendered = conf(`[[registry]]
location = "quay.io/ns"
blocked = true
[[registry.mirror]]
location = "m1.local/ns"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "m2.local/ns"
pull-from-mirror = "digest-only"
[[registry]]
location = "registry.redhat.io"
[[registry.mirror]]
location = "m1.local/rh"
pull-from-mirror = "tag-only"
`);

describe('diffRegistries', () => {
  it('identical configurations have no differences', () => expect(diffRegistries(rendered, rendered)).toEqual([]));

  it('a node that lacks a mirror, a flag and an entry (rollout not there yet)', () => {
    const node = conf(`[[registry]]
location = "quay.io/ns"
[[registry.mirror]]
location = "m1.local/ns"
pull-from-mirror = "digest-only"
`);
    const d = diffRegistries(rendered, node);
    expect(d.map((x) => x.message)).toEqual([
      'node lacks mirror m2.local/ns (digest-only) for source quay.io/ns',
      'quay.io/ns: the policies set blocked (NeverContactSource or blockedRegistries)',
      'node has no [[registry]] for registry.redhat.io (mirrors m1.local/rh (tag-only))',
    ]);
  });

  it('reordered and extra mirrors', () => {
    const node = conf(`[[registry]]
location = "quay.io/ns"
blocked = true
[[registry.mirror]]
location = "m2.local/ns"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "m1.local/ns"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "old.local/ns"
[[registry]]
location = "registry.redhat.io"
[[registry.mirror]]
location = "m1.local/rh"
pull-from-mirror = "tag-only"
[[registry]]
location = "leftover.io"
`);
    const kinds = diffRegistries(rendered, node).map((x) => x.kind);
    expect(kinds).toEqual(['extra-mirror', 'order', 'extra-entry']);
  });

  it('speaks of a change when comparing before and after', () => {
    const before = conf(
      '[[registry]]\nlocation = "quay.io/ns"\n[[registry.' +
        'mirror]]\nlocation = "m1.local/ns"\npull-from-mirror = "digest-only"\n',
    );
    const d = diffRegistries(rendered, before, 'change');
    expect(d[0]!.message).toBe('mirror added: m2.local/ns (digest-only) for source quay.io/ns');
    expect(d[1]!.message).toBe('quay.io/ns: now blocked (NeverContactSource or blockedRegistries)');
    expect(d[2]!.message).toContain('new source registry.redhat.io');
  });
});
