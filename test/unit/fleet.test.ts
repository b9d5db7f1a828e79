// The fleet's pure and file parts: `cluster=` taken out of any command, and the clusters read from a directory of
// kubeconfigs (a mounted Secret, with its ..data links) or from contexts of one kubeconfig.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { extractClusterOption } from '../../src/slack/cluster-option.ts';
import { fleetFromContexts, fleetFromDirectory } from '../../src/cluster/fleet-kubeconfigs.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

function kubeconfig(server: string, context = 'ctx'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': context,
    clusters: [{ name: 'c', cluster: { server } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: context, context: { cluster: 'c', user: 'u' } }],
  });
}

describe('extractClusterOption', () => {
  it.each([
    ['why quay.io/a:1', { kind: 'default' }, 'why quay.io/a:1'],
    ['why quay.io/a:1 cluster=prod-east', { kind: 'one', name: 'prod-east' }, 'why quay.io/a:1'],
    ['cluster=all why quay.io/a:1 node=w1', { kind: 'all' }, 'why quay.io/a:1 node=w1'],
    ['status `cluster=ALL`', { kind: 'all' }, 'status'],
    ['why x cluster=admin@prod/api:6443', { kind: 'one', name: 'admin@prod/api:6443' }, 'why x'],
  ])('%s', (text, choice, rest) => {
    expect(extractClusterOption(text)).toEqual({ ok: true, choice, rest });
  });
  it('refuses a second cluster= and a bad name, quoting it safely', () => {
    expect(extractClusterOption('why x cluster=a cluster=b')).toEqual({
      ok: false,
      error: 'give cluster= at most once',
    });
    const r = extractClusterOption('why x cluster=-bad;rm');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe('cluster= takes a cluster name or "all", got "-bad;rm"');
  });
});

describe('fleetFromDirectory', () => {
  it('one cluster per file, named by the file; dotfiles and ..data links of a Secret volume skipped', () => {
    const dir = tempDir('icsp-fleet-');
    const data = join(dir, '..2026_11_29_10_00_00.1');
    mkdirSync(data);
    writeFileSync(join(data, 'prod-east'), kubeconfig('https://east.example:6443'));
    writeFileSync(join(data, 'prod-west.yaml'), kubeconfig('https://west.example:6443'));
    symlinkSync(data, join(dir, '..data'));
    symlinkSync('..data/prod-east', join(dir, 'prod-east'));
    symlinkSync('..data/prod-west.yaml', join(dir, 'prod-west.yaml'));
    const fleet = fleetFromDirectory(dir);
    expect(fleet.map((m) => [m.name, m.kubeConfig.getCurrentCluster()?.server])).toEqual([
      ['prod-east', 'https://east.example:6443'],
      ['prod-west', 'https://west.example:6443'],
    ]);
  });
  it('clear errors: missing directory, empty, not a kubeconfig, reserved name', () => {
    expect(() => fleetFromDirectory('/nonexistent/icsp')).toThrow(
      /^ICSP_KUBECONFIGS: cannot read the directory \/nonexistent\/icsp/,
    );
    const empty = tempDir('icsp-fleet-');
    expect(() => fleetFromDirectory(empty)).toThrow(/no kubeconfig files/);
    const bad = tempDir('icsp-fleet-');
    writeFileSync(join(bad, 'x'), 'clusters: [ [');
    expect(() => fleetFromDirectory(bad)).toThrow(/^ICSP_KUBECONFIGS: x is not a kubeconfig/);
    const all = tempDir('icsp-fleet-');
    writeFileSync(join(all, 'all'), kubeconfig('https://a:6443'));
    expect(() => fleetFromDirectory(all)).toThrow(/"all" is not usable as a cluster name/);
  });
});

describe('fleetFromContexts', () => {
  const base = new KubeConfig();
  base.loadFromOptions({
    clusters: [
      { name: 'e', server: 'https://east:6443', skipTLSVerify: false },
      { name: 'w', server: 'https://west:6443', skipTLSVerify: false },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [
      { name: 'east', cluster: 'e', user: 'u' },
      { name: 'west', cluster: 'w', user: 'u' },
    ],
    currentContext: 'east',
  });
  it('all contexts, or the ones named', () => {
    expect(fleetFromContexts(base, 'all').map((m) => [m.name, m.kubeConfig.getCurrentCluster()?.server])).toEqual([
      ['east', 'https://east:6443'],
      ['west', 'https://west:6443'],
    ]);
    expect(fleetFromContexts(base, 'west').map((m) => m.name)).toEqual(['west']);
  });
  it('an unknown context names the ones there are', () => {
    expect(() => fleetFromContexts(base, 'east,north')).toThrow(
      'ICSP_KUBECONFIG_CONTEXTS: no context "north" in the kubeconfig (it has: east, west)',
    );
  });
});
