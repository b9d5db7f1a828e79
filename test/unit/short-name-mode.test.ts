// The short-name mode CRI-O runs: crio.conf + crio.conf.d (last file wins, any file name, walk order), the CRI-O
// version (< 1.34 forces disabled), the OpenShift release table, and how explainPull uses them.
import { describe, expect, it } from 'vitest';
import { crioShortNameMode, walkOrder } from '../../src/domain/crio-config.ts';
import { explainPull, searchRegistriesOf } from '../../src/domain/explain-pull.ts';
import { modeForNode, modeForOpenShiftVersion } from '../../src/domain/short-name-mode.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';

const img = (toml: string): string => `[crio.image]\n${toml}\n`;

describe('crio.conf and crio.conf.d', () => {
  it('no file, or no short_name_mode anywhere: enforcing (CRI-O 1.34 default)', () => {
    expect(crioShortNameMode([])).toEqual({ mode: 'enforcing', value: '', setBy: null, problems: [] });
    expect(
      crioShortNameMode([{ name: '/etc/crio/crio.conf', toml: '[crio.runtime]\nlog_level = "info"\n' }]).mode,
    ).toBe('enforcing');
  });
  it(
    'OpenShift\'s 00-default (no .conf suffix) with "disabled" ' +
      'disables; a later drop-in wins per key; "" means enforcing',
    () => {
      const d = { name: '/etc/crio/crio.conf.d/00-default', toml: img('short_name_mode = "disabled"') };
      expect(crioShortNameMode([d])).toMatchObject({ mode: 'disabled', setBy: '/etc/crio/crio.conf.d/00-default' });
      const later = { name: '/etc/crio/crio.conf.d/99-mine.conf', toml: img('short_name_mode = ""') };
      expect(crioShortNameMode([later, d])).toMatchObject({
        mode: 'enforcing',
        setBy: '/etc/crio/crio.conf.d/99-mine.conf',
      });
      expect(
        crioShortNameMode([d, { name: '/etc/crio/crio.conf', toml: img('short_name_mode = "enforcing"') }]),
      ).toMatchObject({ mode: 'disabled' });
    },
  );
  it('permissive does not exist in CRI-O: the configuration is refused', () => {
    const r = crioShortNameMode([
      { name: '/etc/crio/crio.conf.d/01.conf', toml: img('short_name_mode = "permissive"') },
    ]);
    expect(r.mode).toBeNull();
    expect(r.problems).toEqual(['invalid short name mode "permissive"']);
  });
  it('walk order descends into directories in name order', () => {
    expect(['/d/b', '/d/a.conf', '/d/a/z'].sort(walkOrder)).toEqual(['/d/a/z', '/d/a.conf', '/d/b']);
  });
  it('bad TOML is reported, not thrown', () => {
    expect(crioShortNameMode([{ name: '/etc/crio/crio.conf', toml: '[crio.image\n' }]).problems[0]).toContain(
      'unable to decode configuration /etc/crio/crio.conf',
    );
  });
});

describe('the mode from a node and from a release', () => {
  it('CRI-O < 1.34 forces disabled whatever crio.conf says', () => {
    expect(modeForNode('n1', 'cri-o://1.33.5-3.rhaos4.20', crioShortNameMode([]))?.mode).toBe('disabled');
    expect(modeForNode('n1', 'cri-o://1.34.1-2.rhaos4.21', crioShortNameMode([]))).toMatchObject({
      mode: 'enforcing',
      source: expect.stringContaining('defaults to enforcing'),
    });
    expect(
      modeForNode(
        'n1',
        'cri-o://1.34.1',
        crioShortNameMode([{ name: '/etc/crio/crio.conf.d/00-default', toml: img('short_name_mode = "disabled"') }]),
      )?.source,
    ).toContain('00-default');
  });
  it('OpenShift: ≤4.20 disabled, 4.21 enforcing with a caveat, ≥4.22 disabled', () => {
    expect(modeForOpenShiftVersion('4.20.12')?.mode).toBe('disabled');
    expect(modeForOpenShiftVersion('4.21.0')).toMatchObject({
      mode: 'enforcing',
      caveat: expect.stringContaining('OCPBUGS-76356'),
    });
    expect(modeForOpenShiftVersion('4.22.1')?.mode).toBe('disabled');
    expect(modeForOpenShiftVersion('nonsense')).toBeUndefined();
  });
});

