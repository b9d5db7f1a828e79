// The subset a single-image check renders must resolve that image exactly as the full policy set does.
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import type { Explanation } from '../../src/domain/explain.ts';
import { relevantSubset } from '../../src/domain/policy-subset.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';

const D = `sha256:${'e'.repeat(64)}`;

function policies(): PolicySet {
  const digest = [];
  for (let i = 0; i < 300; i++)
    digest.push({
      source: `reg-${i % 7}.example.com/ns-${i % 11}/repo-${i}`,
      mirrors: [`mirror.corp:8443/reg-${i % 7}/repo-${i}`, `backup.corp/repo-${i}`],
    });
  digest.push({ source: 'reg-1.example.com/ns-1', mirrors: ['mirror.corp:8443/ns-1'] });
  digest.push({
    source: 'reg-2.example.com',
    mirrors: ['mirror.corp:8443/reg-2'],
    mirrorSourcePolicy: 'NeverContactSource' as const,
  });
  // The mirror host itself has a NeverContactSource source: attempts there are blocked.
  digest.push({
    source: 'backup.corp/repo-3',
    mirrors: ['far.away/repo-3'],
    mirrorSourcePolicy: 'NeverContactSource' as const,
  });
  digest.push({ source: '*.wild.example', mirrors: ['wild-mirror.corp'] });
  return {
    icsps: [
      {
        apiVersion: 'operator.openshift.io/v1alpha1',
        kind: 'ImageContentSourcePolicy',
        metadata: { name: 'old' },
        spec: { repositoryDigestMirrors: [{ source: 'reg-4.example.com/ns-4', mirrors: ['icsp.corp/ns-4'] }] },
      },
    ],
    idms: [
      {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ImageDigestMirrorSet',
        metadata: { name: 'oc-mirror' },
        spec: { imageDigestMirrors: digest },
      },
    ],
    itms: [
      {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ImageTagMirrorSet',
        metadata: { name: 'tags' },
        spec: {
          imageTagMirrors: [
            { source: 'reg-1.example.com', mirrors: ['tags.corp/reg-1'] },
            { source: 'reg-2.example.com', mirrors: ['tags.corp/reg-2'], mirrorSourcePolicy: 'NeverContactSource' },
          ],
        },
      },
    ],
    image: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'Image',
      metadata: { name: 'cluster' },
      spec: {
        registrySources: {
          insecureRegistries: ['backup.corp', 'reg-5.example.com/ns-5/repo-5/deep'],
          blockedRegistries: ['mirror.corp:8443/reg-6'],
        },
      },
    },
  };
}

const essence = (e: Explanation) => ({
  verdict: e.verdict,
  pullSources: e.pullSources,
  matchedPrefix: e.matchedPrefix,
  warnings: e.warnings.map((w) => w.code),
  error: e.error,
  alternative: e.alternative,
});

describe('relevantSubset', () => {
  const p = policies();
  const refs: string[] = [];
  for (let i = 0; i < 300; i += 7) {
    refs.push(
      `reg-${i % 7}.example.com/ns-${i % 11}/repo-${i}:v1`,
      `reg-${i % 7}.example.com/ns-${i % 11}/repo-${i}/sub@${D}`,
    );
  }
  refs.push(
    `reg-3.example.com/ns-3/repo-3@${D}`,
    'reg-5.example.com/ns-5/repo-5/deep/x:1',
    `reg-6.example.com/ns-6/repo-6@${D}`,
    'a.wild.example/x/y:2',
    `reg-4.example.com/ns-4/z@${D}`,
    'quay.io/none:1',
    'reg-2.example.com/any/thing:3',
  );

  it.each(refs)('%s resolves the same with the subset', (ref) => {
    const sub = relevantSubset(p, ref);
    const full = explain({ reference: ref, policies: p });
    expect(essence(explain({ reference: ref, policies: sub }))).toEqual(essence(full));
  });

  it('keeps only a few rules of hundreds', () => {
    const sub = relevantSubset(p, 'reg-3.example.com/ns-3/repo-3:v1');
    const kept = sub.idms[0]!.spec.imageDigestMirrors!.map((r) => r.source);
    expect(kept).toContain('reg-3.example.com/ns-3/repo-3');
    expect(kept).toContain('backup.corp/repo-3');
    expect(kept.length).toBeLessThan(5);
  });
});
