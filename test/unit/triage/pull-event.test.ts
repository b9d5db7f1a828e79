// A kubelet event as the triage channel's watch hands it on: only pull messages, the container from the fieldPath,
// the node from the source, and when the kubelet last saw it (so a relist's old failure is told from a new one).
import { describe, expect, it } from 'vitest';
import type { CoreV1Event } from '@kubernetes/client-node';
import { toPullEvent } from '../../../src/cluster/pull-event-watch.ts';

const IMAGE = 'quay.io/shop/web@sha256:aaaa';

function ev(extra: Partial<CoreV1Event>): CoreV1Event {
  return {
    metadata: { name: 'web-1.17f', namespace: 'shop' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u1', fieldPath: 'spec.containers{web}' },
    reason: 'Failed',
    message: `Failed to pull image "${IMAGE}": manifest unknown`,
    source: { component: 'kubelet', host: 'worker-1' },
    ...extra,
  } as CoreV1Event;
}

describe('toPullEvent', () => {
  it('reads the pod, the container, the node and the time the kubelet last saw the failure', () => {
    expect(
      toPullEvent(
        ev({ lastTimestamp: '2026-11-29T12:00:05Z' as unknown as Date, eventTime: undefined as unknown as Date }),
      ),
    ).toEqual({
      namespace: 'shop',
      pod: 'web-1',
      uid: 'u1',
      container: 'web',
      node: 'worker-1',
      reason: 'Failed',
      message: `Failed to pull image "${IMAGE}": manifest unknown`,
      at: Date.parse('2026-11-29T12:00:05Z'),
    });
  });

  it('a series (events.k8s.io) counts by its last observation; else the event time, else the creation', () => {
    const series = ev({
      lastTimestamp: '2026-11-29T12:00:05Z' as unknown as Date,
      series: { count: 4, lastObservedTime: '2026-11-29T12:03:00.250000Z' as unknown as Date },
    });
    expect(toPullEvent(series)?.at).toBe(Date.parse('2026-11-29T12:03:00.250Z'));
    expect(toPullEvent(ev({ eventTime: new Date('2026-11-29T12:01:00Z') }))?.at).toBe(
      Date.parse('2026-11-29T12:01:00Z'),
    );
    const created = ev({});
    created.metadata = { ...created.metadata, creationTimestamp: new Date('2026-11-29T11:00:00Z') };
    expect(toPullEvent(created)?.at).toBe(Date.parse('2026-11-29T11:00:00Z'));
    expect(toPullEvent(ev({}))?.at).toBeNull();
  });

  it('not a pull message: nothing', () => {
    expect(toPullEvent(ev({ message: 'Error: ErrImagePull' }))).toBeNull();
    expect(toPullEvent(ev({ reason: 'BackOff', message: 'Back-off restarting failed container web' }))).toBeNull();
  });
});
