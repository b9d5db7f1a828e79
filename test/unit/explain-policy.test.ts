// `why` with image.config allowedRegistries / blockedRegistries: the verdict rejected-by-policy, the field that
// causes it, the fix; the policy judges the logical name, never the mirror; all-blocked wins over the policy.
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import type { RegistrySources } from '../../src/types/openshift.ts';

const D = `sha256:${'b'.repeat(64)}`;
const idms = (source: string, mirrors: string[], policy?: 'NeverContactSource') => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageDigestMirrorSet' as const,
  metadata: { name: 'mirrors' },
  spec: { imageDigestMirrors: [{ source, mirrors, ...(policy ? { mirrorSourcePolicy: policy } : {}) }] },
});
const set = (sources: RegistrySources | undefined, mirrored = true): PolicySet => ({
  icsps: [],
  itms: [],
  idms: mirrored ? [idms('quay.io/ns', ['mirror.local/ns'])] : [],
  ...(sources
    ? {
        image: {
          apiVersion: 'config.openshift.io/v1',
          kind: 'Image',
          metadata: { name: 'cluster' },
          spec: { registrySources: sources },
        },
      }
    : {}),
});

interface Row {
  name: string;
  ref: string;
  sources: RegistrySources | undefined;
  mirrored?: boolean;
  verdict: string;
  policy: {
    allowed: boolean;
    reached?: boolean;
    scope?: string | null;
    field?: string | null;
    entry?: string | null;
    identity?: string;
  } | null;
  summary?: string[];
  advice?: string;
}

const rows: Row[] = [
  {
    name: 'no image.config lists: the template accepts everything',
    ref: `quay.io/ns/app@${D}`,
    sources: undefined,
    verdict: 'mirror-first',
    policy: { allowed: true, scope: null, field: null },
  },
  {
    name: 'allowedRegistries lists only the mirror host: a mirrored pull is still rejected',
    ref: `quay.io/ns/app@${D}`,
    sources: { allowedRegistries: ['mirror.local'] },
    verdict: 'rejected-by-policy',
    policy: { allowed: false, reached: true, scope: null, field: 'allowedRegistries', entry: null },
    summary: [
      'allowedRegistries (mirror.local)',
      'mirror mirror.local/ns',
      'adding the mirror host mirror.local does not help',
      'Source image rejected: Running image docker://quay.io/ns/app@',
    ],
    advice: 'Add quay.io (or the repository quay.io/ns/app) to image.config spec.registrySources.allowedRegistries',
  },
  {
    name: 'allowedRegistries lists the source, not the mirror: allowed',
    ref: `quay.io/ns/app@${D}`,
    sources: { allowedRegistries: ['quay.io'] },
    verdict: 'mirror-first',
    policy: { allowed: true, scope: 'quay.io', field: null },
  },
  {
    name: 'allowedRegistries: a tag pull straight from an unlisted source',
    ref: 'ghcr.io/x/app:1',
    sources: { allowedRegistries: ['quay.io'] },
    mirrored: false,
    verdict: 'rejected-by-policy',
    policy: { allowed: false, reached: true, field: 'allowedRegistries' },
    summary: ['from the source ghcr.io'],
  },
  {
    name: 'allowedRegistries: a host without port does not cover host:port',
    ref: 'registry.example.com:5000/app:1',
    sources: { allowedRegistries: ['registry.example.com'] },
    mirrored: false,
    verdict: 'rejected-by-policy',
    policy: { allowed: false, field: 'allowedRegistries' },
  },
  {
    name: 'allowedRegistries: docker.io/busybox is judged as docker.io/library/busybox',
    ref: 'docker.io/busybox:1',
    sources: { allowedRegistries: ['docker.io/library'] },
    mirrored: false,
    verdict: 'no-mirror-configured',
    policy: { allowed: true, scope: 'docker.io/library', identity: 'docker.io/library/busybox:1' },
  },
  {
    name: 'blockedRegistries on a mirrored source, digest pull: the mirror serves, the policy rejects',
    ref: `quay.io/ns/app@${D}`,
    sources: { blockedRegistries: ['quay.io/ns'] },
    verdict: 'rejected-by-policy',
    policy: { allowed: false, reached: true, scope: 'quay.io/ns', field: 'blockedRegistries', entry: 'quay.io/ns' },
    summary: ['blockedRegistries entry quay.io/ns', 'Its mirrors serve the manifest (mirror mirror.local/ns first'],
    advice: 'Remove quay.io/ns from image.config spec.registrySources.blockedRegistries',
  },
  {
    name: 'blockedRegistries, tag pull: every source blocked, the policy is never reached',
    ref: 'quay.io/ns/app:1',
    sources: { blockedRegistries: ['quay.io/ns'] },
    verdict: 'all-blocked',
    policy: { allowed: false, reached: false, field: 'blockedRegistries', entry: 'quay.io/ns' },
  },
  {
    name: 'blockedRegistries elsewhere: allowed',
    ref: `quay.io/ns/app@${D}`,
    sources: { blockedRegistries: ['ghcr.io'] },
    verdict: 'mirror-first',
    policy: { allowed: true, scope: null },
  },
  {
    name: 'both lists: the MCO refuses, no policy check',
    ref: `quay.io/ns/app@${D}`,
    sources: { allowedRegistries: ['quay.io'], blockedRegistries: ['ghcr.io'] },
    verdict: 'mirror-first',
    policy: null,
  },
];

describe('why + policy.json', () => {
  for (const r of rows) {
    it(r.name, () => {
      const e = explain({ reference: r.ref, policies: set(r.sources, r.mirrored ?? true) });
      expect(e.verdict.code).toBe(r.verdict);
      if (r.policy === null) expect(e.policy).toBeNull();
      else expect(e.policy).toMatchObject(r.policy);
      for (const s of r.summary ?? []) expect(e.verdict.summary).toContain(s);
      if (r.advice !== undefined) expect(e.advice[0]).toContain(r.advice);
    });
  }

  it('both lists: warns that the MCO refuses image.config, and says so in the summary', () => {
    const e = explain({
      reference: `quay.io/ns/app@${D}`,
      policies: set({ allowedRegistries: ['quay.io'], blockedRegistries: ['ghcr.io'] }),
    });
    const w = e.warnings.find((x) => x.code === 'mco-rejects-config');
    expect(w?.message).toContain('only one of AllowedRegistries or BlockedRegistries may be specified');
    expect(e.verdict.summary).toContain('the MCO refuses these objects');
  });

  it('the policy judges the logical name: the identity is the source reference, not the mirror', () => {
    const e = explain({ reference: `quay.io/ns/app@${D}`, policies: set({ allowedRegistries: ['mirror.local'] }) });
    expect(e.policy?.identity).toBe(`quay.io/ns/app@${D}`);
    expect(e.pullSources[0]?.reference).toBe(`mirror.local/ns/app@${D}`);
  });

  it('a node registries.conf basis has no policy.json to judge', () => {
    const e = explain({
      reference: 'quay.io/ns/app:1',
      conf: parseRegistriesConf('[[registry]]\nlocation = "quay.io/ns"\nblocked = true\n'),
    });
    expect(e.policy).toBeNull();
  });
});
