// The one settings module: the README's table is the module's table, every variable the program reads is in it,
// and the typed parser has one rule per kind of value.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveCheckSettingsFromEnv } from '../../src/cluster/live-checker.ts';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { triageSettingsFromEnv } from '../../src/composition/triage-notifier.ts';
import { rolloutSettingsFromEnv } from '../../src/composition/rollout-notifier.ts';
import { SettingsReader } from '../../src/settings/settings-reader.ts';
import { SETTINGS, settingSpec, settingsMarkdown } from '../../src/settings/settings-table.ts';
import { inputLimitsFromEnv } from '../../src/files/input-limits.ts';
import { loadConfig } from '../../src/slack/config.ts';
import { proxySettingsFromEnv } from '../../src/slack/outbound.ts';

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = path.join(d, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|js)$/.test(n) ? [p] : [];
  });
}

/** The rows of the README's settings table, as written. */
function readmeRows(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  const start = lines.indexOf('| variable | default | meaning |');
  expect(start, 'README.md has the settings table').toBeGreaterThan(0);
  const rows: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!);
  return rows;
}

/** Runs every settings loader over an environment that records what is read. */
function variablesRead(): Set<string> {
  const read = new Set<string>();
  const env = (base: Record<string, string>): Record<string, string | undefined> =>
    new Proxy(base as Record<string, string | undefined>, {
      get: (t, k) => (typeof k === 'string' ? (read.add(k), t[k]) : undefined),
    });
  loadConfig(env({}));
  loadConfig(env({ SLACK_MODE: 'http' }));
  liveCheckSettingsFromEnv(env({ ICSP_DEBUG_IMAGE: 'quay.io/a/b:1', ICSP_CLUSTER_NAME: 'c' }));
  rolloutSettingsFromEnv(env({ ICSP_NOTIFY_CHANNEL: 'C1' }));
  triageSettingsFromEnv(env({ ICSP_TRIAGE_CHANNEL: 'C2' }));
  // The process settings of src/main.ts.
  const p = new SettingsReader(env({}));
  p.int('ICSP_METRICS_PORT', { min: 0, max: 65535 });
  p.text('ICSP_METRICS_HOST');
  p.oneOf('ICSP_ALLOW_SHARED_SLACK_APP', ['true', 'false']);
  p.raw('ICSP_KUBECONFIGS');
  p.raw('ICSP_KUBECONFIG_CONTEXTS');
  p.seconds('ICSP_FLEET_CONNECT_TIMEOUT_SECONDS', { min: 1, max: 600 });
  proxySettingsFromEnv(env({}));
  // The input limits of the CLI and the offline bot (src/files/input-limits.ts).
  inputLimitsFromEnv(env({}));
  try {
    loadKubeconfig({ env: env({}), hint: 'h', home: '/nonexistent', serviceAccountToken: '/nonexistent' });
  } catch {
    // no kubeconfig here: only what it read matters
  }
  return read;
}

describe('settings table', () => {
  it('is the README settings table, row for row', () => {
    const expected = settingsMarkdown().split('\n');
    expect(readmeRows(), 'README.md: paste the output of settingsMarkdown() (src/settings/settings-table.ts)').toEqual(
      expected,
    );
    expect(expected.length).toBe(SETTINGS.length + 2);
  });

  it('names every variable the loaders read, and nothing they do not read', () => {
    const read = variablesRead();
    expect([...read].filter((n) => !SETTINGS.some((s) => s.name === n))).toEqual([]);
    expect(SETTINGS.map((s) => s.name).filter((n) => !read.has(n))).toEqual([]);
  });

  it('has one row per variable', () => {
    expect(new Set(SETTINGS.map((s) => s.name)).size).toBe(SETTINGS.length);
  });

  it('refuses a variable that is not in the table', () => {
    expect(() => new SettingsReader({}).raw('ICSP_NO_SUCH_THING')).toThrow(/not in the settings table/);
    expect(() => settingSpec('NOPE')).toThrow(/README/);
  });

  it('no source file outside src/settings/process-env.ts reads process.env', () => {
    const files = sourceFiles(path.join(root, 'src')).concat(sourceFiles(path.join(root, 'bin')));
    const readers = files.filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8').replace(/^\s*\/\/.*$/gm, '')));
    expect(readers.map((f) => path.relative(root, f))).toEqual(['src/settings/process-env.ts']);
  });
});

