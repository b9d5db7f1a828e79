// Hostile input on the CLI: alias bombs, cycles, oversized stdin/files, FIFOs, objects without spec or with fields of
// the wrong type, option-like references, control characters. Each one exits 2 with one line (and the JSON error
// object with --json), never a stack trace.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const tmp = tempDir('icsp-bounds-');
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

async function run(
  args: string[],
  opts: { stdin?: Readable | string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const stdin =
    typeof opts.stdin === 'string' || opts.stdin === undefined ? Readable.from([opts.stdin ?? '']) : opts.stdin;
  const code = await main(args, { stdout: out, stderr: err, stdin, env: opts.env ?? {} });
  return { code, stdout, stderr };
}

/** Exit 2, exactly one stderr line, no stack trace; with --json also the error object on stdout. */
function expectInputError(r: { code: number; stdout: string; stderr: string }, json = false): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError|RangeError|Maximum call stack/);
  if (json) {
    const j = JSON.parse(r.stdout) as { error: { stage: string; message: string } };
    expect(typeof j.error.message).toBe('string');
    expect(j.error.message).not.toMatch(/\n/);
  }
  return r.stderr;
}

const ICSP = (name: string, body: string): string =>
  `apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata:\n  name: ${name}\n${body}`;

const LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
].join('\n');

