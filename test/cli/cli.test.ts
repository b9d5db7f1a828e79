// The icsp CLI end to end: in-process for speed, plus one real process through the package's bin entry.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { readVectors, repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const example = join(repoRoot, 'examples');
const tmp = tempDir('icsp-cli-');
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('icsp why on the bundled example', () => {
  it('says the mirror is not used for a tag pull, why, and what to do', async () => {
    const r = await runCli(['why', 'imagestore.co/repo/exampleimage:latest', '--policies', example]);
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0]!;
    expect(first).toContain('tag pull');
    expect(first).toContain('nexus.cminion.cf/repo');
    expect(first).toContain('digest-only');
    expect(r.stdout).toContain('ImageContentSourcePolicy/ibm-cp-common-services');
    expect(r.stdout).toContain('Pull by digest');
    expect(r.stdout).toContain('ImageTagMirrorSet');
    expect(r.stdout).toMatch(
      /digest pull .* would try:\n {2}1\. nexus\.cminion\.cf\/repo\/exampleimage@sha256:<digest>/,
    );
  });

  it('--json has the documented shape', async () => {
    const r = await runCli(['why', 'imagestore.co/repo/exampleimage:latest', '--policies', example, '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.verdict.code).toBe('tag-pull-skips-digest-mirrors');
    expect(j.pullSources).toEqual([
      {
        reference: 'imagestore.co/repo/exampleimage:latest',
        location: 'imagestore.co/repo',
        mirror: false,
        insecure: false,
        blocked: false,
      },
    ]);
    expect(j.skippedMirrors).toEqual([
      expect.objectContaining({
        location: 'nexus.cminion.cf/repo',
        from: { kind: 'ImageContentSourcePolicy', name: 'ibm-cp-common-services' },
        reason: 'tag-pull-digest-only-mirror',
      }),
    ]);
    expect(j.warnings.map((w: { code: string }) => w.code)).toContain('mco-rejects-config');
    expect(j.alternative.pullKind).toBe('digest');
  });

  it('reads policies from stdin and from a `kind: List`', async () => {
    const list =
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: config.openshift.io/v1\n  kind: ` +
      `ImageDigestMirrorSet\n  metadata: {name: a}\n  spec:\n    imageDigestMirrors:\n    - source: ` +
      `quay.io/ns\n      mirrors: [m.local/ns]\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n`;
    const r = await runCli(['why', `quay.io/ns/app@sha256:${'c'.repeat(64)}`, '--policies', '-', '--json'], list);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pullSources[0].location).toBe('m.local/ns');
    expect(r.stderr).toContain('skipped ConfigMap/x');
  });
});

describe('icsp resolve', () => {
  const v = readVectors<{
    cases: Array<{ name: string; registriesConf: string; reference: string; expected?: unknown }>;
  }>('resolve.json');
  const c = v.cases.find((x) => x.name.startsWith('IDMS wildcard source'))!;
  it('prints the conformance JSON for a registries.conf', async () => {
    const r = await runCli(['resolve', c.reference, '--registries-conf', file('w.conf', c.registriesConf), '--json']);
    expect(r.code).toBe(0);
    // the conformance fields, plus the short-name contract: null for a fully qualified reference
    expect(JSON.parse(r.stdout)).toEqual({ ...(c.expected as object), shortName: null });
  });
  it('exits 1 with a staged JSON error when the pull itself would fail', async () => {
    const r = await runCli(['resolve', 'quay.io/Foo/x:1', '--registries-conf', file('e.conf', ''), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.stage).toBe('reference');
    expect(r.stderr).toContain('repository path "Foo/x" must be lowercase');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  it('exits 1 on a config error', async () => {
    const r = await runCli([
      'resolve',
      'quay.io/x:1',
      '--registries-conf',
      file('c.conf', '[[registry]]\nlocation = "http://x.io"\n'),
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toEqual({
      stage: 'config',
      message: "invalid location 'http://x.io': URI schemes are not supported",
    });
  });
});

describe('icsp render', () => {
  const v = readVectors<{
    cases: Array<{
      name: string;
      icsps: object[];
      idms: object[];
      itms: object[];
      imageConfig?: object;
      expected?: { toml: string; registries: unknown };
    }>;
  }>('render.json');
  const c = v.cases.find((x) => x.name === 'design doc: IDMS with NeverContactSource')!;
  const policies = file(
    'dd.json',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [...c.icsps, ...c.idms, ...c.itms, ...(c.imageConfig ? [c.imageConfig] : [])],
    }),
  );
  it('prints the 4.19+ file byte for byte', async () => {
    const r = await runCli(['render', '--policies', policies]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(c.expected!.toml);
  });
  it('--layout 4.13 drops the additional-layer-store-auth-helper line only', async () => {
    const r = await runCli(['render', '--policies', policies, '--layout', '4.13']);
    expect(r.stdout).toBe(c.expected!.toml.replace('additional-layer-store-auth-helper = ""\n', ''));
  });
  it('--json prints the registries structure', async () => {
    const r = await runCli(['render', '--policies', policies, '--json']);
    expect(JSON.parse(r.stdout).registries).toEqual(c.expected!.registries);
  });
  it('a configuration the MCO refuses exits 1 with its message', async () => {
    const r = await runCli(['render', '--policies', example, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { stage: 'render', message: 'invalid format for source "imagestore.co/repo/"' },
    });
  });
});

describe('bad input: one line, exit 2', () => {
  it.each([
    [['why'], 'exactly one IMAGE'],
    [['why', 'quay.io/a:1'], 'needs --policies'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['why', 'quay.io/a:1', '--policies', '/nonexistent/x.yaml'], '/nonexistent/x.yaml: no such file or directory'],
    [['why', 'quay.io/a:1', '--bogus'], "Unknown option '--bogus'"],
    [['render', '--policies', 'BAD_YAML'], 'invalid YAML'],
    [
      ['render', '--policies', 'BAD_FIELD'],
      'ImageDigestMirrorSet/x: spec.imageDigestMirrors[0].mirrors[1]: expected a string',
    ],
    [['render', '--policies', 'BAD_API'], 'ImageDigestMirrorSet/x: apiVersion: expected config.openshift.io/v1'],
  ])('%j', async (args, msg) => {
    const fix = (a: string): string =>
      a === 'BAD_YAML'
        ? file('bad.yaml', 'kind: [\n')
        : a === 'BAD_FIELD'
          ? file(
              'bf.yaml',
              'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ' +
                'x}\nspec:\n  imageDigestMirrors:\n  - source: quay.io\n    mirrors: [a.io, 5]\n',
            )
          : a === 'BAD_API'
            ? file('ba.yaml', 'apiVersion: v1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\n')
            : a;
    const r = await runCli(args.map(fix));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  it('a malformed image is a pull error (exit 1) naming the bad part', async () => {
    const r = await runCli(['why', 'quay.io/app:bad tag', '--policies', example]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not allowed');
  });
});

describe('icsp migrate-icsp', () => {
  it('writes one IDMS per ICSP', async () => {
    const r = await runCli(['migrate-icsp', '--policies', example]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kind: ImageDigestMirrorSet');
    expect(r.stdout).toContain('source: imagestore.co/repo/');
  });
});

describe('the bin entry', () => {
  it('runs as a real process on Node 24', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(repoRoot, 'bin', 'icsp.js'),
      'why',
      'imagestore.co/repo/exampleimage:latest',
      '--policies',
      example,
      '--json',
    ]);
    expect(JSON.parse(stdout).verdict.code).toBe('tag-pull-skips-digest-mirrors');
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});

describe('icsp evidence --policies', () => {
  it('compares a real podman log with the plan rendered from policies', async () => {
    const { podmanFixturePath } = await import('../helpers/shared-dir.ts');
    const log = podmanFixturePath('b-digest-fallback-second-mirror', 'output.log');
    const matching = file(
      'ev-ok.yaml',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ' +
        'lab}\nspec:\n  imageDigestMirrors:\n  - source: 127.0.0.1:5001/repo\n    mirrors: ' +
        '[127.0.0.1:5002/empty/repo, 127.0.0.1:5003/mirror/repo]\n',
    );
    const ok = await runCli(['evidence', log, '--policies', matching, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).verdict.code).toBe('mirror-hit');
    const stale = file(
      'ev-stale.yaml',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ' +
        'lab}\nspec:\n  imageDigestMirrors:\n  - source: 127.0.0.1:5001/repo\n    mirrors: ' +
        '[127.0.0.1:5002/mirror/repo, 127.0.0.1:5003/mirror/repo]\n',
    );
    const mismatch = await runCli(['evidence', log, '--policies', stale, '--json']);
    expect(JSON.parse(mismatch.stdout).verdict.code).toBe('plan-mismatch');
  });
});
