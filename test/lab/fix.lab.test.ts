// The fix, end to end on real podman: the seed's situation in the lab (an ICSP with a trailing "/" on its source,
// mirroring the source repository to a mirror registry) and a tag pull. Before the fix podman pulls the tag from
// the source; `proposeFix` hands over the corrected ICSP plus an ITMS; with the registries.conf the MCO renders from
// the objects after `oc apply -f fix.yaml`, podman pulls the same tag from the mirror, as the engine predicted.
// Needs root and the lab's Debian packages; a missing tool fails the suite (lab.ts), never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../src/files/log-lines.ts';
import { explain } from '../../src/domain/explain.ts';
import { proposeFix } from '../../src/domain/fix.ts';
import { parsePolicyDocuments } from '../../src/domain/policy-documents.ts';
import { overlayPolicies } from '../../src/domain/policy-overlay.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { renderPolicyJson, policyJsonText } from '../../src/domain/policy-json.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import type { RenderOptions } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { Lab, MB, REPO, SRC } from './lab.ts';
import type { RunResult } from './lab.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await Lab.start();
}, 180_000);

afterAll(async () => {
  await lab?.stop();
}, 60_000);

const IMAGE = `${SRC}/${REPO}:latest`;
const CURRENT = `apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata:
  name: lab-common-services
spec:
  repositoryDigestMirrors:
    - source: ${SRC}/repo/
      mirrors:
        - ${MB}/mirror/repo
`;

/** The node's files for a policy set: registries.conf in the 4.13-4.18 layout (podman 4.3 reads it) and policy.json. */
function nodeFiles(p: PolicySet, opts: RenderOptions = {}): { registriesConf: string; policyJson: string } {
  const r = renderPolicies(p, opts);
  return {
    registriesConf: encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries, '4.13'),
    policyJson: policyJsonText(renderPolicyJson(p, r.payloadFilter)),
  };
}

function context(r: RunResult): string {
  return `\n--- ${r.command.join(' ')} (exit ${r.exitCode})\n${r.log
    .split('\n')
    .filter((l) => /Trying to access|failed: |^Error/.test(l))
    .join('\n')}`;
}

describe('the fix on real podman', () => {
  it(
    'before: the tag pull goes to the source; after applying fix.yaml: ' +
      'podman pulls it from the mirror, as the engine proved',
    async () => {
      const current = parsePolicyDocuments(CURRENT, 'current.yaml');
      const policies = overlayPolicies({ icsps: [], idms: [], itms: [] }, current.objects).policies;
      const before = explain({ reference: IMAGE, policies });
      expect(before.verdict.code).toBe('tag-pull-skips-digest-mirrors');
      expect(before.warnings.map((w) => w.code)).toContain('mco-rejects-config');

      // Before: even if the MCO took these objects as they are (it refuses the trailing "/"), the mirror is
      // digest-only.
      const r0 = await lab.podmanPullNodeFiles('fix-before', nodeFiles(policies, { skipValidation: true }), IMAGE);
      const e0 = (await readEvidenceFromFile(r0.logFile)).evidence;
      expect(r0.exitCode, context(r0)).toBe(0);
      expect(
        e0.attempts.map((a) => a.reference),
        context(r0),
      ).toEqual([IMAGE]);
      expect(e0.served?.reference, context(r0)).toBe(IMAGE);

      const fix = proposeFix({ reference: IMAGE, policies, explanation: before });
      expect(fix.fix, fix.note ?? '').not.toBeNull();
      expect(fix.fix!.verdictAfter).toBe('mirror-first');
      // What the user applies: the YAML text, parsed back, over the current objects; the MCO accepts it (no skip).
      const applied = overlayPolicies(policies, parsePolicyDocuments(fix.fix!.yaml, 'fix.yaml').objects).policies;
      const predicted = explain({ reference: IMAGE, policies: applied });
      expect(predicted.warnings.map((w) => w.code)).not.toContain('mco-rejects-config');
      expect(predicted.verdict.code).toBe('mirror-first');
      const r1 = await lab.podmanPullNodeFiles('fix-after', nodeFiles(applied), IMAGE);
      const e1 = (await readEvidenceFromFile(r1.logFile)).evidence;
      expect(r1.exitCode, context(r1)).toBe(0);
      expect(e1.attempts[0]?.reference, context(r1)).toBe(`${MB}/mirror/repo/exampleimage:latest`);
      expect(e1.served?.reference, context(r1)).toBe(`${MB}/mirror/repo/exampleimage:latest`);
      expect(e1.served?.reference).toBe(predicted.pullSources[0]!.reference);
      expect(e1.served?.digest).toBe(lab.digest);
    },
    120_000,
  );
});
