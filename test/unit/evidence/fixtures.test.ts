// The captured podman/skopeo logs of test/fixtures/podman (a byte-for-byte copy of ../shared/fixtures/podman; real runs
// of lab.sh) as parser tests: what the parser reads must equal what lab.sh derived into outcome.json, and the engine's
// plan must order the candidates as the tool did.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../../src/files/log-lines.ts';
import { EngineError } from '../../../src/domain/engine-error.ts';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import type { AttemptOutcome } from '../../../src/domain/evidence/evidence-types.ts';
import { parseLogLine } from '../../../src/domain/evidence/log-line.ts';
import { parseRegistriesConf } from '../../../src/domain/registries-conf.ts';
import { resolve } from '../../../src/domain/resolve.ts';
import { podmanFixturesDir } from '../../helpers/shared-dir.ts';

const DIR = `${podmanFixturesDir}/`;

interface Outcome {
  tool: string;
  image: string;
  attempted_in_order: string[];
  served_by: string | null;
  resolved_candidate: string | null;
  errors: Record<string, string>;
  final_error_line: string | null;
  exit_code: number;
}

/** lab.sh's short_reason classes -> the parser's outcomes. */
const CLASS: Record<string, AttemptOutcome> = {
  'manifest unknown': 'manifest-unknown',
  'connection refused': 'connection-refused',
  'TLS: x509 certificate error': 'tls',
  '401 unauthorized': 'unauthorized',
  'blocked in registries.conf (not contacted)': 'blocked',
  'DNS: no such host': 'dns',
  'plain-HTTP registry contacted over HTTPS': 'tls',
  timeout: 'timeout',
  denied: 'forbidden',
};

const scenarios = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((s) => existsSync(`${DIR}${s}/outcome.json`))
      .sort()
  : [];

describe('captured fixtures', () => {
  it('the fixture folder is there', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
  });

  for (const s of scenarios) {
    it(s, async () => {
      const o = JSON.parse(readFileSync(`${DIR}${s}/outcome.json`, 'utf8')) as Outcome;
      const { evidence: e } = await readEvidenceFromFile(`${DIR}${s}/output.log`);

      expect(e.attempts.map((a) => a.reference)).toEqual(o.attempted_in_order);
      for (const a of e.attempts) {
        const cls = o.errors[a.reference];
        expect(a.outcome).toBe(cls === undefined ? 'served' : CLASS[cls]);
      }
      // resolved_candidate: the walk settled on it (i4: skopeo then failed listing tags at the blocked source)
      expect(e.served?.reference ?? null).toBe(o.resolved_candidate);
      if (e.served !== null) expect(e.served.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      if (o.final_error_line === null) expect(e.finalError).toBeNull();
      else if (o.final_error_line.startsWith('Error: ')) expect(`Error: ${e.finalError}`).toBe(o.final_error_line);
      else expect(e.finalError).toBe(parseLogLine(o.final_error_line).text);
      expect(e.configFiles.length).toBeGreaterThan(0);
      expect(e.tool).toBe(o.tool.startsWith('skopeo') ? 'skopeo' : 'podman');

      // the engine's plan, from the same registries.conf, orders the candidates as the tool did
      const conf = parseRegistriesConf(readFileSync(`${DIR}${s}/registries.conf`, 'utf8'));
      let plan;
      try {
        plan = resolve(conf, o.image);
      } catch (err) {
        // j5 (prefix without port), k2 (wildcard + port): upstream fails the rewrite too, no candidate at all
        expect(err).toBeInstanceOf(EngineError);
        expect((err as EngineError).stage).toBe('rewrite');
        expect(e.attempts).toEqual([]);
        expect(e.finalError).toContain('rewriting reference');
        return;
      }
      const predicted = plan.pullSources.map((p) => p.reference);
      const verdict = judgeEvidence(e, plan, { image: o.image }).verdict;
      if (s === 'j4-mirror-location-trailing-slash') {
        // containers/image 5.23 keeps the mirror's trailing slash and fails the rewrite; since v5.35 it is trimmed
        // ("Actually record the outcome of the parseLocation canonicalization"), which the engine follows
        expect(e.attempts).toEqual([]);
        expect(predicted).toHaveLength(2);
        expect(verdict.code).toBe('no-attempts');
      } else if (s === 's-skopeo-ignores-registries-conf-env-var') {
        // skopeo 1.9 ignored CONTAINERS_REGISTRIES_CONF and read the host's file: exactly the mismatch to report
        expect(verdict.code).toBe('plan-mismatch');
        expect(verdict.summary).toContain('never tried your mirror 127.0.0.1:5002/mirror/repo');
      } else {
        const tried = e.attempts.map((a) => a.reference);
        expect(tried).toEqual(e.served !== null ? predicted.slice(0, tried.length) : predicted);
        expect(verdict.code).not.toBe('plan-mismatch');
      }
    });
  }
});
