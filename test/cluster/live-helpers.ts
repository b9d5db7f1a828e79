// Helpers shared by the live-check cluster tests (test/cluster/live-*.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import type { CliIo } from '../../src/cli/io.ts';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { debugNamespace } from './debug-pod.ts';

/** A kubeconfig file for the bot's ServiceAccount token (what `--kubeconfig PATH` reads). */
export function writeBotKubeconfig(dir: string, clusterName = 'test-cluster'): string {
  const info = clusterInfo();
  const file = join(dir, 'bot.kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'bot',
      clusters: [{ name: clusterName, cluster: { server: info.apiServerURL, 'certificate-authority': info.caFile } }],
      users: [{ name: 'bot', user: { token: info.botToken } }],
      contexts: [{ name: 'bot', context: { cluster: clusterName, user: 'bot' } }],
    }),
  );
  return file;
}

/** Names of the bot's debug pods in a namespace, seen as cluster admin. */
export async function debugPods(namespace = debugNamespace): Promise<string[]> {
  const r = await adminConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/managed-by=icsp-bot' });
  return r.items.map((p) => p.metadata?.name ?? '').sort();
}

export function captureIo(
  env: NodeJS.ProcessEnv = {},
): CliIo & { out: () => string; err: () => string; clear: () => void } {
  let out = '';
  let err = '';
  return {
    stdout: new Writable({
      write: (c: Buffer, _e, cb) => {
        out += c.toString();
        cb();
      },
    }),
    stderr: new Writable({
      write: (c: Buffer, _e, cb) => {
        err += c.toString();
        cb();
      },
    }),
    stdin: Readable.from([]),
    env,
    out: () => out,
    err: () => err,
    clear: () => {
      out = '';
      err = '';
    },
  };
}
