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

// The other ways a 429 arrives (the stand-in's modes, test/lab/rate-limited-registry.ts): nginx's HTML page as
// Quay's nginx sends it, Harbor's JSON with its own code, and a 429 on the /v2/ ping (every request limited; or
// Quay's nginx, which limits /v2 but answers /v1/_ping itself). containers/image 5.23.1's words for each:
// docker/errors.go:48-58 ("StatusCode: 429, <50 bytes of the body>..."), distribution's errcode for an unknown
// code ("unknown: <message>"), docker/errors.go:14 + docker_client.go:832 ("pinging container registry <host>:
// too many requests to registry"), docker_client.go:837-860 + errors.go:12 ("can't talk to a V1 container
// registry", the 429 visible only in the debug log).
interface ModeCase {
  log: string;
  requests: string;
  walk: [string, string][];
  walks: number;
  /** The rate-limited candidate's detail, as the debug-log parser reads it. */
  words: RegExp;
  /** The stand-in's answers per walk: `<ping|v1|manifest> <status>`. */
  perWalk: string[];
}

const MIRROR = `${MRATE}/mirror/repo/exampleimage@${DIGEST}`;
const SOURCE = `${MRATE}/library/exampleimage:latest`;
// the page's first 50 bytes, its CR LF folded into one space
const HTML_WORDS = new RegExp(
  String.raw`^reading manifest \S+ in 127\.0\.0\.1:5011\/\S+: StatusCode: 429, ` +
    String.raw`<html> <head><title>429 Too Many Requests<\/title>\.\.\.$`,
);
const HARBOR_WORDS =
  /^reading manifest \S+ in 127\.0\.0\.1:5011\/\S+: unknown: too many requests to upstream registry$/;
const PING_WORDS = /^pinging container registry 127\.0\.0\.1:5011: too many requests to registry$/;
const V1_WORDS =
  /^can't talk to a V1 container registry \(the \/v2\/ ping answered 429 Too Many Requests; containers\/image then/;
const times = (n: number, s: string): string[] => Array<string>(n).fill(s);
const MANIFEST_429 = ['ping 200', ...times(5, 'manifest 429')];
const PING_429 = [...times(5, 'ping 429'), ...times(5, 'v1 429')];
const PING_V1 = [...times(5, 'ping 429'), 'v1 200'];

