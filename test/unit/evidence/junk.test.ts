// Junk in, sense out: broken, mixed or foreign logs give a clear verdict (or the CLI one line), never a crash.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/domain/evidence/line-splitter.ts';
import { PodmanLogParser } from '../../../src/domain/evidence/podman-log-parser.ts';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import type { PullEvidence } from '../../../src/domain/evidence/evidence-types.ts';
import { podmanFixturesDir } from '../../helpers/shared-dir.ts';

const DIR = `${podmanFixturesDir}/`;
const fixture = (s: string): string => readFileSync(`${DIR}${s}/output.log`, 'utf8');
const B = 'b-digest-fallback-second-mirror';
const MA_EMPTY =
  '127.0.0.1:5002/empty/repo/exampleimage@sha256:db51158598841bf2db6b05852f3b05cccf746576fa58658c49cb653eaefe27bb';
const MB_HIT =
  '127.0.0.1:5003/mirror/repo/exampleimage@sha256:db51158598841bf2db6b05852f3b05cccf746576fa58658c49cb653eaefe27bb';

function parse(input: string | Uint8Array): PullEvidence {
  const p = new PodmanLogParser();
  const s = new LineSplitter((l) => p.push(l));
  s.push(typeof input === 'string' ? Buffer.from(input) : input);
  s.end();
  return p.finish();
}

/** The logrus text line as podman prints it under a pseudo-terminal (scenario y of lab.sh). */
function toTty(line: string): string {
  const m = /^time="[^"]*" level=(\w+) msg="(.*)"$/.exec(line);
  if (m === null) return `${line}\r`;
  const lvl = (m[1] ?? '').slice(0, 4).toUpperCase();
  return `\x1b[36m${lvl}\x1b[0m[0000] ${(m[2] ?? '').replace(/\\"/g, '"').padEnd(44)} \r`;
}

