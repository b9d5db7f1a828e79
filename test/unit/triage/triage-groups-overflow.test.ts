// A group keeps MAX_PODS pods by name; beyond that it can only say "at least", and a pod's repeated back-off events
// must not raise the count (they used to: every event of a pod over the bound counted as one more pod).
import { describe, expect, it } from 'vitest';
import {
  emptyTriageState,
  groupCounts,
  groupText,
  MAX_PODS,
  recordFailure,
} from '../../../src/domain/triage/triage-groups.ts';
import type { PullFailure } from '../../../src/domain/triage/triage-groups.ts';

const failure = (p: number): PullFailure => ({
  namespace: `ns-${p % 7}`,
  pod: `app-${p}`,
  container: 'app',
  node: `worker-${p % 3}`,
  image: 'quay.io/shop/app@sha256:' + 'd'.repeat(64),
  cause: 'not-mirrored',
  headline: 'the node tried mirror m: manifest unknown',
  fix: ['mirror it with oc-mirror'],
  rolloutLink: null,
});

describe('a group over its bound of pods kept by name', () => {
  it('counts a lower bound that repeated events of the same pods do not raise', () => {
    const s = emptyTriageState();
    const results: string[] = [];
    for (let round = 0; round < 3; round++)
      for (let p = 0; p < MAX_PODS + 50; p++) results.push(recordFailure(s, failure(p), 1000 + round));
    const g = Object.values(s.groups)[0]!;
    expect(groupCounts(g)).toMatchObject({ pods: MAX_PODS + 1, atLeast: true });
    expect(groupText(g, 'prod')).toContain(`at least ${MAX_PODS + 1} pods in 7 namespaces, 3 nodes`);
    // one group, MAX_PODS + 1 "new" results in the first round, none after
    expect(results.filter((r) => r !== 'known')).toHaveLength(MAX_PODS + 1);
  });

  it('says no "at least" while every pod is kept by name', () => {
    const s = emptyTriageState();
    for (let p = 0; p < 12; p++) recordFailure(s, failure(p), 1000);
    const g = Object.values(s.groups)[0]!;
    expect(groupCounts(g)).toMatchObject({ pods: 12, atLeast: false });
    expect(groupText(g, 'prod')).toContain('— 12 pods in 7 namespaces, 3 nodes');
  });
});
