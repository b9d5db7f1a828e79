// The event parser against the corpus of test/fixtures/kubelet-events (real podman errors from the lab, wrapped
// as CRI-O and the kubelet wrap them; regenerate with CORPUS_WRITE=1 npm run test:lab), plus one case per
// outcome class.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readEvidenceFromStream } from '../../../src/files/log-lines.ts';
import { parseEventText, parseCImageError } from '../../../src/domain/evidence/event-parser.ts';
import { ATTEMPT_OUTCOMES } from '../../../src/domain/evidence/evidence-types.ts';
import type { AttemptOutcome } from '../../../src/domain/evidence/evidence-types.ts';
import { judgeEvidence } from '../../../src/domain/evidence/evidence-verdict.ts';
import { PullTextParser } from '../../../src/domain/evidence/pull-text-parser.ts';

const CORPUS = join(import.meta.dirname, '../../fixtures/kubelet-events');

interface Scenario {
  image: string;
  outcomes: AttemptOutcome[];
  attempts: { reference: string; outcome: AttemptOutcome }[];
}

const scenarios = readdirSync(CORPUS).sort();

describe('kubelet event corpus (real podman errors, wrapped)', () => {
  it('has the main causes', () => {
    expect(scenarios).toEqual(
      expect.arrayContaining([
        'not-mirrored',
        'unauthorized',
        'x509',
        'mirror-down',
        'registry-down',
        'tag-pull-digest-only-mirror',
        'blocked-source',
        'short-name-ambiguous',
        'rejected-by-policy',
        'all-candidates-fail',
        'rate-limited-mirror',
        'rate-limited-source',
        'rate-limited-html-mirror',
        'rate-limited-html-source',
        'rate-limited-harbor-mirror',
        'rate-limited-ping-mirror',
        'rate-limited-ping-source',
        'rate-limited-ping-v1-source',
      ]),
    );
  });

  for (const name of scenarios) {
    const dir = join(CORPUS, name);
    const s = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as Scenario;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort()) {
      it(`${name}/${file}`, async () => {
        const text = readFileSync(join(dir, file), 'utf8');
        const image = file === 'podman-error.txt' ? s.image : null;
        const read = await readEvidenceFromStream(Readable.from([text]), image);
        if (file === 'grpc-prefix.waiting-backoff.txt') {
          // kubelets before the cri-client say only "Back-off pulling image X" in the waiting message
          expect(read.kind).toBe('event');
          expect(read.evidence.attempts).toEqual([]);
          expect(judgeEvidence(read.evidence, null).verdict.summary).toMatch(/carries no pull error/);
          return;
        }
        expect(read.kind).toBe('event');
        expect(read.evidence.tool).toBe('kubelet');
        expect(read.evidence.attempts.map((a) => a.outcome)).toEqual(s.outcomes);
        if (!s.outcomes.includes('rejected-by-policy') && !s.outcomes.includes('short-name-ambiguous')) {
          // the candidates of the debug log's last walk, in order (their outcomes are s.outcomes, checked above:
          // the debug log can know more, e.g. the 429 behind "can't talk to a V1 container registry")
          expect(read.evidence.attempts.map((a) => a.reference)).toEqual(s.attempts.map((a) => a.reference));
        }
        expect(read.evidence.finalError).not.toBeNull();
        expect(read.evidence.finalError).not.toMatch(
          /^rpc error|^Failed to|^Back-off|^image pull failed|^RegistryUnavailable/,
        );
        expect(read.event?.image).toBe(s.image);
        expect(judgeEvidence(read.evidence, null).verdict.code).toBe(
          name === 'rejected-by-policy' ? 'rejected-by-policy' : 'all-failed',
        );
        if (file.includes('describe-pod')) {
          expect(read.event?.pod).toEqual({
            namespace: 'shop',
            name: expect.stringContaining(name) as string,
            node: 'worker-1.lab.example',
          });
          expect(read.event?.reasons).toEqual(expect.arrayContaining(['ErrImagePull', 'ImagePullBackOff']));
        }
        if (
          file.startsWith('grpc-prefix') &&
          file !== 'grpc-prefix.event-inspectfailed.txt' &&
          !file.includes('podman')
        ) {
          expect(read.event?.grpcPrefix).toBe(true);
        }
        if (name === 'registry-down' && file.startsWith('cri-client'))
          expect(read.event?.criClass).toBe('RegistryUnavailable');
      });
    }
  }

  it('reads the message out of `oc get events -o json`', () => {
    const s = JSON.parse(readFileSync(join(CORPUS, 'not-mirrored/scenario.json'), 'utf8')) as Scenario;
    const message = readFileSync(join(CORPUS, 'not-mirrored/grpc-prefix.event-failed.txt'), 'utf8').trimEnd();
    const json = JSON.stringify(
      { kind: 'EventList', items: [{ kind: 'Event', reason: 'Failed', type: 'Warning', message }] },
      null,
      2,
    );
    const e = parseEventText(json);
    expect(e.attempts.map((a) => ({ reference: a.reference, outcome: a.outcome }))).toEqual(s.attempts);
  });

  it('picks the asked-for image out of a paste naming several', () => {
    const a = readFileSync(join(CORPUS, 'x509/cri-client.event-failed.txt'), 'utf8');
    const b = readFileSync(join(CORPUS, 'not-mirrored/cri-client.event-failed.txt'), 'utf8');
    const sa = JSON.parse(readFileSync(join(CORPUS, 'x509/scenario.json'), 'utf8')) as Scenario;
    const sb = JSON.parse(readFileSync(join(CORPUS, 'not-mirrored/scenario.json'), 'utf8')) as Scenario;
    expect(parseEventText(a + b, sa.image).attempts.map((x) => x.outcome)).toEqual(sa.outcomes);
    expect(parseEventText(a + b, sb.image).attempts.map((x) => x.outcome)).toEqual(sb.outcomes);
    expect(parseEventText(a + b).event.images.map((x) => x.image)).toEqual([sa.image, sb.image]);
  });
});

