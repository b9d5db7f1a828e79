// The verdict against hand-made plans: pure, independent of how the plan was computed.
import { describe, expect, it } from 'vitest';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import type { AttemptOutcome, PullEvidence } from '../../../src/domain/evidence/evidence-types.ts';
import type { ResolveResult } from '../../../src/domain/pull-source.ts';

const D = '@sha256:1111111111111111111111111111111111111111111111111111111111111111';
const SRC = `quay.io/org/app${D}`;
const M1 = `mirror1.corp/org/app${D}`;
const M2 = `mirror2.corp/org/app${D}`;

function plan(...refs: [string, string, boolean][]): ResolveResult {
  return {
    normalizedReference: SRC,
    matchedPrefix: 'quay.io/org',
    pullSources: refs.map(([reference, location, mirror]) => ({
      reference,
      location,
      mirror,
      insecure: false,
      blocked: false,
    })),
  };
}
const PLAN = plan([M1, 'mirror1.corp/org', true], [M2, 'mirror2.corp/org', true], [SRC, 'quay.io/org', false]);

function evidence(...attempts: [string, AttemptOutcome, string?][]): PullEvidence {
  const served = attempts.find(([, o]) => o === 'served');
  return {
    tool: 'podman',
    logicalReference: SRC,
    configFiles: ['/etc/containers/registries.conf'],
    attempts: attempts.map(([reference, outcome, detail]) => ({
      walk: 1,
      reference,
      outcome,
      detail: detail ?? (outcome === 'served' ? '' : outcome),
      lines: [1],
      credentials: null,
    })),
    served: served !== undefined ? { reference: served[0], digest: D.slice(1) } : null,
    blobsFromOtherSources: [],
    finalError: served !== undefined ? null : 'Error: all failed',
    credentialNotes: [],
    retries: 0,
    localImageFound: false,
    pullProgressSeen: true,
    stats: { lines: 10, framedLines: 10, debugLines: 10, evidenceLines: 5, droppedAttempts: 0 },
  };
}

describe('judgeEvidence', () => {
  it('mirror-hit names the mirror location and the digest, and why earlier mirrors failed', () => {
    const j = judgeEvidence(
      evidence([M1, 'unauthorized', 'reading manifest: unauthorized: authentication required'], [M2, 'served']),
      PLAN,
    );
    expect(j.verdict.code).toBe('mirror-hit');
    expect(j.verdict.summary).toMatch(
      /^mirror-hit: mirror mirror2.corp\/org served .* \(digest sha256:1{64}\) after 1 mirror\(s\) failed$/,
    );
    expect(j.verdict.details[0]).toContain('mirror1.corp requires credentials');
    expect(j.attempts.map((a) => [a.location, a.mirror, a.planned])).toEqual([
      ['mirror1.corp/org', true, true],
      ['mirror2.corp/org', true, true],
    ]);
  });

  it('source-fallback lists why each mirror failed', () => {
    const j = judgeEvidence(
      evidence([M1, 'tls', 'x509: certificate signed by unknown authority'], [M2, 'manifest-unknown'], [SRC, 'served']),
      PLAN,
    );
    expect(j.verdict.code).toBe('source-fallback');
    expect(j.verdict.summary).toContain('every mirror failed: mirror1.corp (tls), mirror2.corp (manifest-unknown)');
  });

  it('source-fallback on a tag pull explains that digest-only mirrors never serve tags', () => {
    const tag = 'quay.io/org/app:v1';
    const j = judgeEvidence(evidence([tag, 'served']), {
      normalizedReference: tag,
      matchedPrefix: 'quay.io/org',
      pullSources: [{ reference: tag, location: 'quay.io/org', mirror: false, insecure: false, blocked: false }],
    });
    expect(j.verdict.code).toBe('source-fallback');
    expect(j.verdict.details.join('\n')).toContain('digest-only');
  });

  it('plan-mismatch: the node never tried a mirror the policies add', () => {
    const j = judgeEvidence(evidence([M2, 'served']), PLAN);
    expect(j.verdict.code).toBe('plan-mismatch');
    expect(j.verdict.summary).toBe(
      'plan-mismatch: the node never tried your mirror mirror1.corp/org: its ' +
        'registries.conf does not have it yet (or differs from the policies)',
    );
  });

  it('plan-mismatch: the node tried a candidate the plan does not predict', () => {
    const j = judgeEvidence(evidence([`old-mirror.corp/org/app${D}`, 'manifest-unknown'], [M1, 'served']), PLAN);
    expect(j.verdict.code).toBe('plan-mismatch');
    expect(j.verdict.summary).toContain('old-mirror.corp/org/app');
    expect(j.verdict.summary).toContain('registries.conf differs from the policies');
    expect(j.attempts[0]?.planned).toBe(false);
  });

  it('plan-mismatch: same candidates, another order', () => {
    const j = judgeEvidence(
      evidence([M2, 'manifest-unknown'], [M1, 'manifest-unknown'], [SRC, 'manifest-unknown']),
      PLAN,
    );
    expect(j.verdict.code).toBe('plan-mismatch');
    expect(j.verdict.summary).toContain('another order');
  });

  it('all-failed names every candidate and its class', () => {
    const j = judgeEvidence(evidence([M1, 'unreachable'], [M2, 'dns'], [SRC, 'blocked']), PLAN);
    expect(j.verdict.code).toBe('all-failed');
    expect(j.verdict.summary).toBe(
      'all-failed: every candidate failed (3 tried): mirror1.corp unreachable, mirror2.corp dns, quay.io blocked',
    );
  });

  it('without a plan, the logical reference tells mirrors from the source', () => {
    const j = judgeEvidence(evidence([M1, 'manifest-unknown'], [SRC, 'served']), null);
    expect(j.verdict.code).toBe('source-fallback');
    expect(j.attempts.map((a) => [a.mirror, a.planned, a.location])).toEqual([
      [true, null, 'mirror1.corp'],
      [false, null, 'quay.io'],
    ]);
  });

  it('no-attempts says what the log holds and what the plan expected', () => {
    const e = {
      ...evidence(),
      finalError: 'initializing source docker://x: rewriting reference: invalid reference format',
    };
    const v = judgeEvidence(e, PLAN).verdict;
    expect(v.code).toBe('no-attempts');
    expect(v.summary).toContain('configuration error');
    expect(v.details[0]).toContain('the plan predicts 3 candidate(s)');
  });

  it('no-attempts for an image already present locally', () => {
    const e = { ...evidence(), finalError: null, localImageFound: true };
    expect(judgeEvidence(e, null).verdict.summary).toContain('already in local storage');
  });
});
