// 429 Too Many Requests, captured for real: podman 4.3.1 (containers/image 5.23.1) pulling from the lab's 429
// stand-in (test/lab/rate-limited-registry.ts: /v2/ answers 200, every manifest request 429 with a TOOMANYREQUESTS
// body). test/fixtures/kubelet-events/rate-limited-* (Retry-After: 0, written by event-corpus.lab.test.ts) hold
// podman's whole debug log next to the wrapped texts; test/fixtures/podman-lab/rate-limited-backoff-* (no
// Retry-After, as Docker Hub answers; written by capture-rate-limit-backoff.ts) keep the real back-off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readEvidenceFromFile, readEvidenceFromStream } from '../../../src/files/log-lines.ts';
import { toEvidenceJson } from '../../../src/domain/evidence/evidence-json.ts';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import { repoRoot } from '../../helpers/shared-dir.ts';

const EVENTS = join(repoRoot, 'test/fixtures/kubelet-events');
const LAB = join(repoRoot, 'test/fixtures/podman-lab');
const MRATE = '127.0.0.1:5011';
const SRC = '127.0.0.1:5001';
const DIGEST = 'sha256:db51158598841bf2db6b05852f3b05cccf746576fa58658c49cb653eaefe27bb';
const WORDS = new RegExp(
  '^reading manifest (sha256:[0-9a-f]{64}|latest) in 127\\.0\\.0\\.1:5011/[a-z/]+exampleimage: ' +
    'toomanyrequests: You have reached your pull rate limit\\.',
);

interface Case {
  log: string;
  requests: string;
  /** [reference, outcome] of one walk. */
  walk: [string, string][];
  walks: number;
}

const MIRROR_WALK: [string, string][] = [
  [`${MRATE}/mirror/repo/exampleimage@${DIGEST}`, 'rate-limited'],
  [`${SRC}/repo/exampleimage@${DIGEST}`, 'blocked'],
];
const SOURCE_WALK: [string, string][] = [[`${MRATE}/library/exampleimage:latest`, 'rate-limited']];

const cases: Record<string, Case> = {
  'mirror, Retry-After: 0': {
    log: join(EVENTS, 'rate-limited-mirror/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-mirror/registry-side.log'),
    walk: MIRROR_WALK,
    // the last candidate (the blocked source) is not retryable: podman does not repeat the walk
    walks: 1,
  },
  'source, Retry-After: 0': {
    log: join(EVENTS, 'rate-limited-source/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-source/registry-side.log'),
    walk: SOURCE_WALK,
    // TOOMANYREQUESTS is retryable for podman (libimage): 3 retries of the whole walk
    walks: 4,
  },
  'mirror, no Retry-After (back-off)': {
    log: join(LAB, 'rate-limited-backoff-mirror/output.log'),
    requests: join(LAB, 'rate-limited-backoff-mirror/registry-side.log'),
    walk: MIRROR_WALK,
    walks: 1,
  },
  'source, no Retry-After (back-off)': {
    log: join(LAB, 'rate-limited-backoff-source/output.log'),
    requests: join(LAB, 'rate-limited-backoff-source/registry-side.log'),
    walk: SOURCE_WALK,
    walks: 4,
  },
};

/** The stand-in's log: `<ISO time> <method> <path> <status> "<user agent>"` per request. */
function requests(file: string): { at: number; path: string; status: number }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => /^(\S+Z) (GET|HEAD) (\S+) (\d{3}) /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Date.parse(m[1] ?? ''), path: m[3] ?? '', status: Number(m[4]) }));
}

