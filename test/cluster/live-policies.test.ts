// The live policy cache on the real API server, running as the bot.
import { afterEach, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { LivePolicies } from '../../src/cluster/live-policies.ts';
import { WatchedCollection } from '../../src/cluster/watched-collection.ts';
import { explain } from '../../src/domain/explain.ts';
import { adminConfig, botConfig } from './cluster-info.ts';
import { eventually, uniqueName } from './kube.ts';

const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

describe('LivePolicies', () => {
  it('follows ICSP and IDMS objects as they are created, changed and deleted', async () => {
    const admin = adminConfig().makeApiClient(CustomObjectsApi);
    const live = new LivePolicies(botConfig(), { resyncMs: 0 });
    stops.push(() => live.stop());
    await live.start();
    expect(live.synced).toBe(true);
    const name = uniqueName('idms');
    const idms = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' };
    await admin.createClusterCustomObject({
      ...idms,
      body: {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ImageDigestMirrorSet',
        metadata: { name },
        spec: { imageDigestMirrors: [{ source: `quay.io/${name}`, mirrors: [`mirror.local/${name}`] }] },
      },
    });
    const snap = await eventually(
      async () => {
        const s = live.snapshot();
        return s.policies.idms.some((o) => o.metadata.name === name) ? s : undefined;
      },
      10_000,
      'the IDMS in the live snapshot',
    );
    const e = explain({ reference: `quay.io/${name}/app@sha256:${'e'.repeat(64)}`, policies: snap.policies });
    expect(e.pullSources[0]).toMatchObject({
      location: `mirror.local/${name}`,
      mirror: true,
      from: [{ kind: 'ImageDigestMirrorSet', name }],
    });
    expect(snap.missingKinds).toEqual([]);
    await admin.deleteClusterCustomObject({ ...idms, name });
    await eventually(
      async () => (live.snapshot().policies.idms.some((o) => o.metadata.name === name) ? undefined : true),
      10_000,
      'the IDMS gone',
    );
  });

  it('a CRD the cluster does not have means "none of that kind"', async () => {
    const c = new WatchedCollection(adminConfig(), {
      group: 'example.icsp-bot.test',
      version: 'v1',
      plural: 'nothings',
    });
    stops.push(() => c.stop());
    await c.start();
    expect(c.missing).toBe(true);
    expect(c.list()).toEqual([]);
    expect(c.isStale()).toBe(false);
  });

  it('a resource outside the bot RBAC fails start with a one-line reason', async () => {
    const c = new WatchedCollection(botConfig(), { group: 'example.icsp-bot.test', version: 'v1', plural: 'nothings' });
    const live = new LivePolicies(botConfig());
    stops.push(() => live.stop());
    await expect(c.start()).rejects.toMatchObject({ code: 403 });
  });
});
