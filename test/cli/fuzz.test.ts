// Seeded, time-bounded fuzzing of the CLI's inputs: policy YAML and JSON, registries.conf TOML, image references,
// podman debug logs and the argument vector. Every run must end (no hang) with exit 0, 1 or 2, no stack trace and no
// "internal error", one error object on stdout with --json, and bounded memory. The seed is printed with any
// failure; ICSP_FUZZ_SEED=<seed> replays it. ICSP_FUZZ_MS sets the time budget (default 8 s).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { fuzzFor, fuzzSeed, mutate, nearValidObject, randomValue, within } from '../helpers/fuzz.ts';
import type { Rng } from '../helpers/fuzz.ts';
import { podmanFixturePath, repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const BUDGET_MS = Number(process.env['ICSP_FUZZ_MS'] ?? 8000);
const tmp = tempDir('icsp-fuzz-');
const policySample = readFileSync(join(repoRoot, 'examples/ibm-cp-common-services-icsp.yaml'), 'utf8');
const confSample = readFileSync(podmanFixturePath('d2-tag-pull-digest-only-mirror-idms/registries.conf'), 'utf8');
const logSample = readFileSync(podmanFixturePath('b-digest-fallback-second-mirror/output.log'), 'utf8').slice(
  0,
  20_000,
);
const refs = [
  'imagestore.co/repo/exampleimage:latest',
  'quay.io/a/b@sha256:' + 'a'.repeat(64),
  'localhost:5000/x',
  'ubuntu',
  'registry-1.example.com/ns/app:v1',
  'a/b:c@sha256:' + 'f'.repeat(64),
];
const REF_CHARS = 'abcxyz019.-_/:@ABC+ \n\u001b%~';

interface Case {
  what: string;
  args: string[];
  stdin: string;
}

function policyText(r: Rng): string {
  switch (r.int(6)) {
    case 4:
      return Array.from({ length: 1 + r.int(3) }, () => JSON.stringify(nearValidObject(r))).join('\n---\n');
    case 5:
      return JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: Array.from({ length: 1 + r.int(3) }, () => nearValidObject(r)),
      });
    case 0:
      return mutate(r, policySample);
    case 1:
      return JSON.stringify(randomValue(r));
    case 2:
      return Array.from({ length: 1 + r.int(3) }, () => JSON.stringify(randomValue(r))).join('\n---\n');
    default:
      return mutate(r, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [randomValue(r), randomValue(r)] }));
  }
}

function reference(r: Rng): string {
  const base = r.pick(refs);
  switch (r.int(4)) {
    case 0:
      return r.string(REF_CHARS, 40);
    case 1:
      return `-${base}`;
    case 2:
      return mutate(r, base, 1 + r.int(2));
    default:
      return base;
  }
}

let fileNo = 0;
function file(text: string, ext: string): string {
  const p = join(tmp, `f${fileNo++ % 50}.${ext}`);
  writeFileSync(p, text);
  return p;
}

function makeCase(r: Rng): Case {
  const json = r.chance(0.5) ? ['--json'] : [];
  switch (r.int(6)) {
    case 0: {
      const text = policyText(r);
      return r.chance(0.5)
        ? {
            what: 'policies via stdin',
            args: [r.pick(['why', 'resolve']), reference(r), '--policies', '-', ...json],
            stdin: text,
          }
        : {
            what: 'policies file',
            args: [
              r.pick(['why', 'render', 'migrate-icsp', 'resolve']),
              ...(r.chance(0.5) ? [reference(r)] : []),
              '--policies',
              file(text, r.pick(['yaml', 'json'])),
              ...json,
            ],
            stdin: text,
          };
    }
    case 1:
      return {
        what: 'registries.conf',
        args: [
          r.pick(['why', 'resolve']),
          reference(r),
          '--registries-conf',
          file(mutate(r, confSample), 'conf'),
          ...json,
        ],
        stdin: '',
      };
    case 2:
      return {
        what: 'reference',
        args: [r.pick(['why', 'resolve']), reference(r), '--policies', join(repoRoot, 'examples'), ...json],
        stdin: '',
      };
    case 3: {
      const log = mutate(r, logSample, 1 + r.int(10));
      return {
        what: 'podman log',
        args: [
          'evidence',
          '-',
          ...(r.chance(0.5) ? ['--image', reference(r)] : []),
          ...(r.chance(0.3) ? ['--registries-conf', file(mutate(r, confSample), 'conf')] : []),
          ...json,
        ],
        stdin: log,
      };
    }
    case 4:
      return {
        what: 'evidence with policies',
        args: ['evidence', file(mutate(r, logSample, 3), 'log'), '--policies', file(policyText(r), 'yaml'), ...json],
        stdin: '',
      };
    default: {
      const words = [
        'why',
        'render',
        'resolve',
        'evidence',
        'migrate-icsp',
        'status',
        '--json',
        '--policies',
        '--registries-conf',
        '--layout',
        '-',
        '--',
        '-h',
        '--bogus',
        '--image',
        'x',
        join(repoRoot, 'examples'),
        reference(r),
      ];
      return {
        what: 'argv',
        args: Array.from({ length: r.int(6) }, () => r.pick(words)).filter((w) => w !== 'status'),
        stdin: '',
      };
    }
  }
}

async function run(c: Case): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => (stdout += b.toString()));
  err.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await main(c.args, { stdout: out, stderr: err, stdin: Readable.from([c.stdin]), env: {} });
  return { code, stdout, stderr };
}

describe('fuzzing the CLI inputs', () => {
  it(`survives ${BUDGET_MS} ms of generated inputs`, { timeout: BUDGET_MS + 30_000 }, async () => {
    const seed = fuzzSeed();
    const rssStart = process.memoryUsage().rss;
    let maxRss = rssStart;
    const n = await fuzzFor(BUDGET_MS, seed, async (r, i) => {
      const c = makeCase(r);
      const where =
        `seed=${seed} (ICSP_FUZZ_SEED=${seed} replays it) case #${i} ${c.what}: ` +
        `args ${JSON.stringify(c.args).slice(0, 300)} stdin ${JSON.stringify(c.stdin.slice(0, 300))}`;
      const res = await within(10_000, run(c), where);
      expect([0, 1, 2], `${where}\nexit code ${res.code}`).toContain(res.code);
      expect(res.stderr, `${where}\nstack trace or internal error`).not.toMatch(
        /\n\s+at \S|internal error|Maximum call stack|is not a function|Cannot read properties/,
      );
      if (
        c.args.includes('--json') &&
        res.code === 2 &&
        !c.args.includes('-h') &&
        !c.args.includes('--') &&
        c.args[0] !== undefined &&
        ['why', 'render', 'resolve', 'evidence', 'migrate-icsp'].includes(c.args[0])
      ) {
        expect(
          () => JSON.parse(res.stdout) as unknown,
          `${where}\n--json error without a JSON object: ${res.stdout.slice(0, 200)}`,
        ).not.toThrow();
      }
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      expect(maxRss - rssStart, `${where}\nmemory grew by ${((maxRss - rssStart) / 1e6).toFixed(0)} MB`).toBeLessThan(
        400e6,
      );
    });
    expect(n).toBeGreaterThan(20);
    console.log(
      `cli fuzz: ${n} cases in ${BUDGET_MS} ms, seed ${seed}, RSS +${((maxRss - rssStart) / 1e6).toFixed(0)} MB`,
    );
  });
});