describe('junk in, sense out', () => {
  it('an empty log: no-attempts, "the log is empty"', () => {
    const v = judgeEvidence(parse(''), null).verdict;
    expect(v.code).toBe('no-attempts');
    expect(v.summary).toContain('empty');
  });

  it('a truncated log: the attempt cut short is reported as such', () => {
    const lines = fixture(B).split('\n');
    const cut = lines.findIndex((l) => l.includes('Trying to access') && l.includes('5003'));
    const e = parse(lines.slice(0, cut + 3).join('\n'));
    expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([
      [MA_EMPTY, 'manifest-unknown'],
      [MB_HIT, 'other'],
    ]);
    const v = judgeEvidence(e, null).verdict;
    expect(v.code).toBe('all-failed');
    expect(v.summary).toContain('truncated');
  });

  it('a log cut in the middle of a line still parses', () => {
    const text = fixture(B);
    const e = parse(text.slice(0, text.indexOf('Accessing') + 30));
    expect(e.attempts[0]?.reference).toBe(MA_EMPTY);
  });

  it('every line repeated (journal duplicates): the same attempts', () => {
    const doubled = fixture(B)
      .split('\n')
      .flatMap((l) => [l, l])
      .join('\n');
    const e = parse(doubled);
    expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([
      [MA_EMPTY, 'manifest-unknown'],
      [MB_HIT, 'served'],
    ]);
  });

  it('ANSI colours, padding and CRLF (TTY framing): the same attempts', () => {
    const tty = fixture(B).split('\n').map(toTty).join('\n');
    const e = parse(tty);
    expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([
      [MA_EMPTY, 'manifest-unknown'],
      [MB_HIT, 'served'],
    ]);
    expect(e.served?.digest).toBe('sha256:db51158598841bf2db6b05852f3b05cccf746576fa58658c49cb653eaefe27bb');
  });

  it('CRLF line ends alone', () => {
    const e = parse(fixture('m-all-candidates-fail').replace(/\n/g, '\r\n'));
    expect(e.attempts.map((a) => a.outcome)).toEqual([
      'manifest-unknown',
      'connection-refused',
      'tls',
      'manifest-unknown',
    ]);
    expect(e.finalError).not.toMatch(/\r/);
  });

  it('invalid UTF-8 bytes in the middle of lines', () => {
    const text = Buffer.from(fixture(B));
    const dirty = Buffer.concat([text.subarray(0, 5000), Buffer.from([0xc3, 0x28, 0xff]), text.subarray(5000)]);
    const e = parse(dirty);
    expect(e.served?.reference).toBe(MB_HIT);
  });

  it("interleaved with another program's output: the walk is still read", () => {
    const noise = [
      'I1127 13:10:29.123 kubelet.go:123] SyncLoop (PLEG)',
      '{"level":"info","msg":"PullImage"}',
      '+ set -x',
      '',
    ];
    const mixed = fixture(B)
      .split('\n')
      .flatMap((l, i) => [l, noise[i % noise.length] ?? ''])
      .join('\n');
    expect(parse(mixed).attempts.map((a) => a.outcome)).toEqual(['manifest-unknown', 'served']);
  });

  it('a failure line that arrives after the next candidate started (out of order) still counts', () => {
    const log = [
      'time="t" level=debug msg="Trying to access \\"m.io/a@sha256:1\\""',
      'time="t" level=debug msg="Trying to access \\"s.io/a@sha256:1\\""',
      'time="t" level=debug msg="Accessing \\"m.io/a@sha256:1\\" failed: pinging container registry ' +
        'm.io: Get \\"https://m.io/v2/\\": dial tcp: lookup m.io on 10.0.0.1:53: no such host"',
      'time="t" level=debug msg="Content-Type from manifest GET is \\"application/vnd.oci.image.manifest.v1+json\\""',
      'time="t" level=debug msg="Pulled candidate s.io/a@sha256:1 successfully"',
    ].join('\n');
    expect(parse(log).attempts.map((a) => a.outcome)).toEqual(['dns', 'served']);
  });

  it('a log of another tool: no-attempts, says it is not a podman/skopeo log', () => {
    const v = judgeEvidence(
      parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')),
      null,
    ).verdict;
    expect(v.code).toBe('no-attempts');
    expect(v.summary).toContain('not a podman/skopeo debug log');
  });

  it('binary garbage: no crash, no-attempts', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256);
    expect(judgeEvidence(parse(bytes), null).verdict.code).toBe('no-attempts');
  });

  it('a pull log without debug lines asks for --log-level debug', () => {
    const plain = fixture('a-digest-mirror-hit')
      .split('\n')
      .filter((l) => !l.startsWith('time='))
      .join('\n');
    const v = judgeEvidence(parse(plain), null).verdict;
    expect(v.code).toBe('no-attempts');
    expect(v.summary).toContain('--log-level debug');
  });

  it('retries: repeated walks are numbered, the verdict uses the last one', () => {
    const walk = [
      'time="t" level=debug msg="Trying to access \\"m.io/a/x@sha256:1\\""',
      'time="t" level=debug msg="Accessing \\"m.io/a/x@sha256:1\\" failed: reading ' +
        'manifest sha256:1 in m.io/a/x: manifest unknown: manifest unknown"',
      'time="t" level=debug msg="Trying to access \\"s.io/a/x@sha256:1\\""',
      'time="t" level=debug msg="Accessing \\"s.io/a/x@sha256:1\\" failed: pinging container registry ' +
        's.io: Get \\"https://s.io/v2/\\": dial tcp 10.0.0.1:443: connect: connection refused"',
    ];
    const log = [
      'Trying to pull s.io/a/x@sha256:1...',
      ...walk,
      'time="t" level=warning msg="Failed, retrying in 1s ... (1/3). Error: x"',
      ...walk,
      'Error: x',
    ].join('\n');
    const e = parse(log);
    expect(e.attempts.map((a) => a.walk)).toEqual([1, 1, 2, 2]);
    expect(e.retries).toBe(1);
    const v = judgeEvidence(e, null).verdict;
    expect(v.code).toBe('all-failed');
    expect(v.details.join('\n')).toContain('2 time(s)');
  });

  it('memory stays bounded: a log of many pulls keeps only the most recent walks', () => {
    const one = fixture('c-digest-fallback-to-source');
    const p = new PodmanLogParser();
    const s = new LineSplitter((l) => p.push(l));
    for (let i = 0; i < 200; i++) s.push(Buffer.from(one));
    s.end();
    const e = p.finish();
    expect(e.attempts.length).toBeLessThanOrEqual(16 * 3);
    expect(e.stats.droppedAttempts).toBe(200 * 3 - e.attempts.length);
  });
});
