// Shared pieces of the rollout notifier tests: a notifier as the bot (or through a proxy), Slack replaced by the
// local recording server, and readers for what reached it (top-level notices, edits, thread replies).
import type { KubeConfig } from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createRolloutNotifier } from '../../src/composition/rollout-notifier.ts';
import type { RolloutNotifier } from '../../src/rollout/notifier.ts';
import { SlackChatSink } from '../../src/slack/chat-sink.ts';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { RecordingServer } from '../slack/helpers/recording-server.ts';
import { adminConfig } from './cluster-info.ts';
import type { FakeMco } from './rollout-mco.ts';
import { IDMS, IMAGES } from './rollout-mco.ts';
import { apiStatus } from './kube.ts';

export const CHANNEL = 'C0ROLLOUT';

export interface NotifierOptions {
  kc: KubeConfig;
  rec: RecordingServer;
  selector: string;
  stateConfigMap: string;
  lease?: { name: string; identity: string } | null;
  coalesceMs?: number;
  renderTimeoutMs?: number;
  /** Stall limit (default: the notifier's, 30 min). */
  stallMs?: number;
}

export async function startNotifier(o: NotifierOptions): Promise<RolloutNotifier> {
  const chat = new SlackChatSink({
    token: 'xoxb-test-token',
    apiUrl: o.rec.apiUrl,
    retry: { retries: 2, maxRetryAfterMs: 2000 },
  });
  const n = createRolloutNotifier(o.kc, chat, {
    channel: CHANNEL,
    cluster: 'test-cluster',
    coalesceMs: o.coalesceMs ?? 700,
    renderTimeoutMs: o.renderTimeoutMs ?? 60_000,
    ...(o.stallMs !== undefined ? { stallMs: o.stallMs } : {}),
    updateIntervalMs: 0,
    namespace: 'icsp-bot',
    stateConfigMap: o.stateConfigMap,
    lease: o.lease === undefined || o.lease === null ? null : { ...o.lease, durationSeconds: 3 },
    poolSelector: o.selector,
    watch: { restartDelayMs: 300 },
    ...(process.env.DEBUG_ROLLOUT
      ? {
          logger: {
            debug: (o: object, m: string) => console.log('DEBUG', m, o),
            info: (o: object, m: string) => console.log(m, o),
            warn: (o: object, m: string) => console.log('WARN', m, o),
            error: (o: object, m: string) => console.log('ERROR', m, o),
          },
        }
      : {}),
  });
  await n.start();
  return n;
}

export const notices = (rec: RecordingServer) =>
  rec.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === undefined);
export const replies = (rec: RecordingServer, ts?: string) =>
  rec
    .callsOf('chat.postMessage')
    .filter((c) => c.params.thread_ts !== undefined && (ts === undefined || c.params.thread_ts === ts));
export const updates = (rec: RecordingServer) => rec.callsOf('chat.update');
export const text = (c: { params: Record<string, unknown> }): string => String(c.params.text);

export function idms(
  name: string,
  source: string,
  mirrors: string[],
  policy?: 'NeverContactSource' | 'AllowContactingSource',
) {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata: { name },
    spec: { imageDigestMirrors: [{ source, mirrors, ...(policy ? { mirrorSourcePolicy: policy } : {}) }] },
  };
}

export async function createIdms(admin: KubeConfig, body: ReturnType<typeof idms>): Promise<void> {
  await admin.makeApiClient(CustomObjectsApi).createClusterCustomObject({ ...IDMS, body });
}

export async function deleteIdms(admin: KubeConfig, names: string[]): Promise<void> {
  const api = admin.makeApiClient(CustomObjectsApi);
  for (const name of names) {
    try {
      await api.deleteClusterCustomObject({ ...IDMS, name });
    } catch (e) {
      if (apiStatus(e)?.code !== 404) throw e;
    }
  }
}

/** What every rollout test file shares: a recording Slack server, the Image "cluster" the MCO needs, and cleanup. */
export interface RolloutFixture {
  admin: KubeConfig;
  rec: RecordingServer;
  /** Notifiers to stop, policies to delete and fake MCOs to clean up after each test. */
  running: RolloutNotifier[];
  mcos: FakeMco[];
  policyNames: string[];
}

/** Registers the hooks; call at the top of a test file. */
export function useRolloutFixture(): RolloutFixture {
  const fx = { running: [], mcos: [], policyNames: [] } as unknown as RolloutFixture;
  let createdImage = false;
  beforeAll(async () => {
    fx.admin = adminConfig();
    fx.rec = new RecordingServer();
    await fx.rec.start();
    // The MCO renders nothing without image.config.openshift.io/cluster.
    const api = fx.admin.makeApiClient(CustomObjectsApi);
    try {
      await api.getClusterCustomObject({ ...IMAGES, name: 'cluster' });
    } catch (e) {
      if (apiStatus(e)?.code !== 404) throw e;
      await api.createClusterCustomObject({
        ...IMAGES,
        body: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
      });
      createdImage = true;
    }
  });
  afterEach(async () => {
    for (const n of fx.running.splice(0)) await n.stop();
    await deleteIdms(fx.admin, fx.policyNames.splice(0));
    for (const m of fx.mcos.splice(0)) await m.cleanup();
    fx.rec.reset();
  });
  afterAll(async () => {
    await fx.rec.stop();
    if (createdImage)
      await fx.admin.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...IMAGES, name: 'cluster' });
  });
  return fx;
}
