// The rollout notifier on the real control plane, as the bot's ServiceAccount: the test plays the MCO (rendered
// MachineConfigs, pool status through the status subresource, node annotations) and asserts on what reached the
// recording Slack server: one notice per rollout, edits in place, stuck/resolved/done in its thread, no duplicates.
import { beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { statusCommand } from '../../src/cli/status-command.ts';
import type { RolloutNotifier } from '../../src/rollout/notifier.ts';
import type { RecordingServer } from '../slack/helpers/recording-server.ts';
import { botConfig, clusterInfo } from './cluster-info.ts';
import { eventually, uniqueName } from './kube.ts';
import { CHANNEL, createIdms, idms, notices, replies, startNotifier, text, updates } from './rollout-harness.ts';
import { useRolloutFixture } from './rollout-harness.ts';
import { FakeMco, IDMS } from './rollout-mco.ts';
import { ExpiringProxy } from './rollout-proxy.ts';

const fx = useRolloutFixture();
const { running, mcos, policyNames } = fx;
let admin: KubeConfig;
let rec: RecordingServer;
beforeAll(() => {
  admin = fx.admin;
  rec = fx.rec;
});

function setup(): { mco: FakeMco; id: string; source: (s: string) => string } {
  const id = uniqueName('ro');
  const mco = new FakeMco(admin, id);
  mcos.push(mco);
  return { mco, id, source: (s) => `quay.io/${id}/${s}` };
}

async function notifier(
  mco: FakeMco,
  id: string,
  extra: Partial<Parameters<typeof startNotifier>[0]> = {},
): Promise<RolloutNotifier> {
  const n = await startNotifier({
    kc: botConfig(),
    rec,
    selector: mco.selector,
    stateConfigMap: `state-${id}`,
    ...extra,
  });
  running.push(n);
  return n;
}

async function addIdms(
  name: string,
  source: string,
  mirrors: string[],
  policy?: 'NeverContactSource' | 'AllowContactingSource',
): Promise<void> {
  policyNames.push(name);
  await createIdms(admin, idms(name, source, mirrors, policy));
}

/** Edits b-ID as an admin would: it agrees on NeverContactSource (with other mirrors, when given). */
async function agreeB(id: string, mirrors?: string[]): Promise<void> {
  const api = admin.makeApiClient(CustomObjectsApi);
  const b = (await api.getClusterCustomObject({ ...IDMS, name: `b-${id}` })) as ReturnType<typeof idms>;
  b.spec.imageDigestMirrors[0]!.mirrorSourcePolicy = 'NeverContactSource';
  if (mirrors !== undefined) b.spec.imageDigestMirrors[0]!.mirrors = mirrors;
  await api.replaceClusterCustomObject({ ...IDMS, name: `b-${id}`, body: b });
}

const waitNotices = (n: number, ms = 10_000) =>
  eventually(async () => (notices(rec).length >= n ? notices(rec) : undefined), ms, `${n} notice(s)`);
const waitReply = (re: RegExp, ms = 10_000) =>
  eventually(async () => replies(rec).find((c) => re.test(text(c))), ms, `a reply matching ${re}`);
const settle = (ms = 1200) => new Promise((r) => setTimeout(r, ms));

/** Every edit and reply belongs to the one notice. */
function expectOneThread(): string {
  expect(notices(rec)).toHaveLength(1);
  const tss = new Set([
    ...updates(rec).map((c) => String(c.params.ts)),
    ...replies(rec).map((c) => String(c.params.thread_ts)),
  ]);
  expect(tss.size).toBe(1);
  return [...tss][0]!;
}

/**
 * A pool of one node and a notifier (render timeout 2.5 s), then a and b that disagree on mirrorSourcePolicy for
 * one source: the MCO refuses them and writes nothing. Returns the refusal notice.
 */
async function startOnRefusal() {
  const { mco, id, source } = setup();
  const w = `w-${id}`;
  const old = await mco.createPool(w, 1);
  const n = await notifier(mco, id, { renderTimeoutMs: 2500 });
  await addIdms(`a-${id}`, source('app'), [`mirror.example.com/${id}/app`], 'NeverContactSource');
  await addIdms(`b-${id}`, source('app'), [`backup.example.com/${id}/app`], 'AllowContactingSource');
  const [refusal] = await waitNotices(1);
  expect(text(refusal!)).toMatch(/Refused:\* conflicting mirrorSourcePolicy/);
  return { mco, id, source, w, old, n, refusal: refusal! };
}

/**
 * After the fix of a refusal: the refusal resolved once in its own thread, then the pool of one node rolls out the
 * new render and the rollout (the second notice) says done.
 */
async function resolvedThenDone(mco: FakeMco, w: string, old: string, refusalTs: unknown) {
  const resolved = await waitReply(/Resolved: the MCO accepts the mirror objects again/);
  expect(resolved.params.thread_ts).toBe(refusalTs);
  const target = await mco.rerender(w);
  await mco.rollNodes(w, 1, old, target);
  const done = await waitReply(/Done: the change reached every node/);
  await settle();
  expect(notices(rec)).toHaveLength(2);
  return { resolved, done };
}

describe('rollout notices', () => {
  it(
    'normal rollout: one notice, progress edited in place, done ' + 'only once the rendered config carries the change',
    async () => {
      const { mco, id, source } = setup();
      const w = `w-${id}`;
      const m = `m-${id}`;
      const oldW = await mco.createPool(w, 3);
      const oldM = await mco.createPool(m, 1);
      const n = await notifier(mco, id);

      await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
      const [notice] = await waitNotices(1);
      expect(text(notice!)).toContain(
        `new source ${source('app')} (mirrors mirror.example.com/${id}/app (digest-only))`,
      );
      expect(text(notice!)).toContain(`ImageDigestMirrorSet/idms-${id} created by`);
      expect(text(notice!)).toContain('no drain expected');
      expect(text(notice!)).toContain('reboot not expected per MCO code');
      expect(text(notice!)).toMatch(new RegExp(`${w}: 3/3 \\(waiting for a rendered config`));

      // Status alone claims "Updated" on the old rendered config: not done, the change is not in it.
      await mco.setStatus(w, { updated: 3, finished: true });
      await settle();
      expect(replies(rec).filter((c) => /Done/.test(text(c)))).toHaveLength(0);

      const newW = await mco.rerender(w);
      const newM = await mco.rerender(m);
      expect(newW).not.toBe(oldW);
      await mco.rollNodes(m, 1, oldM, newM);
      await mco.setStatus(w, { updated: 0, ready: 2, unavailable: 1 });
      await eventually(
        async () => (updates(rec).some((c) => text(c).includes(`${w}: 0/3 updated`)) ? true : undefined),
        10_000,
        'progress 0/3 edited in',
      );
      await mco.rollNodes(w, 3, oldW, newW);
      const done = await waitReply(/Done: the change reached every node/);
      expect(text(done)).toContain(`${w} 3/3`);
      await eventually(
        async () => (updates(rec).some((c) => text(c).includes('rolled out to every node')) ? true : undefined),
        5_000,
        'header edited to done',
      );
      const ts = expectOneThread();
      expect(n.currentState?.rollouts[0]?.ts).toBe(ts);
      expect(n.currentState?.rollouts[0]?.doneTargets).toEqual({ [m]: newM, [w]: newW });
      // Progress edits were made, each on the notice.
      expect(updates(rec).length).toBeGreaterThanOrEqual(2);
      await settle();
      expect(replies(rec).filter((c) => /Done/.test(text(c)))).toHaveLength(1);
    },
    60_000,
  );

  it('a burst of changes makes one notice', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 2);
    await notifier(mco, id, { coalesceMs: 1500 });
    for (let i = 0; i < 10; i++)
      await addIdms(`burst-${i}-${id}`, source(`app${i}`), [`mirror.example.com/${id}/app${i}`]);
    await waitNotices(1);
    await settle(2500);
    expect(notices(rec)).toHaveLength(1);
    const t = text(notices(rec)[0]!);
    for (let i = 0; i < 10; i++) expect(t).toContain(`ImageDigestMirrorSet/burst-${i}-${id} created`);
    const target = await mco.rerender(w);
    await mco.rollNodes(w, 2, old, target);
    await waitReply(/Done/);
    expectOneThread();
  }, 60_000);

  it('a degraded pool and a node stuck in its update are said once, then resolved', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 2);
    await notifier(mco, id);
    await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
    await waitNotices(1);
    const target = await mco.rerender(w);
    await mco.setNode(`${w}-0`, old, target, 'Degraded', 'failed to drain node: pod app-1 has a PodDisruptionBudget');
    await mco.setStatus(w, {
      updated: 1,
      ready: 1,
      unavailable: 1,
      degraded: 1,
      degradedMessage: `Node ${w}-0 is reporting: "failed to drain node"`,
    });
    await waitReply(/Stuck: pool .* is degraded/);
    await waitReply(/Stuck: node .*-0 is Degraded: failed to drain node/);
    // More status writes while degraded: nothing said twice.
    await mco.setStatus(w, {
      updated: 1,
      ready: 1,
      unavailable: 1,
      degraded: 1,
      degradedMessage: `Node ${w}-0 is reporting: "failed to drain node"`,
    });
    await settle();
    expect(replies(rec).filter((c) => /Stuck/.test(text(c)))).toHaveLength(2);
    await eventually(
      async () => (updates(rec).some((c) => text(c).includes('stuck (see thread)')) ? true : undefined),
      5_000,
      'header says stuck',
    );

    await mco.setNode(`${w}-0`, target, target, 'Done');
    await mco.rollNodes(w, 2, old, target);
    await waitReply(/Done/);
    expect(replies(rec).filter((c) => /Resolved/.test(text(c)))).toHaveLength(2);
    expectOneThread();
  }, 60_000);

  it('a paused pool is said once and resolved when unpaused', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 1, { paused: true });
    await notifier(mco, id);
    await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
    await waitNotices(1);
    await mco.rerender(w);
    await waitReply(/Stuck: pool .* is paused/);
    await mco.setStatus(w, { updated: 0, ready: 1, unavailable: 0 });
    await settle();
    expect(replies(rec).filter((c) => /paused/.test(text(c)))).toHaveLength(1);
    await mco.setPaused(w, false);
    await waitReply(/Resolved: pool .* is paused/);
    const target = (await mco.getPool(w)).spec.configuration!.name!;
    await mco.rollNodes(w, 1, old, target);
    await waitReply(/Done/);
    expectOneThread();
  }, 60_000);

  it(
    'a refused change is said once and rolls nothing out; its fix, which renders as the refused intent did, ' +
      'is a rollout from the last accepted config',
    async () => {
      // The MCO refuses two objects that disagree on mirrorSourcePolicy for one source; it writes nothing.
      const { mco, id, source, w, old, n, refusal } = await startOnRefusal();
      expect(text(refusal)).toContain(
        'The MCO refuses this mirror change on test-cluster; nodes keep the previous configuration',
      );
      // Past the render timeout: no rollout follows a refusal, nothing is stuck, nothing is edited.
      await settle(4000);
      expect(notices(rec)).toHaveLength(1);
      expect(replies(rec)).toHaveLength(0);
      expect(updates(rec)).toHaveLength(0);
      expect(n.currentState?.rollouts).toHaveLength(0);
      const refusalTs = n.currentState?.refusal?.ts;
      expect(refusalTs).toMatch(/^\d+\.\d+$/);

      // The fix: b agrees. It renders exactly as the refused intent (blocked, both mirrors): a change all the same,
      // since the nodes kept the config from before the refusal.
      await agreeB(id);
      const [, notice] = await waitNotices(2);
      expect(text(notice!)).toContain(`new source ${source('app')}`);
      expect(text(notice!)).toContain(`ImageDigestMirrorSet/b-${id} changed`);
      expect(text(notice!)).not.toContain('refuses');
      const { resolved, done } = await resolvedThenDone(mco, w, old, refusalTs);
      expect(text(resolved)).toContain('the new configuration rolls out');
      expect(done.params.thread_ts).not.toBe(resolved.params.thread_ts);
      expect(replies(rec).filter((c) => /Stuck|Done|Resolved/.test(text(c)))).toHaveLength(2);
      expect(n.currentState?.refusal ?? null).toBeNull();
    },
    60_000,
  );

  it(
    "a refused change changed into another refused change: the new reason in the first refusal's thread, its " +
      'message edited, no second message; the fix resolves it once',
    async () => {
      const { mco, id, source, w, old, n } = await startOnRefusal();
      await eventually(async () => n.currentState?.refusal?.ts ?? undefined, 5_000, 'the refusal recorded');
      const refusalTs = n.currentState!.refusal!.ts!;
      // b now agrees on NeverContactSource but lists the source itself as a mirror: refused for another reason
      await agreeB(id, [source('app')]);
      const followUp = await waitReply(/Still refused after the change/);
      expect(followUp.params.thread_ts).toBe(refusalTs);
      expect(text(followUp)).toContain(`ImageDigestMirrorSet/b-${id} changed`);
      expect(text(followUp)).toContain(
        `now for a different reason: cannot set mirrorSourcePolicy: NeverContactSource if the source ` +
          `"${source('app')}" is one of the mirrors`,
      );
      const edited = await eventually(
        async () => updates(rec).find((c) => c.params.ts === refusalTs),
        5_000,
        'the refusal edited',
      );
      expect(text(edited)).toContain('*Refused:* cannot set mirrorSourcePolicy: NeverContactSource');
      expect(text(edited)).toContain('The MCO refuses this mirror change on test-cluster');
      // past the render timeout: still one message, one follow-up, nothing stuck
      await settle(3000);
      expect(notices(rec)).toHaveLength(1);
      expect(replies(rec).map(text)).toEqual([text(followUp)]);
      expect(n.currentState?.rollouts).toHaveLength(0);

      // the fix: a rollout from the last accepted config, the refusal resolved once in its thread
      await agreeB(id, [`backup.example.com/${id}/app`]);
      const [, notice] = await waitNotices(2);
      expect(text(notice!)).toContain(`new source ${source('app')}`);
      const { resolved } = await resolvedThenDone(mco, w, old, refusalTs);
      expect(replies(rec, refusalTs).map(text)).toEqual([text(followUp), text(resolved)]);
      expect(n.currentState?.refusal ?? null).toBeNull();
    },
    60_000,
  );

  it(
    "a first start on a set the MCO already refuses: the refusal said once, against the pools' rendered config; " +
      'not again after a restart; the fix is a rollout from that config and resolves it',
    async () => {
      const { mco, id, source } = setup();
      const w = `w-${id}`;
      // accepted: a alone, rendered into the pool's MachineConfig
      await addIdms(`a-${id}`, source('app'), [`mirror.example.com/${id}/app`], 'NeverContactSource');
      const old = await mco.createPool(w, 1);
      // then b disagrees: the MCO refuses and writes nothing; the bot starts only now, with no state
      await addIdms(`b-${id}`, source('app'), [`backup.example.com/${id}/app`], 'AllowContactingSource');
      const first = await notifier(mco, id, { renderTimeoutMs: 2500 });
      const [refusal] = await waitNotices(1);
      expect(text(refusal!)).toContain(
        'The MCO refuses this mirror change on test-cluster; nodes keep the previous configuration',
      );
      expect(text(refusal!)).toMatch(/Refused:\* conflicting mirrorSourcePolicy/);
      expect(text(refusal!)).toContain('not known: the bot started on objects the MCO already refused');
      // what b asks for, measured against the pool's config (which has a's mirror): not a new source
      expect(text(refusal!)).toContain(`backup.example.com/${id}/app`);
      expect(text(refusal!)).not.toContain(`new source ${source('app')}`);
      await eventually(async () => first.currentState?.refusal?.ts ?? undefined, 5_000, 'the refusal recorded');
      const refusalTs = first.currentState!.refusal!.ts!;
      await first.stop();
      running.splice(running.indexOf(first), 1);

      // a restart with state: nothing again
      const second = await notifier(mco, id, { renderTimeoutMs: 2500 });
      await settle(3000);
      expect(notices(rec)).toHaveLength(1);
      expect(replies(rec)).toHaveLength(0);
      expect(second.currentState?.refusal?.ts).toBe(refusalTs);

      // the fix (b agrees): a rollout from the pool's config, the refusal resolved once in its thread
      await agreeB(id);
      const [, notice] = await waitNotices(2);
      expect(text(notice!)).toContain(`backup.example.com/${id}/app`);
      expect(text(notice!)).not.toContain(`new source ${source('app')}`);
      const { resolved } = await resolvedThenDone(mco, w, old, refusalTs);
      expect(replies(rec, refusalTs).map(text)).toEqual([text(resolved)]);
    },
    60_000,
  );

  it('a bot restart in the middle of a rollout posts no duplicate and still says done', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 3);
    const first = await notifier(mco, id);
    await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
    await waitNotices(1);
    const target = await mco.rerender(w);
    await mco.setStatus(w, { updated: 1, ready: 2, unavailable: 1 });
    await eventually(
      async () => (updates(rec).some((c) => text(c).includes(`${w}: 1/3 updated`)) ? true : undefined),
      10_000,
      '1/3 edited in',
    );
    await first.stop();
    running.splice(running.indexOf(first), 1);

    // While no bot runs, the rollout finishes.
    await mco.rollNodes(w, 3, old, target);
    const second = await notifier(mco, id);
    await waitReply(/Done/);
    await settle();
    expect(notices(rec)).toHaveLength(1);
    expectOneThread();
    expect(second.currentState?.rollouts).toHaveLength(1);
  }, 60_000);

  it('a watch that expires (410) in the middle: the relist catches up, done is said once', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 2);
    const proxy = new ExpiringProxy(clusterInfo().apiServerURL, clusterInfo().caFile);
    await proxy.start();
    try {
      await notifier(mco, id, { kc: proxy.kubeConfig(clusterInfo().botToken) });
      await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
      await waitNotices(1);
      // The bot misses every pool and node event of the rollout...
      await eventually(
        async () => (proxy.openWatches('machineconfigpools') > 0 ? true : undefined),
        5_000,
        'a pool watch',
      );
      proxy.holding = true;
      const target = await mco.rerender(w);
      await mco.rollNodes(w, 2, old, target);
      await settle();
      expect(replies(rec).filter((c) => /Done/.test(text(c)))).toHaveLength(0);
      // ...until its watches expire: 410 Gone, relist, and the cache is current again.
      proxy.holding = false;
      expect(proxy.expire()).toBeGreaterThan(0);
      await waitReply(/Done/);
      await settle();
      expect(replies(rec).filter((c) => /Done/.test(text(c)))).toHaveLength(1);
      expectOneThread();
    } finally {
      for (const n of running.splice(0)) await n.stop();
      await proxy.stop();
    }
  }, 60_000);

  it('two replicas: the Lease makes one the notifier; the other takes over when it stops', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 2);
    const lease = `lease-${id}`;
    const a = await notifier(mco, id, { lease: { name: lease, identity: 'replica-a' } });
    const b = await notifier(mco, id, { lease: { name: lease, identity: 'replica-b' } });
    await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
    await waitNotices(1);
    await settle(1500);
    expect(notices(rec)).toHaveLength(1);
    const leader = a.currentState !== null ? a : b;
    await leader.stop();
    running.splice(running.indexOf(leader), 1);
    const target = await mco.rerender(w);
    await mco.rollNodes(w, 2, old, target);
    await waitReply(/Done/, 15_000);
    await settle();
    expectOneThread();
  }, 60_000);

  it('/icsp status and icsp status say per pool whether the current mirror config is rolled out', async () => {
    const { mco, id, source } = setup();
    const w = `w-${id}`;
    const old = await mco.createPool(w, 2);
    const n = await notifier(mco, id);
    await addIdms(`idms-${id}`, source('app'), [`mirror.example.com/${id}/app`]);
    const target = await mco.rerender(w);
    await mco.setStatus(w, { updated: 1, ready: 1, unavailable: 1 });
    await eventually(
      async () => {
        const s = await n.poolStatus();
        return s.find(
          (l) =>
            l.pool === w &&
            !l.upToDate &&
            l.detail.includes('1/2 updated') &&
            l.detail.includes('carries the current mirror config'),
        )
          ? true
          : undefined;
      },
      10_000,
      'status: progressing',
    );

    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    out.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await statusCommand(
      ['--pool-selector', mco.selector],
      { stdout: out, stderr: err, stdin: new PassThrough(), env: {} },
      () => botConfig(),
    );
    expect(code).toBe(1);
    expect(stdout).toContain(`… pool ${w}: 1/2 updated`);

    await mco.rollNodes(w, 2, old, target);
    await eventually(
      async () => ((await n.poolStatus()).find((l) => l.pool === w)?.upToDate ? true : undefined),
      10_000,
      'status: rolled out',
    );
    expect(
      await statusCommand(
        ['--pool-selector', mco.selector, '--json'],
        { stdout: new PassThrough(), stderr: err, stdin: new PassThrough(), env: {} },
        () => botConfig(),
      ),
    ).toBe(0);
    void CHANNEL;
  }, 60_000);
});