describe('one case per outcome class', () => {
  const M = 'mirror.corp:5000/ns/app@sha256:1111111111111111111111111111111111111111111111111111111111111111';
  const S = 'quay.io/ns/app@sha256:1111111111111111111111111111111111111111111111111111111111111111';
  // texts after "failed: " in containers/image's words (catalogue of ../shared/fixtures/podman/README.md and
  // registry error codes); rate-limited and forbidden are the distribution spec's TOOMANYREQUESTS / DENIED codes
  const cases: [AttemptOutcome, string][] = [
    ['manifest-unknown', `reading manifest sha256:1111 in mirror.corp:5000/ns/app: manifest unknown: manifest unknown`],
    ['unauthorized', `reading manifest sha256:1111 in mirror.corp:5000/ns/app: unauthorized: authentication required`],
    [
      'forbidden',
      `reading manifest sha256:1111 in mirror.corp:5000/ns/app: denied: requested access to the resource is denied`,
    ],
    [
      'tls',
      'pinging container registry mirror.corp:5000: Get "https://mirror.corp:5000/v2/": tls: ' +
        'failed to verify certificate: x509: certificate signed by unknown authority',
    ],
    [
      'connection-refused',
      'pinging container registry mirror.corp:5000: Get ' +
        '"https://mirror.corp:5000/v2/": dial tcp 10.0.0.9:5000: connect: connection refused',
    ],
    [
      'unreachable',
      'pinging container registry mirror.corp:5000: Get ' +
        '"https://mirror.corp:5000/v2/": dial tcp 10.0.0.9:5000: connect: no route to host',
    ],
    [
      'dns',
      'pinging container registry mirror.corp:5000: Get "https://mirror.corp:5000/v2/' +
        '": dial tcp: lookup mirror.corp on 172.30.0.10:53: no such host',
    ],
    [
      'timeout',
      'pinging container registry mirror.corp:5000: Get ' +
        '"https://mirror.corp:5000/v2/": dial tcp 10.0.0.9:5000: i/o timeout',
    ],
    [
      'rate-limited',
      'reading manifest sha256:1111 in mirror.corp:5000/ns/app: toomanyrequests: You have reached your pull rate limit',
    ],
    [
      'other',
      'reading manifest sha256:1111 in mirror.corp:5000/ns/app: received ' +
        'unexpected HTTP status: 500 Internal Server Error',
    ],
  ];
  for (const [outcome, err] of cases) {
    it(outcome, () => {
      const text =
        `Failed to pull image "${S}": rpc error: code = Unknown desc = initializing source ` +
        `docker://${S}: (Mirrors also failed: [${M}: ${err}]): ${S}: registry quay.io/ns is ` +
        `blocked in /etc/containers/registries.conf or /etc/containers/registries.conf.d`;
      const e = parseEventText(text);
      expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([
        [M, outcome],
        [S, 'blocked'],
      ]);
      expect(e.attempts[0]?.detail).toBe(err);
    });
  }
  it('other network failures stay unreachable; a refused connection is connection-refused', () => {
    const ping = 'pinging container registry mirror.corp:5000: Get "https://mirror.corp:5000/v2/": ';
    const outcomes = [
      'dial tcp 10.0.0.9:5000: connect: network is unreachable',
      'read tcp 10.0.0.1:41234->10.0.0.9:5000: read: connection reset by peer',
      'dial tcp 10.0.0.9:5000: connect: no route to host',
      'dial tcp 10.0.0.9:5000: connect: connection refused',
      // through a proxy that refuses: still refused
      'proxyconnect tcp: dial tcp 10.0.0.3:3128: connect: connection refused',
      // the resolver refused: a DNS failure, not the registry
      'dial tcp: lookup mirror.corp on 172.30.0.10:53: read udp ' +
        '10.0.0.1:5353->172.30.0.10:53: read: connection refused',
    ].map((err) => {
      const text =
        `Failed to pull image "${S}": initializing source docker://${S}: (Mirrors also ` +
        `failed: [${M}: ${ping}${err}]): ${S}: registry quay.io/ns is blocked in ` +
        `/etc/containers/registries.conf or /etc/containers/registries.conf.d`;
      return parseEventText(text).attempts[0]?.outcome;
    });
    expect(outcomes).toEqual([
      'unreachable',
      'unreachable',
      'unreachable',
      'connection-refused',
      'connection-refused',
      'dns',
    ]);
  });
  it('rejected-by-policy (SignatureValidationFailed)', () => {
    const e = parseEventText(
      `image pull failed for ${S} because the signature validation failed: Source ` +
        `image rejected: A signature was required, but no signature exists`,
    );
    expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([[S, 'rejected-by-policy']]);
    expect(e.event.criClass).toBe('SignatureValidationFailed');
  });
  it('short-name-ambiguous (InspectFailed, CRI-O 1.34)', () => {
    const e = parseEventText(
      'Failed to inspect image "": rpc error: code = Unknown desc = short name ' +
        'mode is enforcing, but image name app:1 returns ambiguous list',
    );
    expect(e.attempts.map((a) => [a.reference, a.outcome])).toEqual([['app:1', 'short-name-ambiguous']]);
    expect(e.event.kinds).toEqual(['inspect-failed']);
  });
  it('every outcome class is covered', () => {
    const covered = new Set<string>([
      ...cases.map(([o]) => o),
      'blocked',
      'rejected-by-policy',
      'short-name-ambiguous',
      'served',
    ]);
    expect(ATTEMPT_OUTCOMES.filter((o) => !covered.has(o))).toEqual([]);
  });
});

