// The whole path, end to end: a signed /icsp slash command reaches the real Bolt app, which asks the live
// checker (running as the bot's ServiceAccount) for a check on a node; the debug pod goes through the real API
// server, the fake kubelet runs its real command against real podman and the lab's registries, the log comes
// back through the API server, and the evidence lands in the command's Slack thread (recording server).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ClusterLiveChecker } from '../../src/cluster/live-checker.ts';
import { LivePolicies } from '../../src/cluster/live-policies.ts';
import { acceptPolicyObjects, buildPolicySet } from '../../src/domain/policy-documents.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { Lab, MA, REPO, SRC } from '../lab/lab.ts';
import { startHarness } from '../slack/helpers/bot-harness.ts';
import type { Harness } from '../slack/helpers/bot-harness.ts';
import { RecordingServer } from '../slack/helpers/recording-server.ts';
import { commandForm, postSigned } from '../slack/helpers/slack-fixtures.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { toolsImage } from './debug-pod.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { eventually } from './kube.ts';
import { debugPods } from './live-helpers.ts';
import { podmanBehaviour } from './podman-behaviour.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const NODE = 'e2e-0';
const IDMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' };
const IMAGE = { group: 'config.openshift.io', version: 'v1', plural: 'images' };
const policyObjects = [
  {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata: { name: 'slack-e2e' },
    spec: { imageDigestMirrors: [{ source: `${SRC}/repo`, mirrors: [`${MA}/mirror/repo`] }] },
  },
  { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
];
const admin = () => adminConfig().makeApiClient(CustomObjectsApi);

let lab: Lab;
let kubelet: FakeKubelet;
let policies: LivePolicies;
let checker: ClusterLiveChecker;
let h: Harness;
const rec = new RecordingServer();
/** Makes the next debug pods hang, as a slow node would. */
let hang = false;

beforeAll(async () => {
  lab = await Lab.start();
  const rendered = renderPolicies(buildPolicySet(acceptPolicyObjects(policyObjects, 'test').objects), {
    requireImageConfig: true,
  });
  const conf = join(tempDir('icsp-e2e-'), 'node.conf');
  writeFileSync(conf, encodeRegistriesConf(rendered.unqualifiedSearchRegistries, rendered.registries));
  const info = clusterInfo();
  const podman = podmanBehaviour(lab, () => conf);
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: [NODE],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    behaviour: (ctx) => (hang ? { hang: true } : podman(ctx)),
  });
  for (const o of policyObjects) {
    const api = o.kind === 'Image' ? IMAGE : IDMS;
    await admin()
      .deleteClusterCustomObject({ ...api, name: o.metadata.name })
      .catch(() => undefined);
    await admin().createClusterCustomObject({ ...api, body: o });
  }
  policies = new LivePolicies(botConfig(), { resyncMs: 0 });
  await policies.start();
  await eventually(
    async () => (policies.snapshot().policies.idms.some((o) => o.metadata.name === 'slack-e2e') ? true : undefined),
    10_000,
    'the IDMS in the live snapshot',
  );
  checker = new ClusterLiveChecker(botConfig(), {
    clusterName: 'e2e-cluster',
    debugImage: toolsImage,
    policies,
    deadlineSeconds: 90,
  });
  await checker.start();
  await rec.start();
  h = await startHarness(
    rec,
    'http',
    { ICSP_CLUSTER_NAME: 'e2e-cluster' },
    { deps: { liveChecker: checker, policySource: checker.policySource } },
  );
}, 240_000);

afterAll(async () => {
  await h?.bot.stop();
  await rec.stop();
  await checker?.shutdown();
  policies?.stop();
  await kubelet?.stop();
  for (const o of policyObjects)
    await admin()
      .deleteClusterCustomObject({ ...(o.kind === 'Image' ? IMAGE : IDMS), name: o.metadata.name })
      .catch(() => undefined);
  await lab?.stop();
}, 120_000);

describe('Slack -> API server -> debug pod -> real podman -> evidence in the thread', () => {
  it('answers /icsp why IMAGE node=NAME with the live verdict and the files', async () => {
    const image = `${SRC}/${REPO}@${lab.digest}`;
    const r = await postSigned(
      h.port!,
      commandForm({ text: `why ${image} node=${NODE}`, responseUrl: rec.responseUrl('e2e') }),
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    await h.bot.idle();
    const posts = rec.callsOf('chat.postMessage').map((c) => c.params);
    const anchor = posts.find((p) => p.thread_ts === undefined)!;
    expect(anchor).toBeDefined();
    expect(String(anchor.text)).toContain('e2e-cluster');
    const threaded = posts.filter((p) => p.thread_ts !== undefined);
    expect(threaded.length).toBeGreaterThanOrEqual(2);
    const evidence = JSON.stringify(threaded.at(-1));
    expect(evidence, evidence).toContain('mirror-hit');
    expect(evidence).toContain(`${MA}/mirror/repo`);
    expect(evidence).toContain(NODE);
    // Raw debug log and the node's registries.conf uploaded to the thread.
    expect(rec.callsOf('files.getUploadURLExternal').length).toBe(2);
    const uploaded = rec.uploads.map((u) => u.body).join('\n');
    expect(uploaded).toContain('Trying to access');
    expect(uploaded).toContain(`location = "${MA}/mirror/repo"`);
    expect(await debugPods()).toEqual([]);
  });

  it('a shutdown in the middle of a check deletes the pod and says so in the thread', async () => {
    hang = true;
    rec.reset();
    const image = `${SRC}/${REPO}@${lab.digest}`;
    await postSigned(
      h.port!,
      commandForm({ text: `why ${image} node=${NODE}`, responseUrl: rec.responseUrl('e2e-stop') }),
      'application/x-www-form-urlencoded',
    );
    await eventually(async () => ((await debugPods()).length > 0 ? true : undefined), 20_000, 'the debug pod running');
    // What src/main.ts does on SIGTERM: debug pods first, then Slack.
    await checker.shutdown();
    await h.bot.idle();
    expect(await debugPods()).toEqual([]);
    const threaded = rec
      .callsOf('chat.postMessage')
      .map((c) => c.params)
      .filter((p) => p.thread_ts !== undefined);
    expect(JSON.stringify(threaded)).toContain('shutting down');
  });
});
