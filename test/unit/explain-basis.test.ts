import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import { nearMissCandidates, prepareExplainBasis } from '../../src/domain/explain-basis.ts';
import { OriginIndex } from '../../src/domain/origin-index.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { toParsedReference } from '../../src/domain/parsed-reference.ts';

const D = `sha256:${'c'.repeat(64)}`;
const idms = (name: string, rules: Array<{ source: string; mirrors: string[] }>) => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageDigestMirrorSet' as const,
  metadata: { name },
  spec: { imageDigestMirrors: rules },
});
const itms = (name: string, rules: Array<{ source: string; mirrors: string[] }>) => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageTagMirrorSet' as const,
  metadata: { name },
  spec: { imageTagMirrors: rules },
});
const image = (blocked: string[], insecure: string[] = []) => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'Image' as const,
  metadata: { name: 'cluster' },
  spec: { registrySources: { blockedRegistries: blocked, insecureRegistries: insecure } },
});

/** Many sources on one host, so near misses and ancestors have plenty of entries to choose from. */
function manySources(n: number): PolicySet {
  const rules = Array.from({ length: n }, (_, i) => ({
    source: `quay.io/ns/app/c${String(i).padStart(5, '0')}`,
    mirrors: [`mirror.local/app/c${i}`],
  }));
  return {
    icsps: [],
    idms: [
      idms('broad', [{ source: 'quay.io/ns', mirrors: ['mirror.local/ns'] }]),
      idms('many', rules),
      idms('partial', [
        { source: 'quay.io/nsx', mirrors: ['m.local/nsx'] },
        { source: 'docker.io/busybox', mirrors: ['m.local/busybox'] },
      ]),
    ],
    itms: [
      itms('tags', [
        { source: '*.example.com', mirrors: ['tags.local/wild'] },
        { source: 'quay.io/ns', mirrors: ['tags.local/ns'] },
      ]),
    ],
    image: image(['quay.io/ns/blocked-below'], ['quay.io/ns/insecure-below']),
  };
}

describe('explain basis (one per policy generation)', () => {
  const policies = manySources(3000);
  const basis = prepareExplainBasis({ policies });
  const refs = [
    `quay.io/ns/app@${D}`,
    'quay.io/ns/app:1',
    `quay.io/ns/app/c00042/x@${D}`,
    'quay.io/ns/app/c00042:v1',
    `quay.io/ns/blocked-below/x@${D}`,
    `quay.io/ns/insecure-below/x@${D}`,
    `quay.io/n@${D}`,
    'quay.io/ns/ap:1',
    'busybox:1',
    'docker.io/library/busybox',
    'a.b.example.com/x:1',
    'example.com.other.io/x:1',
    'elsewhere.io/x',
    'quay.io/Ns/x:1',
    `quay.io/x:1@${D}`,
  ];

  it('answers exactly as a basis built for the one answer', () => {
    for (const reference of refs)
      expect(explain({ reference, basis }), reference).toEqual(explain({ reference, policies }));
  });

  it('a parsed reference gives the answer of its text, implicit :latest warning included', () => {
    for (const reference of ['quay.io/ns/app', `quay.io/ns/app@${D}`, 'busybox']) {
      expect(explain({ reference: toParsedReference(reference), basis })).toEqual(explain({ reference, basis }));
    }
    expect(explain({ reference: toParsedReference('quay.io/ns/app'), basis }).warnings.map((w) => w.code)).toContain(
      'implicit-latest',
    );
  });

  it('names the ancestor object behind mirrors the MCO copies to a nested blocked or insecure scope', () => {
    const e = explain({ reference: `quay.io/ns/insecure-below/x@${D}`, basis });
    expect(e.matchedPrefix).toBe('quay.io/ns/insecure-below');
    expect(e.pullSources[0]).toMatchObject({
      location: 'mirror.local/ns/insecure-below',
      from: [{ kind: 'ImageDigestMirrorSet', name: 'broad' }],
    });
  });

  it('an ancestor that appears first in the policies wins, as before', () => {
    const two: PolicySet = {
      icsps: [],
      itms: [],
      idms: [
        idms('first', [{ source: 'quay.io/a', mirrors: ['m.local/a'] }]),
        idms('second', [{ source: 'quay.io/a/b', mirrors: ['m.local/a/b'] }]),
      ],
    };
    // m.local/a/b/c is both "quay.io/a's mirror + /b/c" and "quay.io/a/b's mirror + /c".
    expect(new OriginIndex(two).lookup('digest', 'quay.io/a/b/c', 'm.local/a/b/c')).toEqual([
      { kind: 'ImageDigestMirrorSet', name: 'first' },
    ]);
    const swapped: PolicySet = { ...two, idms: [...two.idms].reverse() };
    expect(new OriginIndex(swapped).lookup('digest', 'quay.io/a/b/c', 'm.local/a/b/c')).toEqual([
      { kind: 'ImageDigestMirrorSet', name: 'second' },
    ]);
  });

  it('near misses: sources below the name (at most 10, in prefix order), partial components, docker.io/library', () => {
    const below = explain({ reference: `quay.io/ns/app@${D}`, basis }).skippedMirrors.filter(
      (s) => s.reason === 'no-matching-source',
    );
    expect(below.map((s) => s.source)).toEqual(
      Array.from({ length: 10 }, (_, i) => `quay.io/ns/app/c${String(i).padStart(5, '0')}`),
    );
    // quay.io/ns (the match, dropped later) + 10 of the 3,000 below
    expect(nearMissCandidates(basis, 'quay.io/ns/app', undefined)).toHaveLength(11);
    const partial = explain({ reference: `quay.io/nsxy/app@${D}`, basis });
    expect(partial.skippedMirrors.map((s) => s.source)).toEqual(['quay.io/ns', 'quay.io/ns', 'quay.io/nsx']);
    expect(partial.skippedMirrors[2]).toMatchObject({
      reason: 'no-matching-source',
      detail: expect.stringContaining('whole path component'),
    });
    const library = explain({ reference: 'busybox:1', basis });
    expect(library.skippedMirrors).toEqual([
      expect.objectContaining({
        reason: 'no-matching-source',
        source: 'docker.io/busybox',
        detail: expect.stringContaining('docker.io/library'),
      }),
    ]);
  });

  it('warns about a wildcard that only looks like it covers the host', () => {
    // containers/image looks only at the first ".example.com" (and ".com") in the name: not at the end of the host.
    const w = prepareExplainBasis({
      policies: {
        icsps: [],
        idms: [],
        itms: [
          itms('w', [
            { source: '*.example.com', mirrors: ['m.local/e'] },
            { source: '*.com', mirrors: ['m.local/c'] },
            { source: '*.other.io', mirrors: ['m.local/o'] },
          ]),
        ],
      },
    });
    const e = explain({ reference: 'a.example.com.example.com/x:1', basis: w });
    expect(
      e.warnings.filter((x) => x.code === 'wildcard-first-occurrence').map((x) => x.message.split(' ')[1]),
    ).toEqual(['*.com', '*.example.com']);
    expect(
      explain({ reference: 'a.other.io/x:1', basis: w }).warnings.filter((x) => x.code === 'wildcard-first-occurrence'),
    ).toEqual([]);
  });
});
