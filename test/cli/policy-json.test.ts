// `icsp render --policy-json` (the bytes the MCO writes) and `icsp why` with image.config lists, in-process.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_POLICY_JSON } from '../../src/domain/policy-json.ts';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const tmp = tempDir('icsp-policy-json-');
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const image = (lists: string): string =>
  `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n${lists}\n`;
const IDMS =
  'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ' +
  'mirrors}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/ns\n    mirrors: [mirror.local/ns]\n';
const D = `sha256:${'e'.repeat(64)}`;

describe('icsp render --policy-json', () => {
  it('prints exactly the bytes Go writes (golden from encoding/json)', async () => {
    const p = file(
      'allowed.yaml',
      image('    allowedRegistries: [quay.io/myorg, "registry.example.com:5000", "*.corp.example", a.example/b/c/d]'),
    );
    const r = await runCli(['render', '--policies', p, '--policy-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(repoRoot, 'test/fixtures/policy-json/allowed.json'), 'utf8'));
    expect(r.stderr).toBe('');
  });

  it('prints the template and a note when image.config sets neither list', async () => {
    const r = await runCli(['render', '--policies', file('none.yaml', IDMS), '--policy-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(TEMPLATE_POLICY_JSON);
    expect(r.stderr).toContain('nodes keep the template');
  });

  it('--json carries the parsed policy, the inputs and the exact text', async () => {
    const r = await runCli([
      'render',
      '--policies',
      file('blocked.yaml', image('    blockedRegistries: [ghcr.io]')),
      '--policy-json',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.path).toBe('/etc/containers/policy.json');
    expect(j.rendered).toBe(true);
    expect(j.policy.transports.docker).toEqual({ 'ghcr.io': [{ type: 'reject' }] });
    expect(j.inputs).toEqual({ allowed: null, blocked: ['ghcr.io'] });
    expect(JSON.parse(j.text)).toEqual(j.policy);
  });

  it('both lists: the MCO refuses, exit 1 with its message', async () => {
    const r = await runCli([
      'render',
      '--policies',
      file('both.yaml', image('    allowedRegistries: [a.example]\n    blockedRegistries: [b.example]')),
      '--policy-json',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        stage: 'render',
        message: 'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
      },
    });
  });

  it('registries.conf refusals come first, as in the MCO', async () => {
    const r = await runCli([
      'render',
      '--policies',
      file('bad.yaml', image('    insecureRegistries: ["*bad"]\n    allowedRegistries: ["foo*"]')),
      '--policy-json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('icsp: invalid entry for insecure registries "*bad"\n');
  });

  it('usage errors: --policy-json only with render, not with --layout', async () => {
    const p = file('u.yaml', IDMS);
    const a = await runCli(['why', 'quay.io/ns/app:1', '--policies', p, '--policy-json']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--policy-json goes with render');
    const b = await runCli(['render', '--policies', p, '--policy-json', '--layout', '4.13']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--layout applies to registries.conf');
  });
});

describe('icsp why with policy.json', () => {
  it('rejected-by-policy: exit 1, the field, the fix, the upstream message', async () => {
    const p = file('why.yaml', `${IDMS}---\n${image('    allowedRegistries: [mirror.local]')}`);
    const r = await runCli(['why', `quay.io/ns/app@${D}`, '--policies', p]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toContain(
      'quay.io/ns/app is rejected by policy.json: nothing in image.config allowedRegistries (mirror.local) covers it',
    );
    expect(r.stdout).toContain(
      `"Source image rejected: Running image docker://quay.io/ns/app@${D} is rejected by policy."`,
    );
    expect(r.stdout).toContain('Add quay.io (or the repository quay.io/ns/app)');
    const j = JSON.parse((await runCli(['why', `quay.io/ns/app@${D}`, '--policies', p, '--json'])).stdout);
    expect(j.verdict.code).toBe('rejected-by-policy');
    expect(j.policy).toEqual({
      file: '/etc/containers/policy.json',
      rendered: true,
      identity: `quay.io/ns/app@${D}`,
      scope: null,
      allowed: false,
      reached: true,
      field: 'allowedRegistries',
      entry: null,
      message: `Source image rejected: Running image docker://quay.io/ns/app@${D} is rejected by policy.`,
    });
  });

  it('allowed by the source name: exit 0, policy allowed, the mirror is not in allowedRegistries', async () => {
    const p = file('ok.yaml', `${IDMS}---\n${image('    allowedRegistries: [quay.io/ns]')}`);
    const r = await runCli(['why', `quay.io/ns/app@${D}`, '--policies', p, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict.code).toBe('mirror-first');
    expect(j.policy).toMatchObject({ allowed: true, scope: 'quay.io/ns', field: null, message: null });
  });
});

describe('the text report', () => {
  it('says what policy.json decides, by which scope, when image.config sets a list', async () => {
    const ok = await runCli([
      'why',
      `quay.io/ns/app@${D}`,
      '--policies',
      file('t1.yaml', `${IDMS}---\n${image('    allowedRegistries: [quay.io/ns]')}`),
    ]);
    expect(ok.stdout).toContain(
      `Policy:   /etc/containers/policy.json accepts quay.io/ns/app@${D} by scope quay.io/ns\n`,
    );
    const blocked = await runCli([
      'why',
      'quay.io/ns/app:1',
      '--policies',
      file('t2.yaml', `${IDMS}---\n${image('    blockedRegistries: [quay.io/ns]')}`),
    ]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain(
      'Policy:   /etc/containers/policy.json rejects quay.io/ns/app:1 by scope quay.io/ns ' +
        '(blockedRegistries quay.io/ns); never consulted: every pull source is blocked first\n',
    );
    const none = await runCli(['why', `quay.io/ns/app@${D}`, '--policies', file('t3.yaml', IDMS)]);
    expect(none.stdout).not.toContain('Policy:');
  });
});

describe("icsp why --registries-conf --policy-json-file (a node's own files)", () => {
  const lab = join(repoRoot, 'test/fixtures/podman-lab');
  const digest = readFileSync(join(lab, 'image-digest.txt'), 'utf8').trim();

  it('judges the node policy.json podman ran with: rejected-by-policy, exit 1, as podman did', async () => {
    const dir = join(lab, 'policy-reject-via-mirror');
    const r = await runCli([
      'why',
      `127.0.0.1:5001/repo/exampleimage@${digest}`,
      '--registries-conf',
      join(dir, 'registries.conf'),
      '--policy-json-file',
      join(dir, 'policy.json'),
      '--json',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.verdict.code).toBe('rejected-by-policy');
    expect(j.policy).toMatchObject({
      file: join(dir, 'policy.json'),
      allowed: false,
      scope: null,
      field: 'allowedRegistries',
      identity: `127.0.0.1:5001/repo/exampleimage@${digest}`,
    });
    // the words podman printed for this very pull
    expect(readFileSync(join(dir, 'output.log'), 'utf8')).toContain(`Error: ${j.policy.message}`);
  });

  it('the same files with an allowing policy: the plan verdict stays, exit 0', async () => {
    const dir = join(lab, 'policy-allowed-source-not-mirror');
    const r = await runCli([
      'why',
      `127.0.0.1:5001/repo/exampleimage@${digest}`,
      '--registries-conf',
      join(dir, 'registries.conf'),
      '--policy-json-file',
      join(dir, 'policy.json'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).policy).toMatchObject({ allowed: true, scope: '127.0.0.1:5001' });
  });

  it('signature requirements are not judged offline: a warning, no verdict change', async () => {
    const signed = file(
      'signed.json',
      JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: { docker: { 'quay.io': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k' }] } },
      }),
    );
    const conf = file('r.conf', 'unqualified-search-registries = []\n');
    const r = await runCli([
      'why',
      'quay.io/ns/app:1',
      '--registries-conf',
      conf,
      '--policy-json-file',
      signed,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.policy).toBeNull();
    expect(j.warnings.find((w: { code: string }) => w.code === 'policy-not-judged').message).toContain(
      'requires signedBy for quay.io/ns/app:1',
    );
  });

  it('bad input and bad usage: one line, exit 2', async () => {
    const conf = file('r2.conf', 'unqualified-search-registries = []\n');
    const notJson = await runCli([
      'why',
      'quay.io/ns/app:1',
      '--registries-conf',
      conf,
      '--policy-json-file',
      file('bad.json', 'nope'),
    ]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^icsp: .*bad\.json: not JSON: .*\n$/);
    const noDefault = await runCli([
      'why',
      'quay.io/ns/app:1',
      '--registries-conf',
      conf,
      '--policy-json-file',
      file('nodefault.json', '{"transports":{}}'),
    ]);
    expect(noDefault.code).toBe(2);
    expect(noDefault.stderr).toContain('no "default" requirements');
    const withPolicies = await runCli([
      'why',
      'quay.io/ns/app:1',
      '--policies',
      file('p.yaml', IDMS),
      '--policy-json-file',
      file('ok.json', '{"default":[]}'),
    ]);
    expect(withPolicies.code).toBe(2);
    expect(withPolicies.stderr).toContain('--policy-json-file goes with why --registries-conf');
  });
});
