// `icsp why --pod NAMESPACE/NAME --kubeconfig FILE`, the real CLI in its own process (`npm run icsp`: bin/icsp.js
// on the repository's Node 24) against the real API server, as the bot's ServiceAccount. The fake kubelet fails
// the pull with the error of a real podman run (the lab's x509 scenario) and emits the kubelet's events; the node
// carries the MCO's annotations and its rendered MachineConfig the lab's registries.conf. No debug pod.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { createNamespace, eventually, uniqueName } from './kube.ts';
import { writeBotKubeconfig } from './live-helpers.ts';
import { corpusCase, createRenderedConfig, deleteRenderedConfig, mcoAnnotations } from './triage-node.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const NODE = 'podcli-worker-0';
const RENDERED = `rendered-worker-${'5e6f7a8b9c0d1e2f'.repeat(2)}`;
const x509 = corpusCase('x509');
const ns = uniqueName('podcli');
let kubelet: FakeKubelet;
let dir: string;
let kubeconfig: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run icsp -- ARGS` from the repository: the CLI entry as users of the repo run it. */
function icsp(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', 'icsp', '--', ...args],
      // no KUBECONFIG: only --kubeconfig says where the cluster is
      { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir() } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  const info = clusterInfo();
  const admin = adminConfig();
  await createRenderedConfig(admin, RENDERED, x509.registriesConf);
  kubelet = await FakeKubelet.start(admin, {
    nodes: [NODE],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    backOffDelayMs: 100,
    nodeMetadata: { [NODE]: { annotations: mcoAnnotations(RENDERED) } },
  });
  await createNamespace(admin, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
  const core = admin.makeApiClient(CoreV1Api);
  kubelet.behave(ns, 'web', () => ({ imagePullError: x509.waiting, pullEvent: x509.failed }));
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { nodeName: NODE, containers: [{ name: 'web', image: x509.image }] } },
  });
  kubelet.behave(ns, 'fine', () => ({ hang: true }));
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'fine' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: x509.image }] } },
  });
  // the kubelet has said all it says: the back-off event is there, and the other pod runs
  await eventually(
    async () => {
      const ev = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=web' });
      const fine = await core.readNamespacedPod({ namespace: ns, name: 'fine' });
      return ev.items.some((e) => e.reason === 'BackOff') && fine.status?.phase === 'Running' ? true : undefined;
    },
    15_000,
    'the back-off event of web and pod fine Running',
  );
  dir = tempDir('icsp-podcli-');
  kubeconfig = writeBotKubeconfig(dir);
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await deleteRenderedConfig(adminConfig(), RENDERED);
});

describe('icsp why --pod, the CLI in its own process against the real API server', () => {
  it('a pod that cannot pull: exit 1, the image, the node, what each mirror said and the fix', async () => {
    const r = await icsp('why', '--pod', `${ns}/web`, '--kubeconfig', kubeconfig);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`pod ${ns}/web on ${NODE} (pool worker): 1 container(s) cannot pull`);
    expect(r.stdout).toContain(`container web (ImagePullBackOff): ${x509.image}`);
    expect(r.stdout).toMatch(/^ {2}mirror-tls: the node tried 127\.0\.0\.1:5004 \(tls\)/m);
    // what the node said, per candidate in the order it tried them: the untrusted mirror, then the blocked source
    const said = lines.flatMap((l) => {
      const m = /^ {4}(mirror|source) ([^:\s]+:\d+)\/\S+: (\S+) \(/.exec(l);
      return m === null ? [] : [[m[1], m[2], m[3]]];
    });
    expect(said).toEqual([
      ['mirror', '127.0.0.1:5004', 'tls'],
      ['source', '127.0.0.1:5001', 'blocked'],
    ]);
    expect(r.stdout).toMatch(/fix:\n {4}- .*additionalTrustedCA.*127\.0\.0\.1\.\.5004/);
  }, 60_000);

  it('--json: the triage as data, one verdict per stuck container with its evidence', async () => {
    const r = await icsp('why', '--pod', `${ns}/web`, '--kubeconfig', kubeconfig, '--json');
    expect(r.code).toBe(1);
    const t = JSON.parse(r.stdout) as {
      namespace: string;
      name: string;
      node: string;
      pool: string;
      phase: string;
      notes: string[];
      containers: Array<{
        container: string;
        init: boolean;
        image: string;
        reason: string;
        verdict: {
          image: string;
          cause: string;
          headline: string;
          fix: string[];
          evidence: { tool: string; attempts: Array<{ location: string; mirror: boolean; outcome: string }> };
        };
      }>;
    };
    expect(t).toMatchObject({ namespace: ns, name: 'web', node: NODE, pool: 'worker', phase: 'Pending', notes: [] });
    expect(t.containers).toHaveLength(1);
    const c = t.containers[0]!;
    expect(c).toMatchObject({ container: 'web', init: false, image: x509.image, reason: 'ImagePullBackOff' });
    expect(c.verdict).toMatchObject({ image: x509.image, cause: 'mirror-tls' });
    expect(c.verdict.fix.join('\n')).toMatch(/additionalTrustedCA/);
    expect(c.verdict.evidence.tool).toBe('kubelet');
    expect(c.verdict.evidence.attempts.map((a) => [a.mirror, a.outcome])).toEqual([
      [true, 'tls'],
      [false, 'blocked'],
    ]);
  }, 60_000);

  it('a pod that pulls: exit 0, and it says there is nothing to triage', async () => {
    const r = await icsp('why', '--pod', `${ns}/fine`, '--kubeconfig', kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pod ${ns}/fine on ${NODE} (pool worker): 0 container(s) cannot pull`);
    expect(r.stdout).toContain('note: no container of this pod is waiting on its image (phase Running)');
  }, 60_000);

  it('a pod that does not exist: exit 2 and one line that names it', async () => {
    const r = await icsp('why', '--pod', `${ns}/no-such-pod`, '--kubeconfig', kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`icsp: pod ${ns}/no-such-pod not found\n`);
    const j = await icsp('why', '--pod', `${ns}/no-such-pod`, '--kubeconfig', kubeconfig, '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({ error: { stage: 'input', message: `pod ${ns}/no-such-pod not found` } });
  }, 60_000);

  it('a malformed NAMESPACE/NAME: exit 2 and one line that says what is wrong', async () => {
    for (const [arg, said] of [
      [ns, `"${ns}" is not NAMESPACE/NAME`],
      ['Shop/web', '"Shop" is not a namespace name'],
      [`${ns}/Web_1`, '"Web_1" is not a pod name'],
    ] as const) {
      const r = await icsp('why', '--pod', arg, '--kubeconfig', kubeconfig);
      expect(r.code, arg).toBe(2);
      expect(r.stdout, arg).toBe('');
      expect(r.stderr, arg).toBe(`icsp: ${said}\n`);
    }
  }, 60_000);
});
