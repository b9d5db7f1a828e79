import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/observability/health-server.ts';
import type { HealthServer } from '../../src/observability/health-server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

let hs: HealthServer | undefined;
afterEach(async () => {
  await hs?.close();
  hs = undefined;
});

describe('health server', () => {
  it('healthz, readyz with reasons, and Prometheus metrics', async () => {
    const m = createMetrics(false);
    let slackUp = false;
    hs = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: m.registry,
      checks: () => [{ name: 'slack', check: () => (slackUp ? undefined : 'socket mode not connected') }],
    });
    const base = `http://127.0.0.1:${hs.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('slack: socket mode not connected\n');
    slackUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    m.checksFinished.inc({ kind: 'live', verdict: 'mirror-hit' });
    m.debugPodsInFlight.set(2);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('icsp_bot_checks_finished_total{kind="live",verdict="mirror-hit"} 1');
    expect(text).toContain('icsp_bot_debug_pods_in_flight 2');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('instrumented ports', () => {
  it('count checks by kind and verdict, errors included', async () => {
    const { instrumentPolicySource } = await import('../../src/observability/instrument.ts');
    const m = createMetrics(false);
    let fail = false;
    const source = instrumentPolicySource(
      {
        cluster: 'c',
        explain: async () => {
          if (fail) throw new Error('boom');
          return { verdict: { code: 'mirror-first', summary: '' } } as never;
        },
      },
      m,
    );
    await source.explain('quay.io/a:1');
    fail = true;
    await expect(source.explain('quay.io/a:1')).rejects.toThrow('boom');
    const text = await m.registry.metrics();
    expect(text).toContain('icsp_bot_checks_started_total{kind="plan"} 2');
    expect(text).toContain('icsp_bot_checks_finished_total{kind="plan",verdict="mirror-first"} 1');
    expect(text).toContain('icsp_bot_checks_finished_total{kind="plan",verdict="error"} 1');
  });
});