describe('YAML aliases', () => {
  it('refuses a billion-laughs document in kind: List items', async () => {
    const p = file('laughs.yaml', `kind: List\napiVersion: v1\n${LAUGHS}\nitems: [*i, *i, *i]\n`);
    const e = expectInputError(await run(['why', 'quay.io/a/b:1', '--policies', p, '--json']), true);
    expect(e).toMatch(/aliases expand to more than 100000 nodes/);
  });

  it('refuses a billion-laughs value in apiVersion without expanding it for the message', async () => {
    const p = file(
      'laughs-api.yaml',
      `${LAUGHS}\nkind: ImageContentSourcePolicy\napiVersion: *i\nmetadata: {name: x}\n`,
    );
    expectInputError(await run(['render', '--policies', p]));
  });

  it('names ICSP_YAML_MAX_ALIASES when there are too many aliases', async () => {
    const p = file('many.yaml', `a: &a x\nb: [${Array.from({ length: 20 }, () => '*a').join(',')}]\n`);
    const e = expectInputError(await run(['render', '--policies', p], { env: { ICSP_YAML_MAX_ALIASES: '10' } }));
    expect(e).toContain('ICSP_YAML_MAX_ALIASES');
  });

  it('refuses self-referencing anchors (a cycle) with one line', async () => {
    const p = file('cycle.yaml', 'kind: List\napiVersion: v1\nitems: &a [ {kind: List, items: *a} ]\n');
    const e = expectInputError(await run(['why', 'quay.io/a/b:1', '--policies', p]));
    expect(e).toContain('cycle');
  });

  it('accepts ordinary aliases', async () => {
    const p = file(
      'ok-alias.yaml',
      ICSP(
        'ok',
        'spec:\n  repositoryDigestMirrors:\n  - source: quay.io/a\n    mirrors: &m ' +
          '[m.example.com/a]\n  - source: quay.io/b\n    mirrors: *m\n',
      ),
    );
    const r = await run(['resolve', 'quay.io/b/c@sha256:' + 'a'.repeat(64), '--policies', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('m.example.com/a');
  });
});

describe('sizes and file types', () => {
  it('stops reading stdin at ICSP_MAX_INPUT_BYTES', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 65536;
        this.push(Buffer.alloc(65536, 0x20));
      },
    });
    const e = expectInputError(
      await run(['render', '--policies', '-'], { stdin: endless, env: { ICSP_MAX_INPUT_BYTES: String(1024 * 1024) } }),
    );
    expect(e).toContain('input larger than 1 MiB');
    expect(produced).toBeLessThan(4 * 1024 * 1024);
  });

  it('refuses a file over the cap before reading it', async () => {
    const p = file('big.yaml', `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const e = expectInputError(
      await run(['render', '--policies', p, '--json'], { env: { ICSP_MAX_INPUT_BYTES: String(1024 * 1024) } }),
      true,
    );
    expect(e).toContain('ICSP_MAX_INPUT_BYTES');
  });

  it('refuses a malformed ICSP_MAX_INPUT_BYTES', async () => {
    expectInputError(await run(['render', '--policies', tmp], { env: { ICSP_MAX_INPUT_BYTES: '64M' } }));
  });

  it('skips a FIFO in a directory and refuses one as --registries-conf (no hang)', async () => {
    const dir = join(tmp, 'with-fifo');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'a.yaml'),
      ICSP('a', 'spec:\n  repositoryDigestMirrors:\n  - source: quay.io/a\n    mirrors: [m.example.com/a]\n'),
    );
    await promisify(execFile)('mkfifo', [join(dir, 'trap.yaml')]);
    const r = await run(['render', '--policies', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('trap.yaml: skipped: not a regular file');
    const c = expectInputError(
      await run(['why', 'quay.io/a/b:1', '--registries-conf', join(dir, 'trap.yaml'), '--json']),
      true,
    );
    expect(c).toContain('not a regular file');
    const ev = await run(['evidence', '-', '--registries-conf', join(dir, 'trap.yaml'), '--json']);
    expectInputError(ev, true);
  });

  it('reads a file of 200k documents without an argument-spread crash', { timeout: 120_000 }, async () => {
    // 200k skipped objects: 200k warnings; push(...spread) of more than ~125k items overflows the stack.
    const doc = '--- {kind: C, metadata: {name: c}}\n';
    const p = file(
      'many-docs.yaml',
      doc.repeat(200_000) +
        '---\n' +
        ICSP('last', 'spec:\n  repositoryDigestMirrors:\n  - source: quay.io/a\n    mirrors: [m.example.com/a]\n'),
    );
    const r = await run(['render', '--policies', p, '--json']);
    expect(r.code, r.stderr.slice(0, 300)).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('skipped C/c'))).toHaveLength(200_000);
    expect(r.stdout).toContain('m.example.com/a');
  });
});

describe('objects of the wrong shape', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['ICSP without spec', ICSP('nospec', ''), /ImageContentSourcePolicy\/nospec: spec: missing/],
    [
      'ICSP with spec: null',
      ICSP('nullspec', 'spec: null\n'),
      /ImageContentSourcePolicy\/nullspec: spec: missing \(got null\)/,
    ],
    [
      'IDMS without spec',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\n',
      /ImageDigestMirrorSet\/d: spec: missing/,
    ],
    [
      'ITMS with a string spec',
      'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: t}\nspec: "x"\n',
      /ImageTagMirrorSet\/t: spec: expected an object, got "x"/,
    ],
    [
      'Image without spec',
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\n',
      /Image\/cluster: spec: missing/,
    ],
    [
      'Image with registrySources a list',
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {registrySources: []}\n',
      /spec\.registrySources: expected an object, got a list/,
    ],
    [
      'Image with blockedRegistries a number',
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: ' +
        'cluster}\nspec: {registrySources: {blockedRegistries: 3}}\n',
      /spec\.registrySources\.blockedRegistries: expected a list of strings, got 3/,
    ],
    [
      'ICSP mirror a number',
      ICSP('num', 'spec:\n  repositoryDigestMirrors:\n  - source: quay.io/a\n    mirrors: [5]\n'),
      /spec\.repositoryDigestMirrors\[0\]\.mirrors\[0\]: expected a string, got 5/,
    ],
    [
      'IDMS source an object',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: ' +
        '{name: d}\nspec: {imageDigestMirrors: [{source: {a: 1}}]}\n',
      /spec\.imageDigestMirrors\[0\]\.source: expected a string, got an object/,
    ],
    [
      'metadata a string',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: x\nspec: {}\n',
      /ImageDigestMirrorSet: metadata: expected an object, got "x"/,
    ],
    [
      'name a number',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: 5}\nspec: {}\n',
      /metadata\.name: expected a non-empty string, got 5/,
    ],
    ['List items null', 'apiVersion: v1\nkind: List\nitems: null\n', /List: items: expected a list, got null/],
    [
      'List item a string',
      'apiVersion: v1\nkind: List\nitems: [x]\n',
      /items\[0\]: expected a Kubernetes object, got string/,
    ],
    ['kind a list', 'kind: [a]\n', /kind: expected a string, got a list/],
    [
      'ClusterVersion status a string',
      'apiVersion: config.openshift.io/v1\nkind: ClusterVersion\nmetadata: {name: version}\nstatus: x\n',
      /ClusterVersion\/version: status: expected an object/,
    ],
  ];
  for (const [name, text, want] of cases) {
    it(`${name}: exit 2 naming the object and the field`, async () => {
      const p = file(`${name.replace(/\W+/g, '-')}.yaml`, text);
      for (const cmd of [['why', 'quay.io/a/b:1'], ['render'], ['evidence', join(repoRoot, 'package.json')]]) {
        const r = await run([...cmd, '--policies', p, '--json']);
        expect(expectInputError(r, true)).toMatch(want);
      }
    });
  }
});

describe('null fields', () => {
  it(
    'a null list (allowedRegistries: null) means unset, as the ' + 'API server prunes it (found by the fuzz test)',
    async () => {
      const p = file(
        'null-list.yaml',
        'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: ' +
          '{registrySources: {allowedRegistries: null, blockedRegistries: null}}\n',
      );
      for (const cmd of [['why', 'quay.io/a/b:1'], ['render']]) {
        const r = await run([...cmd, '--policies', p, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toContain('internal error');
      }
    },
  );
});

describe('arguments and messages', () => {
  it('a reference that begins with "-" is a reference, not an option', async () => {
    const r = await run(['why', '-example.com/foo', '--policies', join(repoRoot, 'examples')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('Unknown option');
    expect(r.stderr).toMatch(/invalid reference format.*"-example\.com"/);
  });

  it('"--" ends the options', async () => {
    const r = await run(['why', '--policies', join(repoRoot, 'examples'), '--', '--json']);
    expect(r.stderr).not.toContain('Unknown option');
    expect(r.stdout).not.toMatch(/^\{/);
    expect(r.code).not.toBe(0);
  });

  it('"--policies -" still reads stdin', async () => {
    const r = await run(['render', '--policies', '-'], {
      stdin: ICSP('s', 'spec:\n  repositoryDigestMirrors:\n  - source: quay.io/a\n    mirrors: [m.example.com/a]\n'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('m.example.com/a');
  });

  it('escapes control characters of user input in messages', async () => {
    const evil = 'quay.io/a\u001b[31mred\nsecond\rline\u202e';
    for (const args of [
      ['why', evil, '--policies', join(repoRoot, 'examples')],
      ['evidence', '-', '--image', evil, '--json'],
    ]) {
      const r = await run(args);
      for (const raw of ['\u001b', '\r', '\u202e']) expect(r.stderr).not.toContain(raw);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/\\x1b\[31m|\\u001b/);
    }
  });

  it('evidence --json errors print the error object', async () => {
    for (const args of [
      ['evidence', '/nonexistent/log', '--json'],
      ['evidence', '-', '--image', 'UPPER/case', '--json'],
      ['evidence', '--bogus', '--json'],
      ['evidence', '-', '--policies', '/nonexistent', '--json'],
    ]) {
      expectInputError(await run(args), true);
    }
  });
});

describe('speed and memory of the refusals (real process)', () => {
  const rssOf = async (
    args: string[],
    input?: string,
  ): Promise<{ code: number | null; cpuMs: number; maxRssMb: number; stderr: string }> => {
    if (!existsSync('/usr/bin/time')) {
      throw new Error('/usr/bin/time is missing: install the Debian package time (npm test does so as root)');
    }
    // CPU time (user + system), not wall time: the limit is about the work done, not how busy the machine is.
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', process.execPath, join(repoRoot, 'bin/icsp.js'), ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (input === undefined) child.stdin.end();
    else child.stdin.end(input);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    const lines = stderr.trim().split('\n');
    const [rssKb, user, sys] = (lines.at(-1) ?? '').split(' ').map(Number);
    return {
      code,
      cpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000,
      maxRssMb: (rssKb ?? NaN) / 1024,
      stderr: lines.slice(0, -1).join('\n'),
    };
  };

  it('an alias bomb is refused within a second of CPU time, under 300 MB RSS', async () => {
    const p = file('bomb.yaml', `kind: List\napiVersion: v1\n${LAUGHS}\nitems: [*i, *i, *i]\n`);
    // Node's start-up (type stripping of the CLI's modules) is measured with the same modules loaded, and subtracted.
    const baseline = await rssOf(['render', '--policies', join(repoRoot, 'examples')]);
    const r = await rssOf(['why', 'quay.io/a/b:1', '--policies', p]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('billion laughs');
    expect(r.maxRssMb).toBeLessThan(300);
    expect(r.cpuMs - baseline.cpuMs).toBeLessThan(1000);
  });
});