describe('explainPull', () => {
  const conf = parseRegistriesConf(
    'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n\n[[registry]]\nlocation = ' +
      '"docker.io/library/busybox"\n\n[[registry.mirror]]\nlocation = "mirror.local/busybox"\n',
  );
  it(
    'a short name has one plan per candidate; pullSources is their ' + 'concatenation, each tagged with its candidate',
    () => {
      const e = explainPull({ reference: 'busybox', conf, shortNameMode: { mode: 'disabled', source: 'test' } });
      expect(e.verdict.code).toBe('short-name-search');
      expect(e.candidatePlans?.map((p) => p.candidate)).toEqual([
        'registry.access.redhat.com/busybox:latest',
        'docker.io/library/busybox:latest',
      ]);
      expect(e.pullSources.map((s) => [s.reference, (s as { candidate?: string }).candidate])).toEqual([
        ['registry.access.redhat.com/busybox:latest', 'registry.access.redhat.com/busybox:latest'],
        ['mirror.local/busybox:latest', 'docker.io/library/busybox:latest'],
        ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
      ]);
    },
  );
  it('enforcing and ambiguous: an error at stage reference naming the image as the kubelet sends it', () => {
    const e = explainPull({ reference: 'busybox', conf, shortNameMode: { mode: 'enforcing', source: 'test' } });
    expect(e.verdict.code).toBe('short-name-ambiguous');
    expect(e.error).toEqual({
      stage: 'reference',
      message: 'short name mode is enforcing, but image name busybox:latest returns ambiguous list',
    });
    expect(e.candidatePlans).toHaveLength(2);
  });
  it('the machine alias cache makes a single candidate', () => {
    const e = explainPull({
      reference: 'busybox:1',
      conf,
      shortNameMode: { mode: 'enforcing', source: 'test' },
      aliasCache: new Map([
        ['busybox', { value: 'docker.io/library/busybox', origin: '/var/cache/containers/short-name-aliases.conf' }],
      ]),
    });
    expect(e.error).toBeNull();
    expect(e.shortName).toMatchObject({
      candidates: ['docker.io/library/busybox:1'],
      alias: { origin: '/var/cache/containers/short-name-aliases.conf' },
    });
    expect(e.pullSources.map((s) => s.reference)).toEqual(['mirror.local/busybox:1', 'docker.io/library/busybox:1']);
    expect(e.verdict.summary).toContain('is a short name with an alias');
  });
  it('name:tag@digest fully qualified: CRI-O pulls by digest, with a warning', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    const e = explainPull({ reference: `docker.io/library/busybox:1@${d}`, conf });
    expect(e.error).toBeNull();
    expect(e.pullKind).toBe('digest');
    expect(e.pullSources[0]?.reference).toBe(`mirror.local/busybox@${d}`);
    expect(e.warnings[0]?.code).toBe('tag-and-digest');
  });
  it('policies: containerRuntimeSearchRegistries replaces the template search list (its own drop-in)', () => {
    const p: PolicySet = {
      icsps: [],
      idms: [],
      itms: [],
      image: {
        apiVersion: 'config.openshift.io/v1',
        kind: 'Image',
        metadata: { name: 'cluster' },
        spec: { registrySources: { containerRuntimeSearchRegistries: ['quay.io'] } },
      },
    };
    expect(searchRegistriesOf(p)).toEqual({
      registries: ['quay.io'],
      origin: '/etc/containers/registries.conf.d/01-image-searchRegistries.conf',
    });
    expect(searchRegistriesOf(undefined).registries).toEqual(['registry.access.redhat.com', 'docker.io']);
    const e = explainPull({ reference: 'busybox', policies: p, shortNameMode: { mode: 'enforcing', source: 'test' } });
    expect(e.error).toBeNull();
    expect(e.shortName?.candidates).toEqual(['quay.io/busybox:latest']);
  });
});
