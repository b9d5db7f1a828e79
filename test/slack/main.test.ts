// The whole process (`npm start` = node src/main.ts): settings validated at start (one line each, exit 2); in
// HTTP mode with ICSP_POLICIES and no cluster it answers a signed command from the files and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingServer } from './helpers/recording-server.ts';
import { BOT_TOKEN, commandForm, postSigned, SIGNING_SECRET } from './helpers/slack-fixtures.ts';

function run(env: Record<string, string>): {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill: (s: NodeJS.Signals) => void;
  stdout: () => string;
} {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ICSP_METRICS_PORT: '0', ICSP_METRICS_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stdout, stderr })),
  );
  return { done, kill: (s) => child.kill(s), stdout: () => stdout };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

const rec = new RecordingServer();
beforeAll(() => rec.start());
afterAll(() => rec.stop());

describe('src/main.ts', () => {
  it('invalid settings: one line each on stderr, exit 2, no secret echoed', async () => {
    const r = await run({ SLACK_MODE: 'http', SLACK_BOT_TOKEN: 'xoxp-should-not-appear', PORT: 'eighty' }).done;
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'icsp-bot: SLACK_BOT_TOKEN: must start with xoxb- (value not shown)',
      'icsp-bot: SLACK_SIGNING_SECRET: missing, required in http mode',
      'icsp-bot: PORT: "eighty" is not a whole number',
    ]);
    expect(r.stderr).not.toContain('should-not-appear');
  });

  it('offline HTTP mode: answers a signed command from ICSP_POLICIES, then stops on SIGTERM', async () => {
    const port = await freePort();
    const p = run({
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: rec.apiUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      ICSP_POLICIES: 'examples/',
      ICSP_CLUSTER_NAME: 'demo',
    });
    const deadline = Date.now() + 15_000;
    while (!p.stdout().includes('icsp-bot started') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(p.stdout()).toContain('icsp-bot started');
    const r = await postSigned(
      port,
      commandForm({ text: 'why imagestore.co/repo/exampleimage:latest', responseUrl: rec.responseUrl('m') }),
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(200);
    await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 2, 10_000);
    const [anchor, plan] = rec.callsOf('chat.postMessage');
    expect(anchor!.params.text).toContain('[demo]');
    expect(JSON.stringify(anchor!.params.blocks)).toContain('live checks are off');
    expect(plan!.params.thread_ts).toBeDefined();
    p.kill('SIGTERM');
    const end = await p.done;
    expect(end.code).toBe(0);
    expect(end.stdout).toContain('"signal":"SIGTERM"');
    expect(end.stdout + end.stderr).not.toContain(BOT_TOKEN);
    expect(end.stdout + end.stderr).not.toContain(SIGNING_SECRET);
  });
});
