// The policy.json captures of test/fixtures/podman-lab/policy-* (real podman 4.3, written by
// test/lab/capture-policy-fixtures.ts) as tests that run anywhere: the engine renders exactly the files podman
// ran with, predicts podman's outcome, and the parser reads "Source image rejected" as rejected-by-policy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../../src/files/log-lines.ts';
import { loadPolicyPaths } from '../../../src/files/policy-files.ts';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import { explain } from '../../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../../src/domain/registries-conf.ts';
import { resolve } from '../../../src/domain/resolve.ts';
import { nodeFiles, POLICY_SCENARIOS } from '../../lab/policy-scenarios.ts';
import { repoRoot } from '../../helpers/shared-dir.ts';

const DIR = join(repoRoot, 'test/fixtures/podman-lab');
const digest = readFileSync(join(DIR, 'image-digest.txt'), 'utf8').trim();

describe('policy.json lab captures (real podman)', () => {
  for (const s of POLICY_SCENARIOS) {
    it(`${s.name}: ${s.title}`, async () => {
      const dir = join(DIR, s.name);
      const outcome = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as {
        image: string;
        exitCode: number;
      };
      const ref = s.ref(digest);
      expect(outcome.image).toBe(ref);
      expect(outcome.exitCode).toBe(s.exitCode);

      // the engine renders byte for byte the files podman ran with
      const { policies } = await loadPolicyPaths([join(dir, 'policies.yaml')], Readable.from([]));
      const files = nodeFiles(policies);
      expect(files.registriesConf).toBe(readFileSync(join(dir, 'registries.conf'), 'utf8'));
      expect(files.policyJson).toBe(readFileSync(join(dir, 'policy.json'), 'utf8'));

      // the parser reads what podman did
      const { evidence } = await readEvidenceFromFile(join(dir, 'output.log'));
      expect(evidence.attempts.map((a) => [a.reference, a.outcome])).toEqual(s.attempts(digest));
      const plan = resolve(parseRegistriesConf(files.registriesConf), ref);
      const judged = judgeEvidence(evidence, plan, { image: ref });
      expect(judged.verdict.code).toBe(s.evidence);
      if (s.says !== undefined)
        expect(readFileSync(join(dir, 'output.log'), 'utf8').split('\n')).toContain(s.says(digest));

      // the engine predicted it, and judged the same identity under the same scope podman logged
      const e = explain({ reference: ref, policies });
      expect(e.verdict.code).toBe(s.verdict);
      if (s.field !== undefined) expect(e.policy?.field).toBe(s.field);
      if (evidence.policyCheck !== undefined) {
        expect(evidence.policyCheck.identity).toBe(e.policy?.identity);
        expect(evidence.policyCheck.section).toBe(e.policy?.scope);
      } else {
        // no policy check logged: every pull source was blocked first
        expect(e.policy?.reached).toBe(false);
      }
      if (s.evidence === 'rejected-by-policy') {
        const rejected = evidence.attempts.find((a) => a.outcome === 'rejected-by-policy')!;
        expect(rejected.detail).toBe(e.policy?.message);
        expect(evidence.served).toBeNull();
        expect(judged.verdict.summary).toContain('rejected the image under the name the pod asked for');
      }
    });
  }
});
