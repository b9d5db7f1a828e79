import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDebugPod, CHECK_SCRIPT, parseCheckOutput, simpleName } from '../../src/domain/debug-pod.ts';
import { parsePullReference } from '../../src/domain/reference.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const pod = buildDebugPod({
  node: 'Worker-0.Example.com',
  namespace: 'icsp-bot-debug',
  serviceAccount: 'icsp-bot-debug',
  image: 'quay.io/openshift/tools:latest',
  reference: parsePullReference('imagestore.co/repo/exampleimage'),
  runId: 'r1',
  deadlineSeconds: 300,
  suffix: 'abcde',
});

describe('debug pod', () => {
  it('is pinned, privileged, bounded and labelled for the sweep', () => {
    const spec = pod.spec as Record<string, unknown>;
    expect(pod.metadata.name).toBe('worker-0examplecom-icsp-abcde');
    expect(spec['nodeName']).toBe('Worker-0.Example.com');
    expect(spec['activeDeadlineSeconds']).toBe(300);
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(spec['tolerations']).toEqual([{ operator: 'Exists' }]);
    expect(pod.metadata.labels['app.kubernetes.io/managed-by']).toBe('icsp-bot');
  });

  it('passes the reference as its own argv element, never inside the script text', () => {
    const c = (pod.spec['containers'] as Array<{ command: string[] }>)[0]!;
    expect(c.command.slice(0, 4)).toEqual(['chroot', '/host', '/bin/bash', '-c']);
    expect(c.command[4]).toBe(CHECK_SCRIPT);
    expect(c.command[6]).toBe('imagestore.co/repo/exampleimage:latest');
    expect(CHECK_SCRIPT).not.toContain('imagestore');
  });

  it('simpleName follows oc', () => expect(simpleName('-A_b.c-')).toBe('abc'));
});

describe('the check script, run for real with a stand-in podman', () => {
  it('prints the node files, the podman log and a summary; removes only what it pulled', () => {
    const root = tempDir('icsp-script-');
    mkdirSync(join(root, 'bin'));
    const calls = join(root, 'calls');
    // podman stand-in: records argv, "image exists" says no, pull prints a debug line.
    writeFileSync(
      join(root, 'bin', 'podman'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> ${calls}\ncase "$1" in image) exit 1;; pull) echo ` +
        `'level=debug msg="Trying to access \\"x\\""'; exit 0;; rmi) exit 0;; esac\n`,
    );
    chmodSync(join(root, 'bin', 'podman'), 0o755);
    const nasty = 'quay.io/a:1"; touch /tmp/pwned; echo "';
    const out = execFileSync('/bin/bash', ['-c', CHECK_SCRIPT, 'icsp-check', nasty], {
      env: { PATH: `${join(root, 'bin')}:/usr/bin:/bin` },
    }).toString();
    const parsed = parseCheckOutput(out);
    expect(parsed.podmanLog).toContain('Trying to access');
    expect(parsed.summary).toEqual({ pullExit: 0, presentBefore: false, removed: true });
    const recorded = execFileSync('cat', [calls]).toString();
    // The whole string reached podman as one argument; nothing was executed from it.
    expect(recorded).toContain(`pull --log-level debug ${nasty}`);
    expect(recorded).toContain(`rmi ${nasty}`);
  });
});
