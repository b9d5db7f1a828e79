// The MCO's tolerance of a failed payload check: the blocked registries are dropped, the rest still renders, and
// the answer says so (warning mco-dropped-blocked-registries). A release image that does not parse still fails.
import { describe, expect, it } from 'vitest';
import { explainPull } from '../../src/domain/explain-pull.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import type { ImageDigestMirrorSet } from '../../src/types/openshift.ts';

const RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${'e'.repeat(64)}`;
const idms = (source: string, mirrors: string[]): ImageDigestMirrorSet => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name: 'm' },
  spec: { imageDigestMirrors: [{ source, mirrors }] },
});
const policies = (blocked: string[], set: ImageDigestMirrorSet, releaseImage = RELEASE): PolicySet => ({
  icsps: [],
  idms: [set],
  itms: [],
  image: {
    apiVersion: 'config.openshift.io/v1',
    kind: 'Image',
    metadata: { name: 'cluster' },
    spec: { registrySources: { blockedRegistries: blocked } },
  },
  releaseImage,
});

describe('MCO tolerance of a failed release-payload check', () => {
  it(
    'a wildcard IDMS source over the blocked payload registry: ' +
      'blocked dropped, the wildcard mirrors still rendered',
    () => {
      const r = renderPolicies(policies(['quay.io', 'evil.example.com'], idms('*.io', ['mirror.local'])));
      expect(r.payloadFilter?.toleratedError).toContain('mirrorsAdjustedForNestedScope for a wildcard scope');
      expect(r.payloadFilter?.registriesBlocked).toBeNull();
      expect(r.payloadFilter?.allowedForPolicy).toBeNull();
      expect(r.registries.some((x) => x.blocked)).toBe(false);
      expect(r.registries.map((x) => x.prefix)).toEqual(['*.io']);
    },
  );
  it('a mirror that rewrites the payload to a non-canonical name: tolerated the same way', () => {
    const r = renderPolicies(
      policies(['quay.io'], idms('quay.io/openshift-release-dev/ocp-release', ['mirror.local'])),
    );
    expect(r.payloadFilter?.toleratedError).toContain('repository name must be canonical');
    expect(r.rendered).toBe(true);
    expect(r.registries.some((x) => x.blocked)).toBe(false);
  });
  it('the answer warns that the blocked registries were dropped and why, and does not call the config refused', () => {
    const e = explainPull({
      reference: 'evil.example.com/x/y:1',
      policies: policies(['quay.io', 'evil.example.com'], idms('*.io', ['mirror.local'])),
    });
    const w = e.warnings.find((x) => x.code === 'mco-dropped-blocked-registries');
    expect(w?.message).toContain('quay.io, evil.example.com are NOT blocked on the nodes');
    expect(w?.message).toContain('skipping....');
    expect(e.warnings.map((x) => x.code)).not.toContain('mco-rejects-config');
    expect(e.pullSources.every((s) => !s.blocked)).toBe(true);
  });
  it(
    'without the payload in a blocked scope nothing is tolerated: the ' +
      'wildcard over a blocked host fails the render itself',
    () => {
      expect(() => renderPolicies(policies(['registry.io'], idms('*.io', ['mirror.local'])))).toThrow(
        'mirrorsAdjustedForNestedScope for a wildcard scope "*.io"',
      );
    },
  );
  it('a release image that does not parse still fails the render', () => {
    expect(() => renderPolicies(policies(['quay.io'], idms('*.io', ['mirror.local']), 'not a reference'))).toThrow(
      'error parsing release image reference',
    );
  });
});