describe('SettingsReader: one rule per kind of value', () => {
  const reader = (env: Record<string, string>): SettingsReader => new SettingsReader(env);

  it('integers: whole numbers within the range, else one line and the default', () => {
    expect(reader({}).int('PORT', { min: 0, max: 65535 })).toBe(3000);
    expect(reader({ PORT: ' 8080 ' }).int('PORT', { min: 0, max: 65535 })).toBe(8080);
    for (const [v, line] of [
      ['eighty', 'PORT: "eighty" is not a whole number'],
      ['80.5', 'PORT: "80.5" is not a whole number'],
      ['-1', 'PORT: "-1" is not a whole number'],
      ['99999', 'PORT: 99999 is outside 0..65535'],
    ] as const) {
      const r = reader({ PORT: v });
      expect(r.int('PORT', { min: 0, max: 65535 })).toBe(3000);
      expect(r.errors).toEqual([line]);
    }
  });

  it('seconds: whole seconds only (no fractions anywhere), the default from the table', () => {
    expect(reader({}).seconds('ICSP_COALESCE_SECONDS', { min: 0, max: 100 })).toBe(20);
    const r = reader({ ICSP_COALESCE_SECONDS: '0.5' });
    r.seconds('ICSP_COALESCE_SECONDS', { min: 0, max: 100 });
    expect(r.errors).toEqual(['ICSP_COALESCE_SECONDS: "0.5" is not a whole number of seconds']);
    expect(rolloutSettingsFromEnv({ ICSP_NOTIFY_CHANNEL: 'C1', ICSP_STALL_SECONDS: '1.5' }).errors).toEqual([
      'ICSP_STALL_SECONDS: "1.5" is not a whole number of seconds',
    ]);
  });

  it('lists, IDs, enums, URLs and N/S rates', () => {
    expect(reader({ ICSP_POLICIES: ' a, ,b ' }).list('ICSP_POLICIES')).toEqual(['a', 'b']);
    const ids = reader({ ICSP_ALLOWED_CHANNELS: 'C01,#ops' });
    expect(ids.ids('ICSP_ALLOWED_CHANNELS', /^C[0-9]+$/, 'a channel')).toEqual(['C01', '#ops']);
    expect(ids.errors).toEqual(['ICSP_ALLOWED_CHANNELS: "#ops" is not a channel']);
    expect(reader({ SLACK_MODE: 'HTTP' }).oneOf('SLACK_MODE', ['socket', 'http'])).toBe('http');
    const bad = reader({ SLACK_MODE: 'pigeon' });
    expect(bad.oneOf('SLACK_MODE', ['socket', 'http'])).toBe('socket');
    expect(bad.errors).toEqual(['SLACK_MODE: "pigeon" is not one of socket, http']);
    expect(reader({ SLACK_API_URL: 'http://127.0.0.1:1/api' }).url('SLACK_API_URL')).toBe('http://127.0.0.1:1/api/');
    const ftp = reader({ SLACK_API_URL: 'ftp://x/' });
    ftp.url('SLACK_API_URL');
    expect(ftp.errors).toEqual(['SLACK_API_URL: "ftp://x/" must be http(s)']);
    expect(reader({}).rate('ICSP_RATE_LIMIT')).toEqual({ max: 10, windowMs: 60_000 });
    expect(reader({ ICSP_RATE_LIMIT: '5/10' }).rate('ICSP_RATE_LIMIT')).toEqual({ max: 5, windowMs: 10_000 });
  });

  it('empty and exact values: "" disables the lease election, blank is unset elsewhere', () => {
    expect(rolloutSettingsFromEnv({ ICSP_NOTIFY_CHANNEL: 'C1', ICSP_LEASE_NAME: '' }).settings?.lease).toBeNull();
    expect(rolloutSettingsFromEnv({ ICSP_NOTIFY_CHANNEL: 'C1' }).settings?.lease?.name).toBe('icsp-bot-notifier');
    expect(rolloutSettingsFromEnv({ ICSP_NOTIFY_CHANNEL: '  ' }).settings).toBeNull();
    expect(reader({ HOST: '  ' }).text('HOST')).toBe('0.0.0.0');
  });

  it('the live-check settings take the table defaults (the adapter defaults)', () => {
    const { settings, errors } = liveCheckSettingsFromEnv({});
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({
      namespace: 'icsp-bot-debug',
      deadlineSeconds: 120,
      concurrency: 5,
      maxNodes: 100,
    });
    expect(liveCheckSettingsFromEnv({ ICSP_LIVE_NODE_CONCURRENCY: '51' }).errors).toEqual([
      'ICSP_LIVE_NODE_CONCURRENCY: 51 is outside 1..50',
    ]);
  });
});
