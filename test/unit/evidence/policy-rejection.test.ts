// "Source image rejected: ..." in the parser and the evidence verdict, beyond the real podman captures:
// a served candidate becomes rejected-by-policy; a log without attempts (info level) still gets the verdict.
import { describe, expect, it } from 'vitest';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import { PodmanLogParser } from '../../../src/domain/evidence/podman-log-parser.ts';

function parse(lines: string[]) {
  const p = new PodmanLogParser();
  for (const l of lines) p.push(l);
  return p.finish();
}
const dbg = (msg: string): string => `time="2026-01-01T00:00:00Z" level=debug msg="${msg.replace(/"/g, '\\"')}"`;
const MSG = 'Source image rejected: Running image docker://quay.io/ns/app:1 is rejected by policy.';

describe('policy rejection evidence', () => {
  it('the candidate that served the manifest is rejected-by-policy; the scope podman used is kept', () => {
    const e = parse([
      dbg('Trying to access "mirror.local/ns/app:1"'),
      dbg('Content-Type from manifest GET is "application/vnd.oci.image.manifest.v1+json"'),
      dbg('IsRunningImageAllowed for image docker:quay.io/ns/app:1'),
      dbg(' Using transport "docker" specific policy section quay.io/ns'),
      dbg(`Error pulling candidate quay.io/ns/app:1: ${MSG}`),
      `Error: ${MSG}`,
    ]);
    expect(e.attempts.map((a) => [a.reference, a.outcome, a.detail])).toEqual([
      ['mirror.local/ns/app:1', 'rejected-by-policy', MSG],
    ]);
    expect(e.served).toBeNull();
    expect(e.policyCheck).toEqual({ identity: 'quay.io/ns/app:1', section: 'quay.io/ns' });
    const v = judgeEvidence(e, null, { image: 'quay.io/ns/app:1' }).verdict;
    expect(v.code).toBe('rejected-by-policy');
    expect(v.summary).toContain('mirror mirror.local');
    expect(v.summary).toContain(MSG);
  });

  it('the default section and the transport default "" are told apart', () => {
    expect(
      parse([dbg('IsRunningImageAllowed for image docker:a.example/x:1'), dbg(' Using default policy section')])
        .policyCheck,
    ).toEqual({ identity: 'a.example/x:1', section: null });
    expect(
      parse([
        dbg('IsRunningImageAllowed for image docker:a.example/x:1'),
        dbg(' Using transport "docker" policy section ""'),
      ]).policyCheck,
    ).toEqual({ identity: 'a.example/x:1', section: '' });
  });

  it('a log without attempts (no debug lines) but with the final error: rejected-by-policy, not no-attempts', () => {
    const e = parse(['Trying to pull quay.io/ns/app:1...', `Error: ${MSG}`]);
    expect(e.attempts).toEqual([]);
    expect(judgeEvidence(e, null).verdict.code).toBe('rejected-by-policy');
  });

  it('an allowed pull stays served', () => {
    const e = parse([
      dbg('Trying to access "quay.io/ns/app:1"'),
      dbg('Content-Type from manifest GET is "application/vnd.oci.image.manifest.v1+json"'),
      dbg('IsRunningImageAllowed for image docker:quay.io/ns/app:1'),
      dbg(' Using transport "docker" specific policy section quay.io'),
      dbg('Pulled candidate quay.io/ns/app:1 successfully'),
    ]);
    expect(e.attempts.map((a) => a.outcome)).toEqual(['served']);
    expect(judgeEvidence(e, null).verdict.code).toBe('source-fallback');
  });
});
