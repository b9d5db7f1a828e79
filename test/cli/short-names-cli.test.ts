// icsp why / resolve on short names: the JSON contract (shortName, concatenated pullSources, the enforcing error
// object with stage "reference" and CRI-O's message, exit 1), --short-name-mode, and reference errors first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const example = join(repoRoot, 'examples');
const tmp = tempDir('icsp-short-');
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const OCP = 'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n';
const dockerMirror = file(
  'dm.yaml',
  'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: hub}\nspec:\n  ' +
    'imageTagMirrors:\n  - source: docker.io/synology\n    mirrors: [mirror.local/hub/synology]\n',
);

describe('done when: icsp why synology/synology-csi:v1.2.0 --policies examples/ --short-name-mode enforcing', () => {
  it("says the pull fails and why, with CRI-O's message, the candidates and the fix; exit 1", async () => {
    const r = await runCli([
      'why',
      'synology/synology-csi:v1.2.0',
      '--policies',
      example,
      '--short-name-mode',
      'enforcing',
    ]);
    expect(r.code).toBe(1);
    const first = r.stdout.split('\n')[0]!;
    expect(first).toContain('The pull fails');
    expect(first).toContain(
      'short name mode is enforcing, but image name synology/synology-csi:v1.2.0 returns ambiguous list',
    );
    expect(r.stdout).toContain('1. registry.access.redhat.com/synology/synology-csi:v1.2.0');
    expect(r.stdout).toContain('2. docker.io/synology/synology-csi:v1.2.0');
    expect(r.stdout).toContain('fully qualified name');
    expect(r.stdout).toContain('alias');
    expect(r.stderr).toContain('returns ambiguous list');
  });
  it("--json is the error object: stage reference, CRI-O's message, shortName with the candidates", async () => {
    const r = await runCli([
      'why',
      'synology/synology-csi:v1.2.0',
      '--policies',
      example,
      '--short-name-mode',
      'enforcing',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.error).toEqual({
      stage: 'reference',
      message: 'short name mode is enforcing, but image name synology/synology-csi:v1.2.0 returns ambiguous list',
    });
    expect(j.verdict.code).toBe('short-name-ambiguous');
    expect(j.shortName).toEqual({
      mode: 'enforcing',
      candidates: ['registry.access.redhat.com/synology/synology-csi:v1.2.0', 'docker.io/synology/synology-csi:v1.2.0'],
      alias: null,
    });
    expect(j.pullSources).toEqual([]);
  });
  it('a bare name is named as the kubelet sends it: nginx:latest', async () => {
    const r = await runCli(['why', 'nginx', '--policies', example, '--short-name-mode', 'enforcing', '--json']);
    expect(JSON.parse(r.stdout).error.message).toBe(
      'short name mode is enforcing, but image name nginx:latest returns ambiguous list',
    );
  });
});

describe('short names in disabled / permissive mode', () => {
  it(
    'why --json: shortName, candidates in order, pullSources ' +
      'concatenated (each candidate through its own mirrors)',
    async () => {
      for (const mode of ['disabled', 'permissive']) {
        const r = await runCli([
          'why',
          'synology/synology-csi:v1.2.0',
          '--policies',
          dockerMirror,
          '--short-name-mode',
          mode,
          '--json',
        ]);
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.verdict.code).toBe('short-name-search');
        expect(j.shortName).toEqual({
          mode,
          candidates: [
            'registry.access.redhat.com/synology/synology-csi:v1.2.0',
            'docker.io/synology/synology-csi:v1.2.0',
          ],
          alias: null,
        });
        expect(j.pullSources.map((s: { reference: string }) => s.reference)).toEqual([
          'registry.access.redhat.com/synology/synology-csi:v1.2.0',
          'mirror.local/hub/synology/synology-csi:v1.2.0',
          'docker.io/synology/synology-csi:v1.2.0',
        ]);
        expect(j.error).toBeNull();
        expect(j.candidatePlans).toHaveLength(2);
        expect(j.verdict.summary).toContain(
          'registry.access.redhat.com/synology/synology-csi:v1.2.0 from registry.access.redhat.com directly; if ' +
            'that fails, docker.io/synology/synology-csi:v1.2.0 through mirror mirror.local/hub/synology',
        );
      }
    },
  );
  it('resolve --json: the same contract', async () => {
    const r = await runCli([
      'resolve',
      'busybox',
      '--registries-conf',
      file('r.conf', OCP),
      '--short-name-mode',
      'disabled',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.shortName).toEqual({
      mode: 'disabled',
      candidates: ['registry.access.redhat.com/busybox:latest', 'docker.io/library/busybox:latest'],
      alias: null,
    });
    expect(j.pullSources.map((s: { reference: string }) => s.reference)).toEqual([
      'registry.access.redhat.com/busybox:latest',
      'docker.io/library/busybox:latest',
    ]);
  });
  it('resolve --json enforcing: error object with stage reference, exit 1', async () => {
    const r = await runCli([
      'resolve',
      'busybox',
      '--registries-conf',
      file('r2.conf', OCP),
      '--short-name-mode',
      'enforcing',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.error).toEqual({
      stage: 'reference',
      message: 'short name mode is enforcing, but image name busybox returns ambiguous list',
    });
    expect(j.shortName.candidates).toHaveLength(2);
  });
  it('an alias is the only candidate, even enforcing; the text answer names the alias and its file', async () => {
    const conf = file('a.conf', `${OCP}[aliases]\n"synology/synology-csi" = "quay.io/synology/synology-csi"\n`);
    const r = await runCli([
      'why',
      'synology/synology-csi:v1.2.0',
      '--registries-conf',
      conf,
      '--short-name-mode',
      'enforcing',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.shortName).toEqual({
      mode: 'enforcing',
      candidates: ['quay.io/synology/synology-csi:v1.2.0'],
      alias: { name: 'synology/synology-csi', value: 'quay.io/synology/synology-csi', origin: conf },
    });
    const t = await runCli([
      'why',
      'synology/synology-csi:v1.2.0',
      '--registries-conf',
      conf,
      '--short-name-mode',
      'enforcing',
    ]);
    expect(t.stdout).toContain(`Alias:      synology/synology-csi = quay.io/synology/synology-csi  (${conf})`);
  });
  it('a fully qualified reference has "shortName": null', async () => {
    const r = await runCli(['why', 'quay.io/a/b:1', '--policies', example, '--json']);
    expect(JSON.parse(r.stdout).shortName).toBeNull();
  });
  it(
    'without --short-name-mode the ClusterVersion decides (4.21 ' + 'enforcing, with a warning) or disabled is assumed',
    async () => {
      const cv = (v: string): string =>
        file(
          `cv-${v}.yaml`,
          `apiVersion: config.openshift.io/v1\nkind: ClusterVersion\nmetadata: {name: ` +
            `version}\nstatus:\n  desired:\n    version: ${v}\n    image: ` +
            `quay.io/openshift-release-dev/ocp-release@sha256:${'d'.repeat(64)}\n`,
        );
      const e421 = JSON.parse((await runCli(['why', 'busybox', '--policies', cv('4.21.2'), '--json'])).stdout);
      expect(e421.shortName.mode).toBe('enforcing');
      expect(e421.warnings.map((w: { code: string }) => w.code)).toContain('short-name-mode-uncertain');
      expect(
        JSON.parse((await runCli(['why', 'busybox', '--policies', cv('4.20.9'), '--json'])).stdout).shortName.mode,
      ).toBe('disabled');
      expect(
        JSON.parse((await runCli(['why', 'busybox', '--policies', cv('4.22.0'), '--json'])).stdout).shortName.mode,
      ).toBe('disabled');
      const assumed = JSON.parse((await runCli(['why', 'busybox', '--policies', example, '--json'])).stdout);
      expect(assumed.shortName.mode).toBe('disabled');
      expect(assumed.shortNameModeSource).toContain('assumed');
    },
  );
  it('a bad --short-name-mode is a usage error', async () => {
    const r = await runCli(['why', 'busybox', '--policies', example, '--short-name-mode', 'strict']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--short-name-mode must be enforcing, permissive or disabled');
  });
});

describe('reference errors come before configuration errors', () => {
  const badConf = file('bad.conf', '[[registry]]\nlocation = "http://x.io"\n');
  it('why and resolve report the bad reference, not the bad configuration', async () => {
    for (const cmd of ['why', 'resolve']) {
      const r = await runCli([cmd, 'quay.io/Foo/x:1', '--registries-conf', badConf, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.stage).toBe('reference');
    }
  });
  it('a good reference with the bad configuration reports the configuration', async () => {
    const r = await runCli(['why', 'quay.io/foo/x:1', '--registries-conf', badConf, '--json']);
    expect(JSON.parse(r.stdout).error.stage).toBe('config');
  });
  it('an invalid alias fails every pull, fully qualified ones too', async () => {
    const r = await runCli([
      'why',
      'quay.io/foo/x:1',
      '--registries-conf',
      file('ba.conf', `${OCP}[aliases]\n"x" = "nohost"\n`),
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toContain(
      'validating short-name aliases: invalid alias "nohost": must contain registry and repository',
    );
  });
});
