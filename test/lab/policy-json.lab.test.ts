// policy.json on real podman: image.config -> the engine renders registries.conf and policy.json as the MCO
// would -> podman pulls with exactly those files -> podman's outcome, the identity it judged and the scope that
// decided must be what `icsp why` predicts. Shows that the policy sees the logical name, never the mirror.
// Needs root and the lab's Debian packages; a missing tool fails the suite (lab.ts), never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../src/files/log-lines.ts';
import { judgeEvidence } from '../../src/domain/evidence/evidence-verdict.ts';
import { explain } from '../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { resolve } from '../../src/domain/resolve.ts';
import { Lab } from './lab.ts';
import type { RunResult } from './lab.ts';
import { nodeFiles, POLICY_SCENARIOS, scenarioPolicies } from './policy-scenarios.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await Lab.start();
}, 180_000);

afterAll(async () => {
  await lab?.stop();
}, 60_000);

function context(r: RunResult): string {
  return `\n--- ${r.command.join(' ')} (exit ${r.exitCode})\n${r.log
    .split('\n')
    .filter((l) => /Trying to access|IsRunningImageAllowed|policy section|failed: |^Error/.test(l))
    .join('\n')}`;
}

describe('policy.json on real podman', () => {
  for (const s of POLICY_SCENARIOS) {
    it(
      s.title,
      async () => {
        const p = scenarioPolicies(s);
        const files = nodeFiles(p);
        const ref = s.ref(lab.digest);
        const r = await lab.podmanPullNodeFiles(s.name, files, ref);
        const { evidence } = await readEvidenceFromFile(r.logFile);
        const e = explain({ reference: ref, policies: p });

        expect(r.exitCode, context(r)).toBe(s.exitCode);
        expect(
          evidence.attempts.map((a) => [a.reference, a.outcome]),
          context(r),
        ).toEqual(s.attempts(lab.digest));
        if (s.says !== undefined) expect(r.log.split('\n'), context(r)).toContain(s.says(lab.digest));
        const plan = resolve(parseRegistriesConf(files.registriesConf), ref);
        expect(judgeEvidence(evidence, plan, { image: ref }).verdict.code, context(r)).toBe(s.evidence);

        // the prediction
        expect(e.verdict.code).toBe(s.verdict);
        if (s.field !== undefined) expect(e.policy?.field).toBe(s.field);
        if (e.policy?.reached === true) {
          // podman judged the logical reference (not the mirror it pulled from) under the scope the engine picked
          expect(evidence.policyCheck, context(r)).toEqual({ identity: e.policy.identity, section: e.policy.scope });
          expect(e.policy.identity).toBe(ref);
          if (!e.policy.allowed) expect(r.log, context(r)).toContain(`Error: ${e.policy.message}`);
        } else {
          expect(evidence.policyCheck, context(r)).toBeUndefined();
        }
      },
      120_000,
    );
  }
});
