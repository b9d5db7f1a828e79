// The stall check on the real control plane (the test plays the MCO, test/cluster/rollout-mco.ts): a pool that
// makes no progress, and a node Working on its update, for longer than the stall limit (short here) are each said
// once in the rollout's thread and resolved once when they move again; the instants survive a bot restart.
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RolloutNotifier } from '../../src/rollout/notifier.ts';
import type { RecordingServer } from '../slack/helpers/recording-server.ts';
import { botConfig } from './cluster-info.ts';
import { eventually, uniqueName } from './kube.ts';
import { createIdms, idms, notices, replies, startNotifier, text, updates } from './rollout-harness.ts';
import { useRolloutFixture } from './rollout-harness.ts';
import { FakeMco } from './rollout-mco.ts';

const STALL_MS = 3000;

const fx = useRolloutFixture();
const { running, mcos, policyNames } = fx;
let admin: KubeConfig;
let rec: RecordingServer;
beforeAll(() => {
  admin = fx.admin;
  rec = fx.rec;
});

function setup(): { mco: FakeMco; id: string; w: string } {
  const id = uniqueName('rs');
  const mco = new FakeMco(admin, id);
  mcos.push(mco);
  return { mco, id, w: `w-${id}` };
}

async function notifier(mco: FakeMco, id: string): Promise<RolloutNotifier> {
  const n = await startNotifier({
    kc: botConfig(),
    rec,
    selector: mco.selector,
    stateConfigMap: `state-${id}`,
    stallMs: STALL_MS,
  });
  running.push(n);
  return n;
}

async function addIdms(id: string): Promise<void> {
  const name = `idms-${id}`;
  policyNames.push(name);
  await createIdms(admin, idms(name, `quay.io/${id}/app`, [`mirror.example.com/${id}/app`]));
}

const said = (re: RegExp) => replies(rec).filter((c) => re.test(text(c)));
const waitReply = (re: RegExp, ms = 10_000) => eventually(async () => said(re)[0], ms, `a reply matching ${re}`);
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

function expectOneThread(): void {
  expect(notices(rec)).toHaveLength(1);
  const tss = new Set([
    ...updates(rec).map((c) => String(c.params.ts)),
    ...replies(rec).map((c) => String(c.params.thread_ts)),
  ]);
  expect(tss.size).toBe(1);
}

describe('rollout stall check', () => {
  it('a pool with no progress for the stall limit is said once, and resolved once when progress resumes', async () => {
    const { mco, id, w } = setup();
    const old = await mco.createPool(w, 3);
    await notifier(mco, id);
    await addIdms(id);
    await eventually(async () => (notices(rec).length > 0 ? true : undefined), 10_000, 'the notice');
    const target = await mco.rerender(w);
    // One node finished, the next one is Working and then nothing moves.
    await mco.setNode(`${w}-0`, old, target, 'Working');
    await mco.setNode(`${w}-0`, target, target, 'Done');
    await mco.setStatus(w, { updated: 1, ready: 2, unavailable: 1 });
    await mco.setNode(`${w}-1`, old, target, 'Working');
    const stalled = await waitReply(/Stuck: pool \S+: no progress for/, 15_000);
    expect(text(stalled)).toMatch(
      new RegExp(
        `pool ${w}: no progress for \\d+ s at 1/3 updated; nodes still updating: ${w}-1 \\(state Working ` +
          `since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\); 1 node\\(s\\) not yet given the new config`,
      ),
    );
    // The node itself is stuck in its update too (its own item).
    await waitReply(new RegExp(`Stuck: node ${w}-1 is stuck in its update: state Working for`));
    await eventually(
      async () => (updates(rec).some((c) => text(c).includes('stuck (see thread)')) ? true : undefined),
      5_000,
      'header says stuck',
    );
    // Still no progress, more passes (pool status rewritten): nothing said twice.
    await mco.setStatus(w, { updated: 1, ready: 2, unavailable: 1 });
    await settle();
    expect(said(/Stuck: pool/)).toHaveLength(1);
    expect(said(/Stuck: node/)).toHaveLength(1);

    // Progress resumes: w-1 finishes.
    await mco.setNode(`${w}-1`, target, target, 'Done');
    await mco.setStatus(w, { updated: 2, ready: 2, unavailable: 1 });
    await waitReply(/Resolved: pool \S+: no progress/);
    await waitReply(/Resolved: node \S+ is stuck in its update/);
    await mco.setNode(`${w}-2`, old, target, 'Working');
    await mco.setNode(`${w}-2`, target, target, 'Done');
    await mco.setStatus(w, { updated: 3, finished: true });
    await waitReply(/Done: the change reached every node/);
    await settle();
    expect(said(/Stuck/)).toHaveLength(2);
    expect(said(/Resolved/)).toHaveLength(2);
    expect(said(/Done/)).toHaveLength(1);
    expectOneThread();
  }, 60_000);

  it(
    'a node Working for longer than the limit: said once, its Working-since survives a ' +
      'restart, resolved when it turns Degraded (said too) and then done',
    async () => {
      const { mco, id, w } = setup();
      const old = await mco.createPool(w, 2);
      const first = await notifier(mco, id);
      await addIdms(id);
      await eventually(async () => (notices(rec).length > 0 ? true : undefined), 10_000, 'the notice');
      const target = await mco.rerender(w);
      await mco.setStatus(w, { updated: 0, ready: 1, unavailable: 1 });
      await mco.setNode(`${w}-0`, old, target, 'Working');
      const since = await eventually(
        async () => first.currentState?.rollouts[0]?.marks?.working[`${w}-0`]?.since,
        10_000,
        'Working since recorded',
      );

      // The bot restarts before the limit: the new instance counts from the persisted instant, not from its start.
      await first.stop();
      running.splice(running.indexOf(first), 1);
      const second = await notifier(mco, id);
      const stuck = await waitReply(new RegExp(`Stuck: node ${w}-0 is stuck in its update`), 15_000);
      expect(text(stuck)).toContain(`desired ${target}, current ${old} [pool ${w}]`);
      expect(text(stuck)).toContain(`(since ${new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z')})`);
      expect(second.currentState?.rollouts[0]?.marks?.working[`${w}-0`]?.since).toBe(since);
      await settle();
      expect(said(/Stuck: node/)).toHaveLength(1);

      // The MCD gives up: the Working item resolves, the Degraded one (with its reason) is said.
      await mco.setNode(`${w}-0`, old, target, 'Degraded', 'failed to drain node: pod app-1 has a PodDisruptionBudget');
      await waitReply(new RegExp(`Resolved: node ${w}-0 is stuck in its update`));
      await waitReply(new RegExp(`Stuck: node ${w}-0 is Degraded: failed to drain node`));

      // Fixed: the node finishes, the rest rolls.
      await mco.setNode(`${w}-0`, target, target, 'Done');
      await mco.rollNodes(w, 2, old, target);
      await waitReply(/Done/);
      await settle();
      expect(said(/Stuck: node .* is stuck in its update/)).toHaveLength(1);
      expect(said(/Resolved: node .* is stuck in its update/)).toHaveLength(1);
      expect(said(/Stuck: node .* is Degraded/)).toHaveLength(1);
      expect(said(/Resolved: node .* is Degraded/)).toHaveLength(1);
      expect(second.currentState?.rollouts[0]?.marks).toBeUndefined();
      expectOneThread();
    },
    60_000,
  );
});
