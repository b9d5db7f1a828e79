// The kubelet-event corpus comes from real podman runs: each main cause of a failed pull is pulled for real in
// the lab, and its final `Error:` text (the containers/image error CRI-O also returns) is wrapped the ways CRI-O
// and the kubelet wrap it. Every run checks that the event parser reads from the wrapped texts the same
// candidates, in the same order and with the same outcomes, as the debug-log parser reads from the full log of
// that same run, and that the stored corpus still says what this run says (texts equal but for the run's lab
// directory; the same candidates, outcomes and retries). With CORPUS_WRITE=1 the texts are (re)written to
// test/fixtures/kubelet-events/, which the unit tests read. The rate-limited scenarios pull from the lab's 429
// stand-in (rate-limited-registry.ts); their folders also keep podman's whole debug log and the stand-in's requests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../src/files/log-lines.ts';
import { parseEventText } from '../../src/domain/evidence/event-parser.ts';
import type { AttemptOutcome } from '../../src/domain/evidence/evidence-types.ts';
import { describePod, getEvents, inspectFailedEvent, wrapPullError } from '../helpers/kubelet-wrap.ts';
import type { KubeletGeneration } from '../helpers/kubelet-wrap.ts';
import { HEADER, Lab, MA, MAUTH, MB, MDOWN, MRATE, MUNTRUSTED, SRC } from './lab.ts';
import type { RateLimitMode } from './rate-limited-registry.ts';

const OUT = join(import.meta.dirname, '../fixtures/kubelet-events');
const WRITE = process.env.CORPUS_WRITE === '1';
const DISCONNECTED = 'quay.nxdomain.test/repo';

let lab: Lab;
beforeAll(async () => {
  lab = await Lab.start();
}, 180_000);
afterAll(async () => {
  await lab?.stop();
}, 60_000);

function idms(location: string, blocked: boolean, ...mirrors: string[]): string {
  return (
    `\n[[registry]]\n  prefix = ""\n  location = "${location}"\n` +
    `${blocked ? '  blocked = true\n' : ''}` +
    mirrors
      .map((m) => `\n  [[registry.mirror]]\n    location = "${m}"\n    pull-from-mirror = "digest-only"\n`)
      .join('')
  );
}

interface Scenario {
  name: string;
  what: string;
  conf: string;
  ref: () => string;
  extra?: () => string[];
  header?: string;
  /** The cause the triage names; for podman logs without attempts (short names, policy) the single outcome. */
  expect: AttemptOutcome[];
  /**
   * Start the 429 stand-in first, with this Retry-After header: "0" keeps containers/image's 5 attempts per
   * request back to back (without the header it backs off 2+4+8+16 s per request: see capture-rate-limit-backoff.ts).
   */
  retryAfter?: string;
  /**
   * What the debug log of the same run reads where it knows more than the error text: the log shows the 429 on the
   * /v2/ ping that containers/image's "can't talk to a V1 container registry" hides. Default: `expect`.
   */
  fromLog?: AttemptOutcome[];
  /** Which requests the 429 stand-in limits, with which body (rate-limited-registry.ts); default manifest-json. */
  mode?: RateLimitMode;
}

