// The live check's view of short names: the debug pod prints the node's crio.conf files and alias cache between
// markers, and shortNameOnNode turns them (with the CRI-O version from the node status) into the node's mode and
// CRI-O's outcome for the name as written.
import { describe, expect, it } from 'vitest';
import { CHECK_SCRIPT, MARK, parseCheckOutput } from '../../src/domain/debug-pod.ts';
import { shortNameOnNode } from '../../src/domain/short-name-node.ts';

const OCP = 'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\nshort-name-mode = ""\n';

function log(crio: Array<[string, string]>, aliases?: string): string {
  const lines = [`${MARK.confBegin}/etc/containers/registries.conf`, OCP.trimEnd(), MARK.confEnd];
  for (const [name, toml] of crio) lines.push(`${MARK.crioBegin}${name}`, toml, '', MARK.crioEnd);
  if (aliases !== undefined)
    lines.push(`${MARK.aliasesBegin}/var/cache/containers/short-name-aliases.conf`, aliases, '', MARK.aliasesEnd);
  lines.push(
    MARK.pullBegin,
    'Trying to pull docker.io/library/busybox:latest...',
    MARK.pullEnd,
    `${MARK.summary}{"pullExit":0,"presentBefore":false,"removed":true}`,
  );
  return lines.join('\n') + '\n';
}

describe("the check script reads CRI-O's files and the alias cache", () => {
  it('prints crio.conf, every file of crio.conf.d (any name) and the alias cache', () => {
    expect(CHECK_SCRIPT).toContain('/etc/crio/crio.conf.d -type f');
    expect(CHECK_SCRIPT).toContain('/var/cache/containers/short-name-aliases.conf');
  });
  it('parseCheckOutput separates them from registries.conf and the podman log', () => {
    const out = parseCheckOutput(
      log(
        [['/etc/crio/crio.conf.d/00-default', '[crio.image]\nshort_name_mode = "disabled"']],
        '[aliases]\n"busybox" = "quay.io/b/busybox"',
      ),
    );
    expect(out.confFiles.map((f) => f.name)).toEqual(['/etc/containers/registries.conf']);
    expect(out.crioFiles).toEqual([
      { name: '/etc/crio/crio.conf.d/00-default', toml: '[crio.image]\nshort_name_mode = "disabled"\n\n' },
    ]);
    expect(out.aliasCache).toContain('"busybox" = "quay.io/b/busybox"');
    expect(out.podmanLog).toBe('Trying to pull docker.io/library/busybox:latest...');
  });
});

describe('shortNameOnNode', () => {
  it("CRI-O 1.34 with no short_name_mode: enforcing, and the pull fails with CRI-O's message", () => {
    const sn = shortNameOnNode('w1', 'busybox', 'cri-o://1.34.2-2.rhaos4.21', parseCheckOutput(log([])));
    expect(sn).toMatchObject({
      mode: 'enforcing',
      error: 'short name mode is enforcing, but image name busybox:latest returns ambiguous list',
    });
    expect(sn?.note).toContain('defaults to enforcing');
  });
  it('OpenShift\'s 00-default with "disabled": both candidates in order', () => {
    const sn = shortNameOnNode(
      'w1',
      'busybox',
      'cri-o://1.34.2',
      parseCheckOutput(log([['/etc/crio/crio.conf.d/00-default', '[crio.image]\nshort_name_mode = "disabled"']])),
    );
    expect(sn).toMatchObject({
      mode: 'disabled',
      error: null,
      candidates: ['registry.access.redhat.com/busybox:latest', 'docker.io/library/busybox:latest'],
    });
    expect(sn?.modeSource).toContain('/etc/crio/crio.conf.d/00-default');
  });
  it('CRI-O 1.33: disabled whatever crio.conf says', () => {
    expect(shortNameOnNode('w1', 'busybox', 'cri-o://1.33.0', parseCheckOutput(log([])))?.mode).toBe('disabled');
  });
  it('the machine alias cache decides, even enforcing', () => {
    const sn = shortNameOnNode(
      'w1',
      'busybox',
      'cri-o://1.34.2',
      parseCheckOutput(log([], '[aliases]\n"busybox" = "quay.io/b/busybox"')),
    );
    expect(sn).toMatchObject({
      mode: 'enforcing',
      error: null,
      candidates: ['quay.io/b/busybox:latest'],
      alias: { origin: '/var/cache/containers/short-name-aliases.conf' },
    });
  });
  it('a fully qualified image has no short-name section', () => {
    expect(shortNameOnNode('w1', 'quay.io/a/b:1', 'cri-o://1.34.2', parseCheckOutput(log([])))).toBeNull();
  });
  it('a crio.conf CRI-O refuses (permissive) is reported, not guessed', () => {
    const sn = shortNameOnNode(
      'w1',
      'busybox',
      'cri-o://1.34.2',
      parseCheckOutput(log([['/etc/crio/crio.conf', '[crio.image]\nshort_name_mode = "permissive"']])),
    );
    expect(sn?.note).toContain('invalid short name mode "permissive"');
  });
});
