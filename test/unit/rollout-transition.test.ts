// What a policy generation does to the nodes given the notifier's memory (src/domain/rollout-transition.ts): the
// MCO keeps the last accepted MachineConfig when it refuses a set, so rollouts are measured from the last ACCEPTED
// render, a refusal is said once and followed by no rollout, and the fix of a refusal is a change even when it
// renders as the refused intent did. Also: older state without the accepted render still loads (lastAccepted).
import { describe, expect, it } from 'vitest';
import { acceptedFromRendered, describeChange, policyState } from '../../src/domain/rollout-change.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import type { PolicyState } from '../../src/domain/rollout-change.ts';
import { firstStepOnRefused, followedRefusal, nextPolicyStep } from '../../src/domain/rollout-transition.ts';
import type { PolicyMemory, PolicyOutcome, PolicyStep } from '../../src/domain/rollout-transition.ts';
import { lastAccepted } from '../../src/domain/notifier-state.ts';
import type { NotifierState, RolloutRecord } from '../../src/domain/notifier-state.ts';
import { refusalChangedReply, refusalClearedReply, refusalMessage } from '../../src/domain/rollout-notice.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import type { ImageContentSourcePolicy, ImageDigestMirrorSet, ImageMirrors } from '../../src/types/openshift.ts';

const RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${'a'.repeat(64)}`;

const idms = (name: string, mirrors: ImageMirrors[], generation = 1): ImageDigestMirrorSet => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name, uid: `uid-${name}`, generation },
  spec: { imageDigestMirrors: mirrors },
});
const icsp = (name: string, source: string, mirrors: string[], generation = 1): ImageContentSourcePolicy => ({
  apiVersion: 'operator.openshift.io/v1alpha1',
  kind: 'ImageContentSourcePolicy',
  metadata: { name, uid: `uid-${name}`, generation },
  spec: { repositoryDigestMirrors: [{ source, mirrors }] },
});
const state = (p: Partial<PolicySet>): PolicyState =>
  policyState({
    icsps: [],
    idms: [],
    itms: [],
    image: { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
    releaseImage: RELEASE,
    ...p,
  });

const APP = 'quay.io/app';
const never = idms('a', [{ source: APP, mirrors: ['m1.local/app'], mirrorSourcePolicy: 'NeverContactSource' }]);
// Two objects disagree on mirrorSourcePolicy for one source: the MCO refuses; the intent renders blocked anyway.
const conflict: Partial<PolicySet> = {
  idms: [never, idms('b', [{ source: APP, mirrors: ['m2.local/app'], mirrorSourcePolicy: 'AllowContactingSource' }])],
};
const conflict2: Partial<PolicySet> = {
  idms: [
    never,
    idms('b', [{ source: APP, mirrors: ['m3.local/app'], mirrorSourcePolicy: 'AllowContactingSource' }], 2),
  ],
};
// The fix: both NeverContactSource; renders exactly as the refused intent did.
const agreed: Partial<PolicySet> = {
  idms: [never, idms('b', [{ source: APP, mirrors: ['m2.local/app'], mirrorSourcePolicy: 'NeverContactSource' }], 2)],
};
const other: Partial<PolicySet> = { idms: [idms('o', [{ source: 'quay.io/other', mirrors: ['m.local/other'] }])] };
const slash: Partial<PolicySet> = { icsps: [icsp('s', 'quay.io/ns/', ['m.local/ns'])] };
const slashFixed: Partial<PolicySet> = { icsps: [icsp('s', 'quay.io/ns', ['m.local/ns'], 2)] };

/** Both sets of objects at once. */
const plus = (a: Partial<PolicySet>, b: Partial<PolicySet>): Partial<PolicySet> => ({
  icsps: [...(a.icsps ?? []), ...(b.icsps ?? [])],
  idms: [...(a.idms ?? []), ...(b.idms ?? [])],
});

/** Runs the generations through nextPolicyStep from a first pass on the first, chaining the memory. */
function run(generations: Partial<PolicySet>[]): PolicyStep[] {
  let memory: PolicyMemory = { baseline: null, accepted: null };
  const steps: PolicyStep[] = [];
  for (const g of generations) {
    const step = nextPolicyStep(memory, state(g));
    steps.push(step);
    memory = step.memory;
  }
  return steps.slice(1);
}

const kinds = (steps: PolicyStep[]): PolicyOutcome['kind'][] => steps.map((s) => s.outcome.kind);
const rollout = (s: PolicyStep) => (s.outcome.kind === 'rollout' ? s.outcome.change : null);

describe('nextPolicyStep: what a generation does to the nodes', () => {
  const table: {
    name: string;
    generations: Partial<PolicySet>[];
    kinds: PolicyOutcome['kind'][];
    cleared: boolean[];
    /** The rollout lines of the last step, if it is one. */
    changes?: string[];
  }[] = [
    {
      name: 'accepted → accepted unchanged: nothing',
      generations: [other, other],
      kinds: ['none'],
      cleared: [false],
    },
    {
      name: 'accepted → accepted changed: a rollout',
      generations: [{}, other],
      kinds: ['rollout'],
      cleared: [false],
      changes: ['new source quay.io/other (mirrors m.local/other (digest-only))'],
    },
    {
      name: 'accepted → refused: one refusal, no rollout',
      generations: [other, plus(other, conflict)],
      kinds: ['refused'],
      cleared: [false],
    },
    {
      name: 'refused → refused differently: no rollout, no second refusal but a follow-up of the first',
      generations: [{}, conflict, conflict2],
      kinds: ['refused', 'refusal-changed'],
      cleared: [false, false],
    },
    {
      name: 'refused → the same refused objects again (a relist, a status write): nothing',
      generations: [{}, conflict, conflict],
      kinds: ['refused', 'none'],
      cleared: [false, false],
    },
    {
      name: 'refused → fixed with the same render as the refused intent: a rollout from the last accepted render',
      generations: [{}, conflict, agreed],
      kinds: ['refused', 'rollout'],
      cleared: [false, true],
      changes: [`new source ${APP} (mirrors m1.local/app (digest-only), m2.local/app (digest-only))`],
    },
    {
      name: 'refused → fixed back to the last accepted render: cleared, nothing for the nodes',
      generations: [other, plus(other, conflict), other],
      kinds: ['refused', 'none'],
      cleared: [false, true],
    },
    {
      name: 'trailing "/" refused → fixed: the rollout names only the fixed source, not the refused spelling',
      generations: [{}, slash, slashFixed],
      kinds: ['refused', 'rollout'],
      cleared: [false, true],
      changes: ['new source quay.io/ns (mirrors m.local/ns (digest-only))'],
    },
    {
      name: 'a rollout, then refused, then refused → refused: the accepted render stays the rolled-out one',
      generations: [{}, other, plus(other, conflict), plus(other, conflict2), other],
      kinds: ['rollout', 'refused', 'refusal-changed', 'none'],
      cleared: [false, false, false, true],
    },
  ];

  it.each(table)('$name', (row) => {
    const steps = run(row.generations);
    expect(kinds(steps)).toEqual(row.kinds);
    expect(steps.map((s) => s.cleared)).toEqual(row.cleared);
    if (row.changes !== undefined) expect(rollout(steps.at(-1)!)?.changes).toEqual(row.changes);
  });

  it('the fix of a conflict renders as its refused intent: the old comparison saw no change (the bug)', () => {
    expect(describeChange(state(conflict), state(agreed))).toBeNull();
    const [, fixed] = run([{}, conflict, agreed]);
    const c = rollout(fixed!)!;
    expect(c.after.error).toBeNull();
    expect(c.objects).toEqual([
      expect.objectContaining({ kind: 'ImageDigestMirrorSet', name: 'b', action: 'changed' }),
    ]);
    expect(c.changedSources).toEqual([APP]);
  });

  it('a refusal keeps the accepted render, names the refused objects and what they asked for', () => {
    const [refused] = run([other, plus(other, conflict)]);
    expect(refused!.memory.accepted).toEqual(state(other).config);
    expect(refused!.memory.baseline.config.error).toMatch(/conflicting mirrorSourcePolicy/);
    if (refused!.outcome.kind !== 'refused') throw new Error('expected a refusal');
    const r = refused!.outcome.refusal;
    expect(r.error).toMatch(/^conflicting mirrorSourcePolicy is set for the same source "quay.io\/app"/);
    expect(r.objects.map((o) => `${o.name} ${o.action}`)).toEqual(['a created', 'b created']);
    expect(r.asked).toEqual([`new source ${APP} (mirrors m1.local/app (digest-only), m2.local/app (digest-only))`]);
    const m = refusalMessage('prod', r);
    expect(m.text.split('\n')[0]).toBe(
      ':no_entry: The MCO refuses this mirror change on prod; nodes keep the previous configuration',
    );
    expect(m.text).toContain(`*Refused:* ${r.error}`);
    expect(m.text).toContain('ImageDigestMirrorSet/a created; ImageDigestMirrorSet/b created');
    expect(m.text).toContain('writes no new MachineConfig, so nothing rolls out until the objects are fixed');
    expect(refusalClearedReply(true).text).toContain('the new configuration rolls out');
    expect(refusalClearedReply(false).text).toContain('nothing changes on the nodes');
  });

  it('refused → refused: the new reason, what changed, what is asked against the last ACCEPTED render', () => {
    const [first, same, different] = run([other, plus(other, conflict), plus(other, conflict2), plus(other, slash)]);
    if (first!.outcome.kind !== 'refused') throw new Error('expected a refusal');
    // the same reason (the conflict on one source), b changed: asked for now is m1 and m3, from the accepted render
    expect(same!.outcome).toEqual({
      kind: 'refusal-changed',
      sameReason: true,
      refusal: {
        error: first!.outcome.refusal.error,
        objects: [expect.objectContaining({ kind: 'ImageDigestMirrorSet', name: 'b', action: 'changed' })],
        asked: [`new source ${APP} (mirrors m1.local/app (digest-only), m3.local/app (digest-only))`],
      },
    });
    expect(same!.memory.accepted).toEqual(state(other).config);
    // a different reason: the trailing "/" of an ICSP source
    if (different!.outcome.kind !== 'refusal-changed') throw new Error('expected a changed refusal');
    expect(different!.outcome.sameReason).toBe(false);
    expect(different!.outcome.refusal.error).toMatch(/^invalid format for source "quay.io\/ns\/"/);
    expect(different!.outcome.refusal.objects.map((o) => `${o.kind}/${o.name} ${o.action}`)).toEqual([
      'ImageContentSourcePolicy/s created',
      'ImageDigestMirrorSet/a deleted',
      'ImageDigestMirrorSet/b deleted',
    ]);
    expect(different!.memory.accepted).toEqual(state(other).config);
    // the open refusal folded: created then deleted is gone, created then changed stays created
    const open = followedRefusal(
      first!.outcome.refusal,
      same!.outcome.kind === 'refusal-changed' ? same!.outcome.refusal : first!.outcome.refusal,
    );
    expect(open.objects.map((o) => `${o.name} ${o.action}`)).toEqual(['a created', 'b created']);
    expect(open.error).toBe(first!.outcome.refusal.error);
    const now = followedRefusal(open, different!.outcome.refusal);
    expect(now.objects.map((o) => `${o.kind}/${o.name} ${o.action}`)).toEqual(['ImageContentSourcePolicy/s created']);
    expect(now.error).toBe(different!.outcome.refusal.error);
    expect(
      followedRefusal(
        { ...open, objects: [{ kind: 'Image', name: 'x', action: 'deleted' }] },
        {
          ...open,
          objects: [{ kind: 'Image', name: 'x', action: 'created' }],
        },
      ).objects,
    ).toEqual([{ kind: 'Image', name: 'x', action: 'changed' }]);
    // the thread's reply and the edited message
    expect(refusalChangedReply({ objects: now.objects, error: now.error, sameReason: false }).text).toBe(
      `:no_entry: Still refused after the change (ImageContentSourcePolicy/s created), now for a different reason: ` +
        `${now.error}\nThe nodes still keep the previous configuration.`,
    );
    expect(refusalChangedReply({ objects: [], error: 'e', sameReason: true }).text).toMatch(
      /^:no_entry: Still refused after the change \(the objects\), for the same reason: e\n/,
    );
    expect(refusalMessage('prod', now, { followedUp: true }).text).toContain(`*Refused:* ${now.error}`);
    expect(refusalMessage('prod', now, { followedUp: true }).text).toContain('each change is in the thread');
    expect(refusalMessage('prod', now).text).not.toContain('each change is in the thread');
  });

  it('a first pass on refused objects is no refusal notice (the baseline), and what the nodes have is unknown', () => {
    const first = nextPolicyStep({ baseline: null, accepted: null }, state(conflict));
    expect(first.outcome.kind).toBe('none');
    expect(first.memory.accepted).toBeNull();
    // Unknown accepted render: the refused baseline stands in (the comparison of state written before this).
    const fixed = nextPolicyStep(first.memory, state(slashFixed));
    expect(fixed.outcome.kind).toBe('rollout');
    expect(fixed.cleared).toBe(true);
  });
});

describe('a first start on objects the MCO already refuses', () => {
  const encoded = (p: Partial<PolicySet>): string => {
    const c = state(p).config;
    return encodeRegistriesConf(c.search, c.registries);
  };

  it("the accepted render is the pools' rendered registries.conf: most pools win, unreadable texts are skipped", () => {
    const a = acceptedFromRendered([encoded(other), encoded(other), encoded(slashFixed)])!;
    expect(describeChange({ config: a, objects: [] }, state(other))).toBeNull();
    expect(describeChange({ config: a, objects: [] }, state(slashFixed))).not.toBeNull();
    const tie = acceptedFromRendered([encoded(slashFixed), encoded(other)])!;
    expect(describeChange({ config: tie, objects: [] }, state(slashFixed))).toBeNull();
    expect(acceptedFromRendered(['[[registry]\nprefix = ', encoded(other)])?.registries).toHaveLength(1);
    // no file: the template (no entries)
    expect(acceptedFromRendered([null])).toMatchObject({ rendered: false, registries: [], error: null });
    expect(acceptedFromRendered([])).toBeNull();
    expect(acceptedFromRendered(['[[registry]\nprefix = '])).toBeNull();
  });

  it('the refusal is said against that render; which objects were changed is not known', () => {
    const accepted = acceptedFromRendered([encoded(other)]);
    const step = firstStepOnRefused(state(plus(other, conflict)), accepted);
    if (step.outcome.kind !== 'refused') throw new Error('expected a refusal');
    expect(step.outcome.refusal).toEqual({
      error: expect.stringMatching(/^conflicting mirrorSourcePolicy/),
      objects: [],
      asked: [`new source ${APP} (mirrors m1.local/app (digest-only), m2.local/app (digest-only))`],
      seenAtStart: true,
    });
    expect(step.memory.accepted).toBe(accepted);
    expect(step.memory.baseline).toEqual(state(plus(other, conflict)));
    const text = refusalMessage('prod', step.outcome.refusal).text;
    expect(text).toContain('*Objects:* not known: the bot started on objects the MCO already refused');
    // the next step from that memory: the same objects again say nothing; the fix is a rollout from the render
    expect(nextPolicyStep(step.memory, state(plus(other, conflict))).outcome.kind).toBe('none');
    const fixed = nextPolicyStep(step.memory, state(plus(other, agreed)));
    expect(fixed.cleared).toBe(true);
    expect(rollout(fixed)?.changes).toEqual([
      `new source ${APP} (mirrors m1.local/app (digest-only), m2.local/app (digest-only))`,
    ]);
    // a later change that is still refused keeps the "not known" (and lists what changed since)
    const later = followedRefusal(step.outcome.refusal, {
      error: 'e',
      objects: [{ kind: 'Image', name: 'cluster', action: 'changed' }],
      asked: [],
    });
    expect(later.seenAtStart).toBe(true);
    expect(refusalMessage('prod', later).text).toContain('*Objects:* Image/cluster changed; before that not known');
  });

  it('accepted objects, or no render to read: the old first start (nothing to say)', () => {
    expect(firstStepOnRefused(state(other), null).outcome.kind).toBe('none');
    expect(firstStepOnRefused(state(other), null).memory.accepted).toEqual(state(other).config);
    const unknown = firstStepOnRefused(state(conflict), null);
    expect(unknown.outcome.kind).toBe('none');
    expect(unknown.memory.accepted).toBeNull();
  });
});

describe('lastAccepted: state written before the accepted render was kept still loads', () => {
  const base = (baseline: PolicyState | null, rollouts: RolloutRecord[] = []): NotifierState => ({
    version: 1,
    baseline,
    rollouts,
  });
  const record = (after: PolicyState, startedAt: number): RolloutRecord => ({
    id: `r${startedAt}`,
    change: describeChange(state({}), after) ?? describeChange(state(other), after)!,
    startedAt,
    channel: 'C',
    ts: '1.1',
    lastHeader: null,
    lastUpdateAt: 0,
    openStuck: {},
    doneAt: startedAt + 1,
    doneTargets: {},
    superseded: false,
  });

  it('an accepted baseline is the accepted render', () => {
    expect(lastAccepted(base(state(other)))).toEqual(state(other).config);
  });

  it('a refused baseline: the newest accepted rollout, else unknown', () => {
    const refused = state(plus(other, conflict));
    expect(lastAccepted(base(refused))).toBeNull();
    const s = base(refused, [record(state(slashFixed), 1), record(state(other), 2), record(refused, 3)]);
    expect(lastAccepted(s)).toEqual(state(other).config);
  });

  it('a kept accepted render wins, null included', () => {
    expect(lastAccepted({ ...base(state(other)), accepted: null })).toBeNull();
    expect(lastAccepted({ ...base(null), accepted: state(other).config })).toEqual(state(other).config);
    expect(lastAccepted(base(null))).toBeNull();
  });
});
