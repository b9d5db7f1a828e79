// Builders of the mirror objects the pure tests feed explain, what-if and the verdict tables.
import type { PolicySet } from '../../src/domain/policy-set.ts';

export const set = (p: Partial<PolicySet>): PolicySet => ({ icsps: [], idms: [], itms: [], ...p });

export const idms = (name: string, source: string, mirrors: string[], policy?: 'NeverContactSource') => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageDigestMirrorSet' as const,
  metadata: { name },
  spec: { imageDigestMirrors: [{ source, mirrors, ...(policy ? { mirrorSourcePolicy: policy } : {}) }] },
});

export const itms = (name: string, source: string, mirrors: string[], policy?: 'NeverContactSource') => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageTagMirrorSet' as const,
  metadata: { name },
  spec: { imageTagMirrors: [{ source, mirrors, ...(policy ? { mirrorSourcePolicy: policy } : {}) }] },
});
