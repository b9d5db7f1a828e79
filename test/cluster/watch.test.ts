// Watches on the OpenShift CRDs behave as the real API server makes them: ordered
// ADDED/MODIFIED/DELETED events, and 410 Gone for a resourceVersion outside the watch window.
import { afterEach, describe, expect, it } from 'vitest';
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { eventually, uniqueName } from './kube.ts';

const icsps = { group: 'operator.openshift.io', version: 'v1alpha1', plural: 'imagecontentsourcepolicies' };
const path = '/apis/operator.openshift.io/v1alpha1/imagecontentsourcepolicies';

interface Seen {
  type: string;
  object: {
    kind?: string;
    metadata?: { name?: string };
    spec?: unknown;
    code?: number;
    reason?: string;
    message?: string;
  };
}

const aborts: AbortController[] = [];
afterEach(() => {
  for (const a of aborts.splice(0)) a.abort();
});

/** Starts a watch as the bot; resolves to the events seen so far and how the stream ended. */
async function watchAsBot(query: Record<string, string | boolean>) {
  const events: Seen[] = [];
  const ended: { err?: unknown; done: boolean } = { done: false };
  const abort = await new Watch(botConfig()).watch(
    path,
    query,
    (type, object: Seen['object']) => events.push({ type, object }),
    (err: unknown) => Object.assign(ended, { err, done: true }),
  );
  aborts.push(abort);
  return { events, ended };
}

describe('watch on imagecontentsourcepolicies', () => {
  it('delivers ADDED, MODIFIED and DELETED to the bot', async () => {
    const admin = adminConfig().makeApiClient(CustomObjectsApi);
    const list = (await botConfig().makeApiClient(CustomObjectsApi).listClusterCustomObject(icsps)) as {
      metadata: { resourceVersion: string };
    };
    const { events } = await watchAsBot({ resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true });

    const name = uniqueName('mirror');
    const mirrors = (m: string[]) => ({
      repositoryDigestMirrors: [{ source: 'quay.io/openshift-release-dev/ocp-release', mirrors: m }],
    });
    await admin.createClusterCustomObject({
      ...icsps,
      body: {
        apiVersion: 'operator.openshift.io/v1alpha1',
        kind: 'ImageContentSourcePolicy',
        metadata: { name },
        spec: mirrors(['mirror.example.com/ocp/release']),
      },
    });
    const current = (await admin.getClusterCustomObject({ ...icsps, name })) as { metadata: Record<string, unknown> };
    await admin.replaceClusterCustomObject({
      ...icsps,
      name,
      body: {
        apiVersion: 'operator.openshift.io/v1alpha1',
        kind: 'ImageContentSourcePolicy',
        metadata: current.metadata,
        spec: mirrors(['mirror.example.com/ocp/release', 'backup.example.com/ocp/release']),
      },
    });
    await admin.deleteClusterCustomObject({ ...icsps, name });

    const mine = await eventually(
      async () => {
        const e = events.filter((x) => x.object.metadata?.name === name);
        return e.length >= 3 ? e : undefined;
      },
      10_000,
      'three watch events',
    );
    expect(mine.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(mine[1]?.object.spec).toEqual(mirrors(['mirror.example.com/ocp/release', 'backup.example.com/ocp/release']));
  });

  it('answers a watch from an expired resourceVersion with 410 Gone', async () => {
    // Older than the watch cache window (here: from before the CRD existed; on a live cluster:
    // after a long disconnect or an API server restart). The bot must relist.
    const { rvBeforeCrds } = clusterInfo();
    const { events, ended } = await watchAsBot({ resourceVersion: rvBeforeCrds });
    const error = await eventually(async () => events.find((e) => e.type === 'ERROR'), 10_000, 'an ERROR event');
    expect(error.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(error.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    await eventually(async () => (ended.done ? true : undefined), 5_000, 'the stream to end');
  });
});
