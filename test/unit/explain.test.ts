import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { idms, itms, set } from '../helpers/policy-objects.ts';

const D = `sha256:${'b'.repeat(64)}`;

describe('explain', () => {
  it('digest pull through an IDMS mirror: mirror first, object named', () => {
    const e = explain({
      reference: `quay.io/ns/app@${D}`,
      policies: set({ idms: [idms('mirrors', 'quay.io/ns', ['mirror.local/ns'])] }),
    });
    expect(e.verdict.code).toBe('mirror-first');
    expect(e.pullSources.map((s) => s.reference)).toEqual([`mirror.local/ns/app@${D}`, `quay.io/ns/app@${D}`]);
    expect(e.pullSources[0]!.from).toEqual([{ kind: 'ImageDigestMirrorSet', name: 'mirrors' }]);
    expect(e.advice.join(' ')).toContain('mirror.local');
  });

  it('NeverContactSource + tag pull: every candidate blocked, says why', () => {
    const e = explain({
      reference: 'quay.io/ns/app:1',
      policies: set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource')] }),
    });
    expect(e.verdict.code).toBe('all-blocked');
    expect(e.warnings.map((w) => w.code)).toContain('never-contact-source-tag-pull');
    expect(e.skippedMirrors[0]).toMatchObject({ location: 'mirror.local/ns', reason: 'tag-pull-digest-only-mirror' });
  });

  it('ITMS mirror skipped by a digest pull', () => {
    const e = explain({
      reference: `quay.io/ns/app@${D}`,
      policies: set({ itms: [itms('tags', 'quay.io/ns', ['tagmirror.local/ns'])] }),
    });
    expect(e.verdict.code).toBe('digest-pull-skips-tag-mirrors');
    expect(e.alternative?.pullSources[0]?.reference).toBe('tagmirror.local/ns/app:latest');
  });

  it('a longer prefix shadows a broader source', () => {
    const p = set({
      idms: [idms('broad', 'quay.io', ['mirror.local/quay']), idms('narrow', 'quay.io/ns', ['other.local/ns'])],
      itms: [itms('t', 'quay.io', ['tag.local/quay'])],
    });
    const e = explain({ reference: 'quay.io/ns/app:1', policies: p });
    const shadowed = e.skippedMirrors.filter((s) => s.reason === 'shadowed-by-longer-prefix');
    expect(shadowed.map((s) => s.location).sort()).toEqual(['mirror.local/quay', 'tag.local/quay']);
    expect(shadowed.find((s) => s.location === 'tag.local/quay')?.from).toEqual({
      kind: 'ImageTagMirrorSet',
      name: 't',
    });
  });

  it('partial path component is reported as a near miss', () => {
    const e = explain({
      reference: `quay.io/foobar/img@${D}`,
      policies: set({ idms: [idms('m', 'quay.io/foo', ['mirror.local/foo'])] }),
    });
    expect(e.verdict.code).toBe('no-mirror-configured');
    expect(e.skippedMirrors).toEqual([
      expect.objectContaining({ reason: 'no-matching-source', source: 'quay.io/foo' }),
    ]);
  });

  it('a non-canonical mirror aborts the pull and names the mirror', () => {
    const e = explain({
      reference: `quay.io/ns/repo@${D}`,
      policies: set({ idms: [idms('m', 'quay.io/ns/repo', ['mirror.local'])] }),
    });
    expect(e.error?.stage).toBe('rewrite');
    expect(e.advice[0]).toContain('mirror.local');
  });

  it('a blocked mirror is listed with reason blocked', () => {
    const p = set({
      idms: [idms('m', 'quay.io/ns', ['blocked.local/ns', 'ok.local/ns'])],
      image: {
        apiVersion: 'config.openshift.io/v1',
        kind: 'Image',
        metadata: { name: 'cluster' },
        spec: { registrySources: { blockedRegistries: ['blocked.local'] } },
      },
    });
    const e = explain({ reference: `quay.io/ns/app@${D}`, policies: p });
    expect(e.skippedMirrors).toEqual([expect.objectContaining({ location: 'blocked.local/ns', reason: 'blocked' })]);
    expect(e.verdict.code).toBe('mirror-first');
  });

  it('explains from a node registries.conf, naming the file as origin', () => {
    const conf = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io/ns"\n[[registry.' +
        'mirror]]\nlocation = "m.local/ns"\npull-from-mirror = "digest-only"\n',
      [],
      '/host/etc/containers/registries.conf',
    );
    const e = explain({ reference: 'quay.io/ns/app:1', conf });
    expect(e.skippedMirrors[0]?.from).toEqual({
      kind: 'registries.conf',
      name: '/host/etc/containers/registries.conf',
    });
    expect(e.basis).toEqual({ kind: 'registries.conf', files: ['/host/etc/containers/registries.conf'] });
  });

  it('reference errors say which part is wrong', () => {
    const e = explain({ reference: 'quay.io/Ns/app:1', policies: set({}) });
    expect(e.error?.stage).toBe('reference');
    expect(e.advice[0]).toContain('lowercase');
  });
});
