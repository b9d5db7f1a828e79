// The rate limit's held causes in the resolution check (pure): the held groups the limit lets through now are
// checked before they are posted (dueActions keeps their slot until then), and the others are checked in turn, a
// constant number per pass (the idle API requests stay flat however many causes are held).
import { describe, expect, it } from 'vitest';
import {
  HELD_CHECKS_PER_PASS,
  dueActions,
  emptyTriageState,
  podsToCheck,
  recordFailure,
} from '../../../src/domain/triage/triage-groups.ts';
import type { TriageState } from '../../../src/domain/triage/triage-groups.ts';

const HOUR = 3600_000;
const img = (i: number): string => `quay.io/shop/img${i}:1`;
const key = (i: number): string => `not-mirrored ${img(i)}`;

/** `n` causes, `limit` posts per hour: the first `limit` posted, the rest held (and listed in the summary). */
function heldState(n: number, limit: number, t = 1_000_000): TriageState {
  const s = emptyTriageState();
  for (let i = 0; i < n; i++)
    recordFailure(
      s,
      {
        namespace: 'shop',
        pod: `p${i}`,
        container: 'c',
        node: 'w1',
        image: img(i),
        cause: 'not-mirrored',
        headline: 'h',
        fix: [],
        rolloutLink: null,
      },
      t + i,
    );
  for (const a of dueActions(s, t + n, 'c', { maxPostsPerHour: limit, updateIntervalMs: 0 })) {
    if (a.kind === 'post') Object.assign(s.groups[a.key]!, { ts: `ts-${a.key}`, lastText: a.text });
    else if (a.kind === 'summary') s.summary = { ts: 'ts-summary', lastText: a.text };
    s.posts.push(t + n);
  }
  return s;
}

describe('held causes and the resolution check', () => {
  it('checks the posted groups and, in turn, a constant number of held ones, longest unchecked first', () => {
    const s = heldState(12, 2);
    expect(Object.values(s.groups).filter((g) => g.held)).toHaveLength(10);
    const checked: string[][] = [];
    for (let pass = 0; pass < 4; pass++) {
      const r = podsToCheck(s, { now: 2_000_000 + pass, maxPostsPerHour: 2 });
      expect(r.filter((x) => !x.held).map((x) => x.key)).toEqual([key(0), key(1)]);
      checked.push(r.filter((x) => x.held).map((x) => x.key));
    }
    expect(checked.map((c) => c.length)).toEqual([3, 3, 3, 3].map(() => HELD_CHECKS_PER_PASS));
    // every held cause within ceil(10 / 3) passes, then round again
    expect(new Set(checked.slice(0, 4).flat()).size).toBe(10);
    expect(checked[0]).toEqual([key(2), key(3), key(4)]);
    expect(checked[3]).toEqual([key(11), key(2), key(3)]);
  });

  it('the held groups the limit lets through now are always checked, on top of those in turn', () => {
    const s = heldState(12, 2);
    const later = 1_000_000 + HOUR + 100; // the hour's posts aged out: two slots
    const r = podsToCheck(s, { now: later, maxPostsPerHour: 2, heldPerPass: 0 });
    expect(r.filter((x) => x.held).map((x) => x.key)).toEqual([key(2), key(3)]);
  });

  it('a held group is posted only after a check; until then it keeps its slot (no newer cause jumps ahead)', () => {
    const s = heldState(4, 1);
    const later = 1_000_000 + HOUR + 100;
    const o = { maxPostsPerHour: 1, updateIntervalMs: 0, heldCheckedSince: later };
    // not checked since the last check: nothing posted, img1 (the oldest held) keeps the one slot
    expect(dueActions(s, later, 'c', o).filter((a) => a.kind === 'post')).toEqual([]);
    podsToCheck(s, { now: later, maxPostsPerHour: 1, heldPerPass: 0 });
    expect(s.groups[key(1)]?.checkedAt).toBe(later);
    expect(dueActions(s, later, 'c', o).filter((a) => a.kind === 'post')).toEqual([
      expect.objectContaining({ key: key(1) }),
    ]);
  });

  it('a held group resolved is neither posted nor listed in the summary any more', () => {
    const s = heldState(3, 1);
    s.groups[key(1)]!.resolvedAt = 1_500_000;
    const later = 1_000_000 + HOUR + 100;
    const actions = dueActions(s, later, 'c', { maxPostsPerHour: 5, updateIntervalMs: 0 });
    expect(actions.filter((a) => a.kind === 'post').map((a) => (a.kind === 'post' ? a.key : ''))).toEqual([key(2)]);
    const s2 = heldState(3, 1);
    expect(dueActions(s2, 1_000_010, 'c', { maxPostsPerHour: 1, updateIntervalMs: 0 })).toEqual([]); // no change
    s2.groups[key(1)]!.resolvedAt = 1_500_000;
    const text = dueActions(s2, 1_000_010, 'c', { maxPostsPerHour: 1, updateIntervalMs: 0 }).find(
      (a) => a.kind === 'summary',
    );
    expect(text?.kind === 'summary' ? text.text : '').toMatch(/1 more cause not posted/);
    expect(text?.kind === 'summary' ? text.text : '').toContain(img(2));
    expect(text?.kind === 'summary' ? text.text : '').not.toContain(img(1));
  });
});
