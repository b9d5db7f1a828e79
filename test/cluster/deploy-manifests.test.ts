// manifests/ as shipped: server-side applied by the global setup; here the bot's Deployment is checked against
// Pod Security "restricted", and the real bot process (src/main.ts) runs with the kubeconfig of its
// ServiceAccount, i.e. with exactly the permissions the manifests grant.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { RecordingServer } from '../slack/helpers/recording-server.ts';
import { BOT_TOKEN, commandForm, postSigned, SIGNING_SECRET } from '../slack/helpers/slack-fixtures.ts';
import { adminConfig } from './cluster-info.ts';
import { writeBotKubeconfig } from './live-helpers.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const rec = new RecordingServer();
beforeAll(() => rec.start());
afterAll(() => rec.stop());

describe('manifests/', () => {
  it('the Deployment is applied and its pod passes Pod Security "restricted"', async () => {
    const dep = await adminConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'icsp-bot', namespace: 'icsp-bot' });
    const spec = dep.spec!.template.spec!;
    expect(spec.serviceAccountName).toBe('icsp-bot');
    expect(spec.containers[0]!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    // The cluster's trusted CA bundle: the labelled ConfigMap is mounted where NODE_EXTRA_CA_CERTS points.
    const ca = await adminConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: 'icsp-bot-trusted-ca', namespace: 'icsp-bot' });
    expect(ca.metadata!.labels).toMatchObject({ 'config.openshift.io/inject-trusted-cabundle': 'true' });
    const env = spec.containers[0]!.env ?? [];
    const caPath = env.find((e) => e.name === 'NODE_EXTRA_CA_CERTS')?.value ?? '';
    const mount = spec.containers[0]!.volumeMounts!.find((m) => caPath.startsWith(`${m.mountPath}/`));
    const volume = spec.volumes!.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe('icsp-bot-trusted-ca');
    expect(volume?.configMap?.items).toEqual([
      { key: 'ca-bundle.crt', path: caPath.slice(mount!.mountPath.length + 1) },
    ]);
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']));
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'icsp-bot-psa-check', namespace: 'icsp-bot' },
      spec,
    };
    // The namespace carries no Pod Security labels, so the cluster default ("restricted") applies.
    await adminConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({ namespace: 'icsp-bot', body: pod, dryRun: 'All' });
  });

  it('the bot starts as its ServiceAccount, becomes ready, answers, and exits 0 on SIGTERM', async () => {
    const kubeconfig = writeBotKubeconfig(tempDir('icsp-deploy-'), 'deploy-test');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        KUBECONFIG: kubeconfig,
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: rec.apiUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        ICSP_METRICS_PORT: String(metricsPort),
        ICSP_METRICS_HOST: '127.0.0.1',
        ICSP_CLUSTER_NAME: 'deploy-test',
        // A proxy that does not exist: Slack (plain http here) is not proxied by HTTPS_PROXY, and the Kubernetes
        // API must be reached directly, so the bot still becomes ready.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        // Rollout notices on: the notifier's state ConfigMap and Lease must work with the manifests' RBAC too.
        ICSP_NOTIFY_CHANNEL: 'C0NOTIFY',
        ICSP_LEASE_NAME: 'icsp-bot-deploy-test',
        POD_NAME: 'icsp-bot-deploy-test',
        POD_NAMESPACE: 'icsp-bot',
        // this test file's own TMPDIR: what the bot leaves there fails the file (test/helpers/temp-dir-guard.ts)
        TMPDIR: tmpdir(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, `the bot never became ready:\n${output}`).toBe(true);
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain(
        'icsp_bot_checks_started_total',
      );
      const r = await postSigned(
        port,
        commandForm({ text: 'plan quay.io/ns/app:1', responseUrl: rec.responseUrl('deploy') }),
        'application/x-www-form-urlencoded',
      );
      expect(r.status).toBe(200);
      for (let i = 0; i < 50 && rec.callsOf('chat.postMessage').length === 0; i++)
        await new Promise((res) => setTimeout(res, 100));
      expect(JSON.stringify(rec.callsOf('chat.postMessage')[0]?.params)).toContain('deploy-test');
      // The notifier took the Lease as the bot.
      const lease = await adminConfig()
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'icsp-bot-deploy-test', namespace: 'icsp-bot' });
      expect(lease.spec?.holderIdentity).toBe('icsp-bot-deploy-test');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).not.toContain(BOT_TOKEN);
  }, 60_000);
});
