// `icsp status [--pool-selector SEL] [--kubeconfig PATH] [--json]`: per MachineConfigPool, whether the current mirror
// configuration (the render of the cluster's ICSP/IDMS/ITMS/Image) has reached every node, the progress, and what is
// stuck. Uses the kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config or in-cluster: src/cluster/kubeconfig.ts). Exit
// 0 when every pool is up to date, 1 when not, 2 on bad usage or when the cluster cannot be read.
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { CLI_KUBECONFIG_HINT, loadKubeconfig } from '../cluster/kubeconfig.ts';
import { readPoolStatus } from '../cluster/pool-status.ts';
import type { CliIo } from './io.ts';
import { EXIT } from './io.ts';
import { errorText } from '../domain/error-text.ts';

export const STATUS_USAGE =
  'icsp status [--pool-selector LABELSELECTOR] [--kubeconfig PATH] [--json]   ' +
  'per pool: has the current mirror config reached every node';

export async function statusCommand(
  args: string[],
  io: CliIo,
  makeKubeConfig: (path: string | undefined) => KubeConfig = (path) =>
    loadKubeconfig({ path, env: io.env, hint: CLI_KUBECONFIG_HINT }),
): Promise<number> {
  let values: { json?: boolean; 'pool-selector'?: string; kubeconfig?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        'pool-selector': { type: 'string' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (e) {
    const message = errorText(e, 2000);
    io.stderr.write(`icsp status: ${message}\n${STATUS_USAGE}\n`);
    if (args.includes('--json')) io.stdout.write(`${JSON.stringify({ error: { stage: 'usage', message } })}\n`);
    return EXIT.usage;
  }
  if (values.help === true) {
    io.stdout.write(`${STATUS_USAGE}\n`);
    return EXIT.ok;
  }
  let report;
  try {
    report = await readPoolStatus(
      makeKubeConfig(values.kubeconfig),
      values['pool-selector'] ? { poolSelector: values['pool-selector'] } : {},
    );
  } catch (e) {
    const message = errorText(e);
    io.stderr.write(`icsp status: ${message}\n`);
    if (values.json === true) io.stdout.write(`${JSON.stringify({ error: { stage: 'input', message } })}\n`);
    return EXIT.usage;
  }
  const allUp = report.lines.every((l) => l.upToDate);
  if (values.json === true) {
    io.stdout.write(
      JSON.stringify({ pools: report.lines, renderError: report.expected.error, warnings: report.warnings }, null, 2) +
        '\n',
    );
  } else {
    if (report.lines.length === 0) io.stdout.write('no MachineConfigPools\n');
    for (const l of report.lines) io.stdout.write(`${l.upToDate ? '✓' : '…'} pool ${l.pool}: ${l.detail}\n`);
    if (report.expected.error !== null)
      io.stdout.write(`! the MCO refuses the current policies: ${report.expected.error}\n`);
    for (const w of report.warnings) io.stdout.write(`! ${w}\n`);
  }
  return allUp ? EXIT.ok : EXIT.pullFails;
}