describe('error-text edge cases', () => {
  it('a `]` inside a mirror error (IPv6 address) does not end the entry', () => {
    const r = parseCImageError(
      'initializing source docker://q.io/a/b:1: (Mirrors also failed: [[fd00::1]:5000/a/b:1: pinging ' +
        'container registry [fd00::1]:5000: Get "https://[fd00::1]:5000/v2/": dial tcp [fd00::1]:5000: connect: ' +
        'connection refused]\n[m2.corp/a/b:1: reading manifest 1 in m2.corp/a/b: manifest unknown: manifest ' +
        'unknown]): q.io/a/b:1: pinging container registry q.io: Get "https://q.io/v2/": dial tcp: lookup q.io: ' +
        'no such host',
      null,
    );
    expect(r.logical).toBe('q.io/a/b:1');
    expect(r.attempts.map((a) => [a.reference, a.outcome])).toEqual([
      ['[fd00::1]:5000/a/b:1', 'connection-refused'],
      ['m2.corp/a/b:1', 'manifest-unknown'],
      ['q.io/a/b:1', 'dns'],
    ]);
  });
  it('a repository named like an error does not decide the class', () => {
    const e = parseEventText(
      'Failed to pull image "q.io/x509-tools/app:1": initializing source docker://q.io/x509-tools/app:' +
        '1: reading manifest 1 in q.io/x509-tools/app: manifest unknown: manifest unknown',
    );
    expect(e.attempts.map((a) => a.outcome)).toEqual(['manifest-unknown']);
  });
  it('a debug log stays a debug log; a plain podman stderr without debug lines is read as an error text', () => {
    const log = new PullTextParser();
    log.push('time="2026-11-27T13:11:10Z" level=debug msg="Trying to access \\"q.io/a/b:1\\""');
    log.push(
      'Error: initializing source docker://q.io/a/b:1: reading manifest ' +
        '1 in q.io/a/b: manifest unknown: manifest unknown',
    );
    expect(log.finish().kind).toBe('log');
    const plain = new PullTextParser();
    plain.push(
      'Error: initializing source docker://q.io/a/b:1: reading manifest ' +
        '1 in q.io/a/b: manifest unknown: manifest unknown',
    );
    const r = plain.finish();
    expect(r.kind).toBe('event');
    expect(r.evidence.attempts.map((a) => a.outcome)).toEqual(['manifest-unknown']);
  });
  it('junk stays bounded and says nothing', () => {
    const e = parseEventText('Failed to pull image "'.repeat(10_000));
    expect(e.attempts).toEqual([]);
    expect(e.event.images.length).toBeLessThanOrEqual(32);
  });
});