describe('rate-limited (429) from real podman runs', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: the debug-log parser: each 429 candidate is rate-limited, in podman's words`, async () => {
      const r = await readEvidenceFromFile(c.log);
      expect(r.kind).toBe('log');
      expect(r.evidence.tool).toBe('podman');
      const expected = Array.from({ length: c.walks }, (_, i) => c.walk.map(([ref, o]) => [i + 1, ref, o])).flat();
      expect(r.evidence.attempts.map((a) => [a.walk, a.reference, a.outcome])).toEqual(expected);
      expect(r.evidence.retries).toBe(c.walks - 1);
      for (const a of r.evidence.attempts.filter((x) => x.outcome === 'rate-limited')) expect(a.detail).toMatch(WORDS);
      expect(r.evidence.finalError).toMatch(/toomanyrequests: You have reached your pull rate limit/);

      const j = judgeEvidence(r.evidence, null);
      expect(j.verdict.code).toBe('all-failed');
      expect(j.verdict.summary).toContain(`${MRATE} rate-limited`);
      expect(j.verdict.details.join('\n')).toMatch(/refused with "too many requests"/);
      const json = toEvidenceJson({
        evidence: r.evidence,
        judgement: j,
        plan: null,
        image: null,
        bytes: 0,
        truncatedLines: 0,
      });
      expect(json.attempts.filter((a) => a.outcome === 'rate-limited').length).toBe(c.walks);

      // what the registry saw: per walk one ping, then containers/image's 5 attempts at the manifest, all 429
      const seen = requests(c.requests);
      expect(seen.filter((q) => q.path === '/v2/').length).toBe(c.walks);
      const manifests = seen.filter((q) => q.path.includes('/manifests/'));
      expect(manifests.map((q) => q.status)).toEqual(Array<number>(5 * c.walks).fill(429));
    });
  }

  it('without Retry-After, containers/image backs off 2, 4, 8 and 16 s between its 5 attempts per request', () => {
    for (const dir of ['rate-limited-backoff-mirror', 'rate-limited-backoff-source']) {
      const log = readFileSync(join(LAB, dir, 'output.log'), 'utf8');
      for (const s of ['2', '4', '8', '16'])
        expect(log).toContain(`: sleeping for ${s}.000000 seconds before next attempt`);
      expect(log).not.toContain('Retry-After');
      const manifests = requests(join(LAB, dir, 'registry-side.log')).filter((q) => q.path.includes('/manifests/'));
      for (let w = 0; w < manifests.length / 5; w++) {
        const walk = manifests.slice(w * 5, w * 5 + 5);
        const gaps = walk.slice(1).map((q, i) => (q.at - (walk[i]?.at ?? 0)) / 1000);
        gaps.forEach((g, i) => {
          expect(g).toBeGreaterThanOrEqual(2 ** (i + 1) - 0.05);
          expect(g).toBeLessThan(2 ** (i + 1) + 1.5);
        });
      }
    }
    // ~30 s for a rate-limited mirror; ~2 minutes when the source is rate-limited (4 walks): longer than the live
    // check's default 120 s deadline
    const seconds = (dir: string): number =>
      (JSON.parse(readFileSync(join(LAB, dir, 'outcome.json'), 'utf8')) as { seconds: number }).seconds;
    expect(seconds('rate-limited-backoff-mirror')).toBeGreaterThanOrEqual(30);
    expect(seconds('rate-limited-backoff-mirror')).toBeLessThan(40);
    expect(seconds('rate-limited-backoff-source')).toBeGreaterThanOrEqual(123);
  });

  it('with Retry-After: 0 the same 5 attempts run back to back (the lab test stays fast)', () => {
    const log = readFileSync(join(EVENTS, 'rate-limited-mirror/podman-debug.log'), 'utf8');
    expect(log.match(/Detected 'Retry-After' header \\"0\\"/g)?.length).toBe(4);
    expect(log.match(/sleeping for 0\.000000 seconds before next attempt/g)?.length).toBe(4);
  });

  it('a log cut during the back-off (a live check reaching its deadline) still names the 429', async () => {
    for (const dir of ['rate-limited-backoff-mirror', 'rate-limited-backoff-source']) {
      const lines = readFileSync(join(LAB, dir, 'output.log'), 'utf8').split('\n');
      // the real log up to its last "sleeping for 16" line: podman was killed while containers/image slept
      const cut = lines.findLastIndex((l) => l.includes('sleeping for 16.000000 seconds'));
      expect(cut).toBeGreaterThan(0);
      const r = await readEvidenceFromStream(Readable.from([lines.slice(0, cut + 1).join('\n')]));
      const last = r.evidence.attempts[r.evidence.attempts.length - 1];
      expect(last?.reference).toBe(
        `${MRATE}/${dir.endsWith('mirror') ? `mirror/repo/exampleimage@${DIGEST}` : 'library/exampleimage:latest'}`,
      );
      expect(last?.outcome).toBe('rate-limited');
      expect(last?.detail).toMatch(
        /^the log ends before this candidate's outcome .*answered 429 Too Many Requests 4 time\(s\)/,
      );
      const v = judgeEvidence(r.evidence, null).verdict;
      expect(v.code).toBe('all-failed');
      expect(v.summary).toMatch(
        /the log ends while 127\.0\.0\.1:5011\/\S+ was being tried \(truncated log\?\) after it answered 429/,
      );
      // earlier walks of the source case ended with their failure line: rate-limited in podman's words
      for (const a of r.evidence.attempts.slice(0, -1)) expect(a.detail).toMatch(WORDS);
    }
  });
});
