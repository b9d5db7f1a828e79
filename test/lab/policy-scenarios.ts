// policy.json scenarios for the podman lab: image.config (+ an IDMS) -> the engine renders registries.conf and
// policy.json as the MCO would -> real podman pulls with exactly those files -> compare with the engine's `why`.
// Shared by the lab test (policy-json.lab.test.ts) and the fixture capture (capture-policy-fixtures.ts).
import type { AttemptOutcome } from '../../src/domain/evidence/evidence-types.ts';
import type { EvidenceVerdictCode as EvidenceVerdict } from '../../src/domain/evidence/evidence-verdict.ts';
import type { VerdictCode } from '../../src/domain/explain.ts';
import { policyJsonText, renderPolicyJson } from '../../src/domain/policy-json.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { encodeRegistriesConf, TEMPLATE_REGISTRIES_CONF } from '../../src/domain/registries-toml.ts';
import type { RegistrySources } from '../../src/types/openshift.ts';
import { MA, MREPO, REPO, SRC } from './lab.ts';

export interface PolicyScenario {
  /** Folder name under test/fixtures/podman-lab/. */
  name: string;
  title: string;
  sources: RegistrySources;
  /** An IDMS source -> mirrors (digest-only), or none. */
  mirror: { source: string; mirrors: string[] } | null;
  ref: (digest: string) => string;
  /** What `icsp why` predicts. */
  verdict: VerdictCode;
  field?: 'allowedRegistries' | 'blockedRegistries';
  /** What podman did, as the evidence parser reads it. */
  attempts: (digest: string) => Array<[string, AttemptOutcome]>;
  evidence: EvidenceVerdict;
  /** podman's exit code: 0, or 125 for a failed pull. */
  exitCode: number;
  /** A line podman prints (stderr), checked verbatim. */
  says?: (digest: string) => string;
}

const sDig = (d: string): string => `${SRC}/${REPO}@${d}`;
const mDig = (d: string): string => `${MA}/${MREPO}@${d}`;
const sTag = `${SRC}/${REPO}:latest`;
const IDMS = { source: `${SRC}/repo`, mirrors: [`${MA}/mirror/repo`] };

export const POLICY_SCENARIOS: PolicyScenario[] = [
  {
    name: 'policy-reject-source',
    title: 'allowedRegistries without the source: the source serves the manifest, policy.json rejects it',
    sources: { allowedRegistries: [MA] },
    mirror: null,
    ref: () => sTag,
    verdict: 'rejected-by-policy',
    field: 'allowedRegistries',
    attempts: () => [[sTag, 'rejected-by-policy']],
    evidence: 'rejected-by-policy',
    exitCode: 125,
    says: () => `Error: Source image rejected: Running image docker://${sTag} is rejected by policy.`,
  },
  {
    name: 'policy-reject-via-mirror',
    title:
      'allowedRegistries lists the mirror host only: the mirror serves, the policy judges the source name and rejects',
    sources: { allowedRegistries: [MA] },
    mirror: IDMS,
    ref: sDig,
    verdict: 'rejected-by-policy',
    field: 'allowedRegistries',
    attempts: (d) => [[mDig(d), 'rejected-by-policy']],
    evidence: 'rejected-by-policy',
    exitCode: 125,
    says: (d) => `Error: Source image rejected: Running image docker://${sDig(d)} is rejected by policy.`,
  },
  {
    name: 'policy-reject-blocked-mirrored-source',
    title:
      'blockedRegistries on a mirrored source, digest pull: registries.conf ' +
      'blocks only the source, the mirror serves, policy.json rejects',
    sources: { blockedRegistries: [`${SRC}/repo`] },
    mirror: IDMS,
    ref: sDig,
    verdict: 'rejected-by-policy',
    field: 'blockedRegistries',
    attempts: (d) => [[mDig(d), 'rejected-by-policy']],
    evidence: 'rejected-by-policy',
    exitCode: 125,
    says: (d) => `Error: Source image rejected: Running image docker://${sDig(d)} is rejected by policy.`,
  },
  {
    name: 'policy-allowed-source-not-mirror',
    title: 'allowedRegistries lists the source only: the mirror (not allowed by name) serves and the pull succeeds',
    sources: { allowedRegistries: [SRC] },
    mirror: IDMS,
    ref: sDig,
    verdict: 'mirror-first',
    attempts: (d) => [[mDig(d), 'served']],
    evidence: 'mirror-hit',
    exitCode: 0,
  },
  {
    name: 'policy-reject-host-without-port',
    title: 'allowedRegistries "127.0.0.1" does not cover 127.0.0.1:5001 (policy scopes keep the port)',
    sources: { allowedRegistries: ['127.0.0.1'] },
    mirror: null,
    ref: () => sTag,
    verdict: 'rejected-by-policy',
    field: 'allowedRegistries',
    attempts: () => [[sTag, 'rejected-by-policy']],
    evidence: 'rejected-by-policy',
    exitCode: 125,
  },
  {
    name: 'policy-blocked-tag-pull-never-reaches-policy',
    title: 'blockedRegistries, tag pull with digest-only mirrors: blocked in registries.conf before any policy check',
    sources: { blockedRegistries: [`${SRC}/repo`] },
    mirror: IDMS,
    ref: () => sTag,
    verdict: 'all-blocked',
    attempts: () => [[sTag, 'blocked']],
    evidence: 'all-failed',
    exitCode: 125,
  },
];

export function scenarioPolicies(s: PolicyScenario): PolicySet {
  return {
    icsps: [],
    itms: [],
    idms:
      s.mirror === null
        ? []
        : [
            {
              apiVersion: 'config.openshift.io/v1',
              kind: 'ImageDigestMirrorSet',
              metadata: { name: 'lab-mirror' },
              spec: { imageDigestMirrors: [{ source: s.mirror.source, mirrors: s.mirror.mirrors }] },
            },
          ],
    image: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'Image',
      metadata: { name: 'cluster' },
      spec: { registrySources: s.sources },
    },
  };
}

/**
 * The node's two files as the MCO renders them. registries.conf in the 4.13-4.18 layout: podman 4.3's
 * containers/image (5.23) predates the additional-layer-store-auth-helper key of the 4.19+ layout.
 */
export function nodeFiles(p: PolicySet): { registriesConf: string; policyJson: string } {
  const r = renderPolicies(p);
  const registriesConf = r.rendered
    ? encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries, '4.13')
    : TEMPLATE_REGISTRIES_CONF;
  return { registriesConf, policyJson: policyJsonText(renderPolicyJson(p, r.payloadFilter)) };
}