const D = (): string => lab.digest;
const scenarios: Scenario[] = [
  {
    name: 'not-mirrored',
    what: 'digest pull, IDMS mirrors do not hold the image, the source is unresolvable (disconnected)',
    conf: idms(DISCONNECTED, false, `${MA}/empty/repo`, `${MB}/empty/repo`),
    ref: () => `${DISCONNECTED}/exampleimage@${D()}`,
    expect: ['manifest-unknown', 'manifest-unknown', 'dns'],
  },
  {
    name: 'unauthorized',
    what: 'the mirror needs credentials the node does not have; NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MAUTH}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['unauthorized', 'blocked'],
  },
  {
    name: 'x509',
    what: "the mirror's certificate is not trusted by the node; NeverContactSource",
    conf: idms(`${SRC}/repo`, true, `${MUNTRUSTED}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['tls', 'blocked'],
  },
  {
    name: 'mirror-down',
    what: 'nothing listens at the mirror; NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MDOWN}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['connection-refused', 'blocked'],
  },
  {
    name: 'registry-down',
    what: 'no mirror; the source registry refuses connections (CRI-O: RegistryUnavailable)',
    conf: '',
    ref: () => `${MDOWN}/repo/exampleimage@${D()}`,
    expect: ['connection-refused'],
  },
  {
    name: 'tag-pull-digest-only-mirror',
    what: 'tag pull; the IDMS mirror holds the image but is digest-only; the source is unresolvable',
    conf: idms(DISCONNECTED, false, `${MA}/mirror/repo`),
    ref: () => `${DISCONNECTED}/exampleimage:latest`,
    expect: ['dns'],
  },
  {
    name: 'blocked-source',
    what: 'digest pull; the source is blocked (image.config blockedRegistries) and no mirror is configured for it',
    conf: `\n[[registry]]\n  prefix = ""\n  location = "${SRC}/repo"\n  blocked = true\n`,
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['blocked'],
  },
  {
    name: 'tag-pull-blocked-source',
    what: 'tag pull; the IDMS mirror is digest-only; the source is blocked (NeverContactSource)',
    conf: idms(`${SRC}/repo`, true, `${MA}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage:latest`,
    expect: ['blocked'],
  },
  {
    name: 'all-candidates-fail',
    what: 'a digest that exists nowhere: manifest unknown, refused, untrusted TLS, manifest unknown',
    conf:
      `\n[[registry]]\n  prefix = ""\n  location = "${SRC}/repo"\n  mirror-by-digest-only = true\n` +
      [`${MA}/mirror/repo`, `${MDOWN}/mirror/repo`, `${MUNTRUSTED}/mirror/repo`]
        .map((m) => `\n  [[registry.mirror]]\n    location = "${m}"\n`)
        .join(''),
    ref: () => `${SRC}/repo/exampleimage@sha256:6076a05fe8007697245a5ae8eb2d60029c924e553979e9791482909694e5bead`,
    expect: ['manifest-unknown', 'connection-refused', 'tls', 'manifest-unknown'],
  },
  {
    name: 'rate-limited-mirror',
    what:
      'the IDMS mirror answers every manifest request with 429 TOOMANYREQUESTS (Retry-After: 0); ' +
      'NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MRATE}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['rate-limited', 'blocked'],
    retryAfter: '0',
  },
  {
    name: 'rate-limited-source',
    what: 'no mirror; the source answers every manifest request with 429 TOOMANYREQUESTS (Retry-After: 0), a tag pull',
    conf: '',
    ref: () => `${MRATE}/library/exampleimage:latest`,
    expect: ['rate-limited'],
    retryAfter: '0',
  },
  {
    name: 'rate-limited-html-mirror',
    what:
      "the IDMS mirror answers every manifest request with 429 and nginx's HTML page, as Quay's nginx rate limit " +
      'does (Retry-After: 0); NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MRATE}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['rate-limited', 'blocked'],
    retryAfter: '0',
    mode: 'manifest-html',
  },
  {
    name: 'rate-limited-html-source',
    what:
      "no mirror; the source answers every manifest request with 429 and nginx's HTML page (Quay's nginx), " +
      'a tag pull',
    conf: '',
    ref: () => `${MRATE}/library/exampleimage:latest`,
    expect: ['rate-limited'],
    retryAfter: '0',
    mode: 'manifest-html',
  },
  {
    name: 'rate-limited-harbor-mirror',
    what:
      "the IDMS mirror is a Harbor proxy cache answering manifests with 429 and Harbor's TOO_MANY_REQUEST JSON " +
      '(Retry-After: 0); NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MRATE}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['rate-limited', 'blocked'],
    retryAfter: '0',
    mode: 'manifest-harbor',
  },
  {
    name: 'rate-limited-ping-mirror',
    what:
      'the IDMS mirror answers every request, the /v2/ ping included, with 429 TOOMANYREQUESTS (Retry-After: 0); ' +
      'NeverContactSource',
    conf: idms(`${SRC}/repo`, true, `${MRATE}/mirror/repo`),
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    expect: ['rate-limited', 'blocked'],
    retryAfter: '0',
    mode: 'all-json',
  },
  {
    name: 'rate-limited-ping-source',
    what: 'no mirror; the source answers every request, the /v2/ ping included, with 429 TOOMANYREQUESTS, a tag pull',
    conf: '',
    ref: () => `${MRATE}/library/exampleimage:latest`,
    expect: ['rate-limited'],
    retryAfter: '0',
    mode: 'all-json',
  },
  {
    name: 'rate-limited-ping-v1-source',
    what:
      "no mirror; the source's /v2/ ping answers 429 with nginx's HTML page and /v1/_ping 200 (Quay's nginx), " +
      'a tag pull',
    conf: '',
    ref: () => `${MRATE}/library/exampleimage:latest`,
    expect: ['other'],
    fromLog: ['rate-limited'],
    retryAfter: '0',
    mode: 'ping-html',
  },
  {
    name: 'short-name-ambiguous',
    what: 'short name, two search registries, short-name-mode enforcing, no TTY',
    header: `unqualified-search-registries = ["${MA}", "${MB}"]\nshort-name-mode = "enforcing"\n`,
    conf: '',
    ref: () => 'exampleimage:latest',
    expect: ['short-name-ambiguous'],
  },
  {
    name: 'rejected-by-policy',
    what: 'policy.json rejects the source repository (signature policy)',
    conf: '',
    ref: () => `${SRC}/repo/exampleimage@${D()}`,
    extra: () => [
      '--signature-policy',
      lab.writeScenarioFile(
        'reject-policy.json',
        JSON.stringify({
          default: [{ type: 'insecureAcceptAnything' }],
          transports: { docker: { [`${SRC}/repo`]: [{ type: 'reject' }] } },
        }),
      ),
    ],
    expect: ['rejected-by-policy'],
  },
];

/** podman's final error: from the last `Error: ` line to the end (multi-line when mirrors failed). */
function finalError(log: string): string {
  const at = log.lastIndexOf('\nError: ');
  if (at < 0) throw new Error(`no final Error: line in\n${log.slice(-2000)}`);
  return log.slice(at + '\nError: '.length).replace(/\n+$/, '');
}

const GENERATIONS: KubeletGeneration[] = ['grpc-prefix', 'cri-client'];

/** What differs from run to run in a text: the run's lab directory (any temp dir), a resolver query's UDP port. */
function labFree(text: string): string {
  return text
    .replace(/(?:\/[\w.-]+)*\/icsp-lab\.[A-Za-z0-9]+\//g, '<LAB>/')
    .replace(/(read udp [\d.]+):\d+->/g, '$1:<PORT>->');
}

describe('kubelet events built from real podman runs', () => {
  for (const s of scenarios) {
    it(
      s.name,
      async () => {
        const ref = s.ref();
        const requests = s.retryAfter !== undefined ? await lab.startRateLimited(s.retryAfter, s.mode) : null;
        const r = await lab.podmanPull(`event-${s.name}`, s.conf, ref, s.extra?.() ?? [], s.header);
        expect(r.exitCode, r.log.slice(-3000)).not.toBe(0);
        const error = finalError(r.log);
        const { evidence: fromLog } = await readEvidenceFromFile(r.logFile);

        const walks = fromLog.attempts.map((a) => a.walk);
        const lastWalk = fromLog.attempts.filter((a) => a.walk === Math.max(...walks));
        const texts: Record<string, string> = { 'podman-error.txt': `${error}\n` };
        const pod = {
          namespace: 'shop',
          name: `web-${s.name}-7d9f8b6c5-x2x4q`,
          node: 'worker-1.lab.example',
          container: 'web',
          image: ref,
        };
        for (const gen of GENERATIONS) {
          const w = wrapPullError(error, ref, gen);
          texts[`${gen}.event-failed.txt`] = `${w.failedEvent}\n`;
          texts[`${gen}.waiting-errimagepull.txt`] = `${w.waitingErrImagePull.message}\n`;
          texts[`${gen}.waiting-backoff.txt`] = `${w.waitingBackOff.message}\n`;
          texts[`${gen}.describe-pod.txt`] = describePod(pod, w);
          texts[`${gen}.get-events.txt`] = getEvents(pod, w);
          if (s.name === 'short-name-ambiguous')
            texts[`${gen}.event-inspectfailed.txt`] = `${inspectFailedEvent(ref, gen)}\n`;
        }

        for (const [file, text] of Object.entries(texts)) {
          // the old kubelet's back-off message carries no error: nothing to read there
          if (file.endsWith('grpc-prefix.waiting-backoff.txt')) continue;
          // podman's own text of a short-name failure does not name the image: the CLI takes it from --image
          const e = parseEventText(text, file === 'podman-error.txt' ? ref : null);
          const got = e.attempts.map((a) => a.outcome);
          expect(got, `${file}:\n${text}`).toEqual(s.expect);
          // a policy rejection comes after the manifest was fetched: the debug log shows that candidate serving
          if (lastWalk.length > 0 && !s.expect.includes('rejected-by-policy')) {
            // the same candidates, in the same order, as the full debug log of the same run shows (its last walk:
            // podman repeats a walk whose last error is retryable; the error text is the last walk's)
            expect(
              e.attempts.map((a) => a.reference),
              file,
            ).toEqual(lastWalk.map((a) => a.reference));
            expect(lastWalk.map((a) => a.outcome)).toEqual(s.fromLog ?? s.expect);
          }
        }

        const dir = join(OUT, s.name);
        const attempts = lastWalk.map((a) => ({ reference: a.reference, outcome: a.outcome }));
        if (!WRITE) {
          // the stored corpus is what this run says: same texts (but for the run's lab directory), same reading
          for (const [file, text] of Object.entries(texts)) {
            const stored = join(dir, file);
            expect(existsSync(stored), `${stored} is missing: CORPUS_WRITE=1 npm run test:lab`).toBe(true);
            expect(labFree(readFileSync(stored, 'utf8')), stored).toBe(labFree(text));
          }
          const stored = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as {
            outcomes: AttemptOutcome[];
            attempts: typeof attempts;
            retries: number;
            exitCode: number;
          };
          expect(stored, join(dir, 'scenario.json')).toMatchObject({
            outcomes: s.expect,
            attempts,
            retries: fromLog.retries,
            exitCode: r.exitCode,
          });
          if (requests !== null) {
            // the stored debug log reads as this run's: the same walks, candidates, outcomes and words
            const { evidence: storedLog } = await readEvidenceFromFile(join(dir, 'podman-debug.log'));
            const reading = (e: typeof fromLog): unknown =>
              e.attempts.map((a) => [a.walk, a.reference, a.outcome, labFree(a.detail)]);
            expect(reading(storedLog)).toEqual(reading(fromLog));
            expect(storedLog.retries).toBe(fromLog.retries);
          }
        }

        if (WRITE) {
          mkdirSync(dir, { recursive: true });
          for (const [file, text] of Object.entries(texts)) writeFileSync(join(dir, file), text);
          if (requests !== null) {
            writeFileSync(join(dir, 'podman-debug.log'), r.log);
            writeFileSync(join(dir, 'registry-side.log'), readFileSync(requests));
          }
          writeFileSync(
            join(dir, 'scenario.json'),
            `${JSON.stringify(
              {
                what: s.what,
                image: ref,
                registriesConf: (s.header ?? HEADER) + s.conf,
                command: r.command.join(' '),
                exitCode: r.exitCode,
                outcomes: s.expect,
                attempts,
                retries: fromLog.retries,
                ...(s.retryAfter !== undefined ? { retryAfter: s.retryAfter } : {}),
                ...(s.mode !== undefined ? { mode: s.mode } : {}),
              },
              null,
              2,
            )}\n`,
          );
        }
      },
      120_000,
    );
  }
});
