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
    hs = await startHealthServer({ port: 0, host: '127.0.0.1', registry: m.registry, checks: () => [{ name: 'slack', check: () => (slackUp ? undefined : 'socket mode not connected') }] });
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
