// What the container image holds: `npm ci --omit=dev` plus bin/, src/ and examples/ (the Dockerfile's steps).
// The CLI and the bot must run from that alone, on Node 24, with no dev dependency and no write outside /tmp; and
// they leave nothing in their TMPDIR (the Deployment's /tmp emptyDir lives as long as the pod).
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const run = promisify(execFile);

describe('the production install (what the Dockerfile copies)', () => {
  it('runs the CLI and starts the bot with production dependencies only, from a read-only tree', async () => {
    const dir = tempDir('icsp-prod-');
    for (const f of ['package.json', 'package-lock.json', 'bin', 'src', 'examples'])
      cpSync(join(repoRoot, f), join(dir, f), { recursive: true });
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      // npm turns on Node's compile cache, kept in TMPDIR/node-compile-cache: nothing of that here
      env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
      timeout: 240_000,
    });
    // Read-only from here on, as the image's root filesystem, and run as a non-root UID with group 0, as
    // OpenShift's restricted SCC runs the image (root would ignore the permission bits).
    await run('chmod', ['-R', 'a-w,a+rX', dir]);
    const asUser = process.getuid?.() === 0 ? { uid: 1001, gid: 0 } : {};
    // their TMPDIR, writable for UID 1001 as /tmp is
    const tmp = tempDir('icsp-prod-tmp-');
    chmodSync(tmp, 0o1777);
    try {
      const { stdout } = await run(
        process.execPath,
        ['bin/icsp.js', 'why', 'imagestore.co/repo/exampleimage:latest', '--policies', 'examples/', '--json'],
        { cwd: dir, env: { ...process.env, TMPDIR: tmp }, ...asUser },
      );
      expect(JSON.parse(stdout).verdict.code).toBe('tag-pull-skips-digest-mirrors');
      // The bot starts (offline mode, HTTP) and stops cleanly on SIGTERM.
      const child = spawn(process.execPath, ['src/main.ts'], {
        cwd: dir,
        env: {
          PATH: process.env['PATH'] ?? '',
          SLACK_MODE: 'http',
          SLACK_BOT_TOKEN: 'xoxb-1-2-prodtest',
          SLACK_SIGNING_SECRET: 'prod-test-secret-123456',
          PORT: '0',
          HOST: '127.0.0.1',
          ICSP_METRICS_PORT: '0',
          ICSP_METRICS_HOST: '127.0.0.1',
          ICSP_POLICIES: 'examples/',
          HOME: '/nonexistent',
          TMPDIR: tmp,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...asUser,
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const closed = new Promise<number | null>((r) => child.on('close', r));
      // Up to 60 s: a start-up check, not a speed limit (a loaded 2-core machine took over 10 s).
      for (let i = 0; i < 600 && !out.includes('icsp-bot started'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out, out).toContain('icsp-bot started');
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(readdirSync(tmp), 'what the CLI and the bot left in their TMPDIR').toEqual([]);
    } finally {
      await run('chmod', ['-R', 'u+w', dir]);
    }
  }, 300_000);
});