const modeCases: Record<string, ModeCase> = {
  'HTML page (Quay nginx), mirror': {
    log: join(EVENTS, 'rate-limited-html-mirror/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-html-mirror/registry-side.log'),
    walk: [
      [MIRROR, 'rate-limited'],
      [`${SRC}/repo/exampleimage@${DIGEST}`, 'blocked'],
    ],
    walks: 1,
    words: HTML_WORDS,
    perWalk: MANIFEST_429,
  },
  // podman does not repeat the walk: c/common's retry does not know the unparsed-body error
  'HTML page (Quay nginx), source': {
    log: join(EVENTS, 'rate-limited-html-source/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-html-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 1,
    words: HTML_WORDS,
    perWalk: MANIFEST_429,
  },
  'HTML page (Quay nginx), source, no Retry-After (back-off)': {
    log: join(LAB, 'rate-limited-backoff-html-source/output.log'),
    requests: join(LAB, 'rate-limited-backoff-html-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 1,
    words: HTML_WORDS,
    perWalk: MANIFEST_429,
  },
  'Harbor JSON (TOO_MANY_REQUEST), mirror': {
    log: join(EVENTS, 'rate-limited-harbor-mirror/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-harbor-mirror/registry-side.log'),
    walk: [
      [MIRROR, 'rate-limited'],
      [`${SRC}/repo/exampleimage@${DIGEST}`, 'blocked'],
    ],
    walks: 1,
    words: HARBOR_WORDS,
    perWalk: MANIFEST_429,
  },
  // an errcode error: podman repeats the walk 3 times, as for TOOMANYREQUESTS
  'Harbor JSON (TOO_MANY_REQUEST), source, no Retry-After (back-off)': {
    log: join(LAB, 'rate-limited-backoff-harbor-source/output.log'),
    requests: join(LAB, 'rate-limited-backoff-harbor-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 4,
    words: HARBOR_WORDS,
    perWalk: MANIFEST_429,
  },
  '429 on the ping (every request), mirror': {
    log: join(EVENTS, 'rate-limited-ping-mirror/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-ping-mirror/registry-side.log'),
    walk: [
      [MIRROR, 'rate-limited'],
      [`${SRC}/repo/exampleimage@${DIGEST}`, 'blocked'],
    ],
    walks: 1,
    words: PING_WORDS,
    perWalk: PING_429,
  },
  // ErrTooManyRequests is a plain error: not retryable for podman, one walk
  '429 on the ping (every request), source': {
    log: join(EVENTS, 'rate-limited-ping-source/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-ping-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 1,
    words: PING_WORDS,
    perWalk: PING_429,
  },
  '429 on the ping (every request), source, no Retry-After (back-off)': {
    log: join(LAB, 'rate-limited-backoff-ping-source/output.log'),
    requests: join(LAB, 'rate-limited-backoff-ping-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 1,
    words: PING_WORDS,
    perWalk: PING_429,
  },
  '429 on the /v2/ ping, /v1/_ping answers (Quay nginx), source': {
    log: join(EVENTS, 'rate-limited-ping-v1-source/podman-debug.log'),
    requests: join(EVENTS, 'rate-limited-ping-v1-source/registry-side.log'),
    walk: [[SOURCE, 'rate-limited']],
    walks: 1,
    words: V1_WORDS,
    perWalk: PING_V1,
  },
};

function answers(file: string): string[] {
  return requests(file).map((q) => {
    const kind =
      q.path === '/v2/' ? 'ping' : q.path === '/v1/_ping' ? 'v1' : q.path.includes('/manifests/') ? 'manifest' : q.path;
    return `${kind} ${q.status}`;
  });
}

describe('429 with other bodies and on the ping, from real podman runs', () => {
  for (const [name, c] of Object.entries(modeCases)) {
    it(`${name}: the debug-log parser reads rate-limited, with containers/image's words`, async () => {
      const r = await readEvidenceFromFile(c.log);
      expect(r.kind).toBe('log');
      const expected = Array.from({ length: c.walks }, (_, i) => c.walk.map(([ref, o]) => [i + 1, ref, o])).flat();
      expect(r.evidence.attempts.map((a) => [a.walk, a.reference, a.outcome])).toEqual(expected);
      expect(r.evidence.retries).toBe(c.walks - 1);
      for (const a of r.evidence.attempts.filter((x) => x.outcome === 'rate-limited'))
        expect(a.detail).toMatch(c.words);
      const v = judgeEvidence(r.evidence, null).verdict;
      expect(v.code).toBe('all-failed');
      expect(v.summary).toContain(`${MRATE} rate-limited`);
      expect(answers(c.requests)).toEqual(Array.from({ length: c.walks }, () => c.perWalk).flat());
    });
  }

  it('the kubelet\'s text of a ping 429 behind Quay\'s nginx cannot show it: "other", with what it means', async () => {
    const dir = join(EVENTS, 'rate-limited-ping-v1-source');
    for (const file of ['cri-client.event-failed.txt', 'grpc-prefix.describe-pod.txt', 'podman-error.txt']) {
      const text = readFileSync(join(dir, file), 'utf8');
      const r = await readEvidenceFromStream(Readable.from([text]), SOURCE);
      expect(r.evidence.attempts.map((a) => [a.reference, a.outcome, a.detail])).toEqual([
        [SOURCE, 'other', "can't talk to a V1 container registry"],
      ]);
      const details = judgeEvidence(r.evidence, null).verdict.details.join('\n');
      expect(details).toMatch(/\/v2\/ ping answered neither 200 nor 401 and \/v1\/_ping answered/);
      expect(details).toMatch(/429 Too Many Requests from a rate limit, e\.g\. Quay's nginx/);
    }
  });

  it("the HTML page's line breaks stay out of the detail; the final error keeps them", async () => {
    const cases: [string, string | null][] = [
      ['rate-limited-html-mirror/cri-client.describe-pod.txt', null],
      ['rate-limited-html-mirror/grpc-prefix.get-events.txt', null],
      ['rate-limited-html-source/podman-error.txt', SOURCE],
    ];
    for (const [file, image] of cases) {
      const text = readFileSync(join(EVENTS, file), 'utf8');
      expect(text).toContain('StatusCode: 429, <html>\r\n<head>');
      const r = await readEvidenceFromStream(Readable.from([text]), image);
      const limited = r.evidence.attempts.filter((a) => a.outcome === 'rate-limited');
      expect(limited.length, file).toBe(1);
      expect(limited[0]?.detail).toMatch(HTML_WORDS);
      expect(r.evidence.finalError).toMatch(/StatusCode: 429, <html>\r?\n<head><title>429 Too Many Requests/);
    }
  });

  /** The lab captures of podman backing off with no Retry-After, one per mode (the ping ones too). */
  const BACKOFF_CAPTURES = [
    'rate-limited-backoff-html-source',
    'rate-limited-backoff-harbor-source',
    'rate-limited-backoff-ping-source',
    'rate-limited-backoff-ping-v1-source',
    'rate-limited-backoff-ping-mirror',
  ];

  it('a log cut at any back-off of any mode (the ping ones too) names the 429 of the candidate tried', async () => {
    for (const dir of BACKOFF_CAPTURES) {
      const lines = readFileSync(join(LAB, dir, 'output.log'), 'utf8').split('\n');
      const backoffs = lines.flatMap((l, i) => (/Too many requests to \S+: sleeping for/.test(l) ? [i] : []));
      // the first back-off (a check stopped after 2 s) and the last one (stopped late, e.g. during /v1/_ping's)
      for (const cut of [backoffs[0], backoffs.at(-1)]) {
        expect(cut, dir).toBeGreaterThan(0);
        const r = await readEvidenceFromStream(Readable.from([lines.slice(0, (cut ?? 0) + 1).join('\n')]));
        const last = r.evidence.attempts.at(-1);
        expect(last?.reference, dir).toBe(dir.endsWith('mirror') ? MIRROR : SOURCE);
        expect(last?.outcome, `${dir} cut at line ${cut}`).toBe('rate-limited');
        expect(last?.detail).toMatch(
          /^the log ends before this candidate's outcome \(truncated log\?\); it had answered 429 Too Many Requests \d/,
        );
      }
    }
  });

  it('without Retry-After: 2/4/8/16 s per limited request; how long each mode keeps podman busy', () => {
    const seconds = (dir: string): number =>
      (JSON.parse(readFileSync(join(LAB, dir, 'outcome.json'), 'utf8')) as { seconds: number }).seconds;
    for (const dir of BACKOFF_CAPTURES) {
      const limited = requests(join(LAB, dir, 'registry-side.log')).filter((q) => q.status === 429);
      expect(limited.length % 5, dir).toBe(0);
      for (let g = 0; g < limited.length / 5; g++) {
        const group = limited.slice(g * 5, g * 5 + 5);
        group.slice(1).forEach((q, i) => {
          const gap = (q.at - (group[i]?.at ?? 0)) / 1000;
          expect(gap, dir).toBeGreaterThanOrEqual(2 ** (i + 1) - 0.05);
          expect(gap, dir).toBeLessThan(2 ** (i + 1) + 1.5);
        });
      }
    }
    // one limited request, one walk: ~30 s
    expect(seconds('rate-limited-backoff-html-source')).toBeGreaterThanOrEqual(30);
    expect(seconds('rate-limited-backoff-html-source')).toBeLessThan(40);
    expect(seconds('rate-limited-backoff-ping-v1-source')).toBeGreaterThanOrEqual(30);
    expect(seconds('rate-limited-backoff-ping-v1-source')).toBeLessThan(40);
    // the /v2/ ping and then /v1/_ping, each backed off: ~60 s, one walk
    expect(seconds('rate-limited-backoff-ping-source')).toBeGreaterThanOrEqual(60);
    expect(seconds('rate-limited-backoff-ping-source')).toBeLessThan(75);
    expect(seconds('rate-limited-backoff-ping-mirror')).toBeGreaterThanOrEqual(60);
    expect(seconds('rate-limited-backoff-ping-mirror')).toBeLessThan(75);
    // a retryable errcode: 4 walks, past the live check's default 120 s deadline
    expect(seconds('rate-limited-backoff-harbor-source')).toBeGreaterThanOrEqual(123);
  });
});
