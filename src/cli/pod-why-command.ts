// `icsp why --pod NAMESPACE/NAME [--kubeconfig PATH] [--json]`: triage starts from the failing pod. Reads the
// pod, its events and its node, and explains each image that cannot pull against the plan of the node's pool
// (its rendered registries.conf) and the live policies, with what the node already said. No debug pod.
// Exit 0 when no container waits on its image, 1 when one does (the verdict says why), 2 for bad input.
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterPolicySource } from '../cluster/live-checker.ts';
import { LivePolicies } from '../cluster/live-policies.ts';
import { LiveCheckInputError } from '../cluster/node-selection.ts';
import { ClusterPodFacts, parsePodRef } from '../cluster/pod-facts.ts';
import { whyPod } from '../app/why-pod.ts';
import { formatPodTriage } from '../domain/triage/pod-triage.ts';
import { errorText } from '../domain/error-text.ts';
import { EXIT } from './io.ts';
import type { CliIo } from './io.ts';
import { CLI_KUBECONFIG_HINT, KubeconfigError, loadKubeconfig } from '../cluster/kubeconfig.ts';

export const POD_USAGE = `usage: icsp why --pod NAMESPACE/NAME [--kubeconfig PATH] [--json]
  Why a pod cannot pull: reads the pod, its events and its node (no debug pod), and explains each image its
  containers and init containers wait on against the plan of the node's pool and the live policies.
`;

export async function podWhyCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const fail = (stage: string, message: string, code: number): number => {
    io.stderr.write(`icsp: ${errorText(message, 2000)}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { stage, message } }, null, 2)}\n`);
    return code;
  };
  let ref: { namespace: string; name: string };
  let kc: KubeConfig;
  try {
    const p = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        pod: { type: 'string' },
        kubeconfig: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (p.values.help) {
      io.stdout.write(POD_USAGE);
      return EXIT.ok;
    }
    if (p.positionals.length > 0)
      return fail(
        'usage',
        `why --pod takes no IMAGE (got ${p.positionals[0]?.slice(0, 80)}); see icsp why --pod --help`,
        EXIT.usage,
      );
    if (p.values.pod === undefined || p.values.pod === '')
      return fail('usage', '--pod needs NAMESPACE/NAME', EXIT.usage);
    ref = parsePodRef(p.values.pod);
    kc = loadKubeconfig({ path: p.values.kubeconfig, env: io.env, hint: CLI_KUBECONFIG_HINT });
  } catch (e) {
    if (e instanceof LiveCheckInputError || e instanceof KubeconfigError) return fail('input', e.message, EXIT.usage);
    return fail('usage', `${(e as Error).message.split('\n')[0] ?? ''} (see icsp why --pod --help)`, EXIT.usage);
  }
  const policies = new LivePolicies(kc);
  try {
    await policies.start();
    const source = clusterPolicySource(policies, kc.getCurrentCluster()?.name ?? 'cluster');
    const t = await whyPod({ pods: new ClusterPodFacts(kc), policies: source }, ref);
    io.stdout.write(json ? `${JSON.stringify(t, null, 2)}\n` : formatPodTriage(t));
    return t.containers.length > 0 ? EXIT.pullFails : EXIT.ok;
  } catch (e) {
    if (e instanceof LiveCheckInputError) return fail('input', e.message, EXIT.usage);
    return fail('cluster', errorText(e), EXIT.pullFails);
  } finally {
    policies.stop();
  }
}
