// The one kubeconfig loader: --kubeconfig, KUBECONFIG (merged), ~/.kube/config, in-cluster, or one friendly line;
// `icsp status` and `icsp why --live` without any kubeconfig say what to do instead of a TLS error about localhost.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KubeconfigError, loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

function kubeconfigFile(dir: string, name: string, server: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: ${name}, cluster: { server: '${server}' } }]
users: [{ name: ${name}, user: { token: t } }]
contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]
current-context: ${name}
`,
  );
  return file;
}

const none = { home: '/nonexistent', serviceAccountToken: '/nonexistent' };

describe('loadKubeconfig', () => {
  it('says "no kubeconfig" and what to do when there is none', () => {
    expect(() => loadKubeconfig({ env: {}, hint: 'set KUBECONFIG or pass --kubeconfig', ...none })).toThrow(
      new KubeconfigError('no kubeconfig: set KUBECONFIG or pass --kubeconfig'),
    );
  });

  it("reads --kubeconfig first, then KUBECONFIG (files merged, the first one's context), then ~/.kube/config", () => {
    const dir = tempDir('icsp-kc-');
    const a = kubeconfigFile(dir, 'a', 'https://a.example:6443');
    const b = kubeconfigFile(dir, 'b', 'https://b.example:6443');
    expect(loadKubeconfig({ path: b, env: { KUBECONFIG: a }, hint: 'h', ...none }).getCurrentCluster()?.server).toBe(
      'https://b.example:6443',
    );
    const merged = loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` }, hint: 'h', ...none });
    expect(merged.getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(
      merged
        .getClusters()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['a', 'b']);
    mkdirSync(join(dir, '.kube'));
    kubeconfigFile(join(dir, '.kube'), 'config', 'https://home.example:6443');
    expect(
      loadKubeconfig({ env: {}, hint: 'h', home: dir, serviceAccountToken: '/nonexistent' }).getCurrentCluster()
        ?.server,
    ).toBe('https://home.example:6443');
  });

  it('names the file it cannot load', () => {
    expect(() => loadKubeconfig({ path: '/nonexistent/kc', env: {}, hint: 'h', ...none })).toThrow(
      /^cannot load the kubeconfig \/nonexistent\/kc: ENOENT/,
    );
  });
});

describe('the CLI without a kubeconfig', () => {
  const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: tempDir('icsp-home-') };
    try {
      await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'icsp.js'), ...args], { env });
      return { code: 0, stderr: '' };
    } catch (e) {
      const x = e as { code: number; stderr: string };
      return { code: x.code, stderr: x.stderr };
    }
  };

  it('icsp status: one line, exit 2', async () => {
    expect(await run(['status'])).toEqual({
      code: 2,
      stderr: 'icsp status: no kubeconfig: set KUBECONFIG or pass --kubeconfig\n',
    });
  });

  it('icsp why IMAGE --live: one line, exit 2', async () => {
    expect(await run(['why', 'quay.io/org/app:1', '--live'])).toEqual({
      code: 2,
      stderr: 'icsp: no kubeconfig: set KUBECONFIG or pass --kubeconfig\n',
    });
  });
});
