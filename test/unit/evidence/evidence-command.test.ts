// `icsp evidence` end to end on the captured fixtures: text and JSON output, exit codes, one-line errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli.ts';
import type { EvidenceJson } from '../../../src/domain/evidence/evidence-json.ts';
import { podmanFixturesDir } from '../../helpers/shared-dir.ts';
import { tempDir } from '../../helpers/test-temp-dir.ts';

const DIR = `${podmanFixturesDir}/`;

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(['evidence', ...args], stdin);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('icsp evidence', () => {
  it("--json has the documented shape, attempts in order, verdict against the node's registries.conf", async () => {
    const s = `${DIR}b-digest-fallback-second-mirror`;
    const r = await cli([`${s}/output.log`, '--registries-conf', `${s}/registries.conf`, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as EvidenceJson;
    expect(Object.keys(j)).toEqual([
      'schemaVersion',
      'tool',
      'image',
      'configFiles',
      'attempts',
      'served',
      'blobsFromOtherSources',
      'finalError',
      'credentialNotes',
      'retries',
      'policyCheck',
      'plan',
      'verdict',
      'stats',
      'event',
    ]);
    expect(j.attempts.map((a) => [a.location, a.mirror, a.outcome])).toEqual([
      ['127.0.0.1:5002/empty/repo', true, 'manifest-unknown'],
      ['127.0.0.1:5003/mirror/repo', true, 'served'],
    ]);
    expect(Object.keys(j.attempts[0] ?? {})).toEqual([
      'walk',
      'reference',
      'location',
      'mirror',
      'outcome',
      'detail',
      'lines',
      'credentials',
      'planned',
    ]);
    expect(j.served?.reference).toBe(j.attempts[1]?.reference);
    expect(j.verdict.code).toBe('mirror-hit');
    expect(j.plan).toHaveLength(3);
  });

  it('text output: the verdict line first', async () => {
    const r = await cli([`${DIR}c-digest-fallback-to-source/output.log`]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(
      /^source-fallback: the source served 127\.0\.0\.1:5001\/repo\/exampleimage@sha256:/,
    );
  });

  it('all-failed exits 1; reads stdin with -', async () => {
    const { readFileSync } = await import('node:fs');
    const r = await cli(['-', '--json'], readFileSync(`${DIR}m-all-candidates-fail/output.log`, 'utf8'));
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as EvidenceJson).verdict.code).toBe('all-failed');
  });

  it('--image overrides the plan reference; a node file lacking a mirror gives plan-mismatch', async () => {
    const s = `${DIR}s-skopeo-ignores-registries-conf-env-var`;
    const img =
      '127.0.0.1:5001/repo/exampleimage@sha256:db51158598841bf2db6b05852f3b05cccf746576fa58658c49cb653eaefe27bb';
    const r = await cli([`${s}/output.log`, '--image', img, '--registries-conf', `${s}/registries.conf`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^plan-mismatch: the node never tried your mirror 127\.0\.0\.1:5002\/mirror\/repo/);
  });

  it('errors are one line on stderr with exit 2', async () => {
    for (const args of [
      [],
      ['/nonexistent.log'],
      [`${DIR}a-digest-mirror-hit/output.log`, '--bogus'],
      [`${DIR}a-digest-mirror-hit/output.log`, '--registries-conf', `${DIR}a-digest-mirror-hit/output.log`],
      [`${DIR}a-digest-mirror-hit/output.log`, '--image', 'UPPER/Case'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')[0]).toMatch(/^icsp evidence: /);
    }
  });

  it('an empty log is a verdict, not an error', async () => {
    const r = await cli(['-']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('no-attempts: the log is empty');
  });

  it('a kubelet event on stdin: the same JSON, tool kubelet, compared with the plan of --registries-conf', async () => {
    const corpus = new URL('../../fixtures/kubelet-events/not-mirrored/', import.meta.url).pathname;
    const scenario = JSON.parse(readFileSync(`${corpus}scenario.json`, 'utf8')) as {
      registriesConf: string;
      image: string;
    };
    const conf = join(tempDir('icsp-ev-'), 'registries.conf');
    writeFileSync(conf, scenario.registriesConf);
    const r = await cli(
      ['-', '--registries-conf', conf, '--json'],
      readFileSync(`${corpus}cri-client.describe-pod.txt`, 'utf8'),
    );
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as EvidenceJson;
    expect(j.tool).toBe('kubelet');
    expect(j.image).toBe(scenario.image);
    expect(j.attempts.map((a) => [a.outcome, a.mirror, a.planned])).toEqual([
      ['manifest-unknown', true, true],
      ['manifest-unknown', true, true],
      ['dns', false, true],
    ]);
    expect(j.attempts[0]?.location).toBe('127.0.0.1:5002/empty/repo');
    expect(j.verdict.code).toBe('all-failed');
    expect(j.event?.pod?.node).toBe('worker-1.lab.example');
  });
});

describe('icsp evidence text', () => {
  it('lines the attempts up: the outcome column is as wide as the longest outcome shown', async () => {
    const r = await cli(['test/fixtures/kubelet-events/all-candidates-fail/cri-client.event-failed.txt']);
    const rows = r.out.split('\n').filter((l) => /^ {2}\d+\. /.test(l));
    expect(rows.map((l) => l.split(/ +/)[2])).toEqual([
      'manifest-unknown',
      'connection-refused',
      'tls',
      'manifest-unknown',
    ]);
    const roleAt = rows.map((l) => l.search(/ (mirror|source) /));
    expect(new Set(roleAt).size).toBe(1);
  });
});
