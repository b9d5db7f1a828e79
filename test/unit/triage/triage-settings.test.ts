// ICSP_TRIAGE_*: off by default, one line per bad value.
import { describe, expect, it } from 'vitest';
import { triageSettingsFromEnv } from '../../../src/composition/triage-notifier.ts';
import { isPullMessage } from '../../../src/cluster/pull-event-watch.ts';

describe('triage channel settings', () => {
  it('is off without ICSP_TRIAGE_CHANNEL', () => {
    expect(triageSettingsFromEnv({})).toEqual({ settings: null, errors: [] });
  });
  it("reads the channel, namespaces, limits and shares the rollout notices' ConfigMap and Lease", () => {
    const r = triageSettingsFromEnv({
      ICSP_TRIAGE_CHANNEL: 'C0T',
      ICSP_TRIAGE_NAMESPACES: 'shop, team-*',
      ICSP_TRIAGE_EXCLUDE_NAMESPACES: 'kube-*',
      ICSP_TRIAGE_MAX_POSTS_PER_HOUR: '5',
      POD_NAME: 'bot-1',
    });
    expect(r.errors).toEqual([]);
    expect(r.settings).toMatchObject({
      channel: 'C0T',
      includeNamespaces: ['shop', 'team-*'],
      excludeNamespaces: ['kube-*'],
      maxPostsPerHour: 5,
      updateIntervalMs: 10_000,
      resolveIntervalMs: 30_000,
      stateConfigMap: 'icsp-bot-rollouts',
      lease: { name: 'icsp-bot-notifier', identity: 'bot-1' },
    });
  });
  it('one line per bad value', () => {
    const r = triageSettingsFromEnv({
      ICSP_TRIAGE_CHANNEL: 'C0T',
      ICSP_TRIAGE_NAMESPACES: 'Shop/x',
      ICSP_TRIAGE_MAX_POSTS_PER_HOUR: '0',
    });
    expect(r.errors.length).toBe(2);
    expect(r.errors.join('\n')).toMatch(/ICSP_TRIAGE_NAMESPACES: "Shop\/x" is not a namespace name/);
    expect(r.errors.join('\n')).toMatch(/ICSP_TRIAGE_MAX_POSTS_PER_HOUR/);
  });
  it('only pull messages count: a container back-off or a create error is not a pull failure', () => {
    expect(isPullMessage('BackOff', 'Back-off pulling image "q.io/a:1"')).toBe(true);
    expect(isPullMessage('BackOff', 'Back-off restarting failed container app in pod x')).toBe(false);
    expect(isPullMessage('Failed', 'Error: ErrImagePull')).toBe(false);
    expect(isPullMessage('Failed', 'Failed to pull image "q.io/a:1": rpc error: code = Unknown desc = x')).toBe(true);
    expect(
      isPullMessage(
        'InspectFailed',
        'Failed to inspect image "": rpc error: code = Unknown desc = short name ' +
          'mode is enforcing, but image name a:1 returns ambiguous list',
      ),
    ).toBe(true);
  });
});
