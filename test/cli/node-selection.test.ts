// One node-selection parser for Slack (node=, pool=, nodes=) and the CLI (--node, --pool, --nodes): the same values
// are accepted and refused by both front doors, with the same limits.
import { describe, expect, it } from 'vitest';
import { MAX_SELECTED_NODES, parseNodeSelection } from '../../src/domain/node-selection.ts';
import { parseCommand } from '../../src/slack/command-parser.ts';
import { runCli } from '../helpers/run-cli.ts';

const CASES: Array<[key: 'node' | 'pool' | 'nodes', value: string, ok: boolean]> = [
  ['node', 'worker-0.example.com', true],
  ['node', 'Bad_Name', false],
  ['node', 'a'.repeat(254), false],
  ['node', '-leading-dash', false],
  ['pool', 'worker', true],
  ['pool', 'wor_ker', false],
  ['nodes', 'all', true],
  ['nodes', '1', true],
  ['nodes', String(MAX_SELECTED_NODES), true],
  ['nodes', String(MAX_SELECTED_NODES + 1), false],
  ['nodes', '0', false],
  ['nodes', '9999', false],
  ['nodes', 'some', false],
];

describe('node selection: Slack and the CLI share the rules', () => {
  it.each(CASES)('%s=%s -> %s', async (key, value, ok) => {
    const direct = parseNodeSelection(key, value, key);
    expect('error' in direct).toBe(!ok);
    const slack = parseCommand(`why quay.io/org/app:1 ${key}=${value}`);
    expect(slack.ok, JSON.stringify(slack)).toBe(ok);
    if (ok && slack.ok && slack.command.kind === 'why') expect(slack.command.selection).toEqual(direct);
    if (!ok) {
      // The CLI refuses it before it looks for a kubeconfig: exit 2 and the same rule, named as the flag.
      const cli = await runCli(['why', 'quay.io/org/app:1', '--live', `--${key}=${value}`]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toContain(`--${key} takes`);
      if (!slack.ok) expect(cli.stderr).toContain(slack.error.replace(`${key}=`, `--${key}`));
    }
  });
});
