// `icsp why IMAGE --live [--node NAME | --pool NAME | --nodes all|N] [--kubeconfig PATH] [--debug-image REF]
// [--json]`: the plan from the cluster's live policies, then the podman check on the selected nodes in
// short-lived debug pods (src/cluster/live-checker.ts), one verdict per node. Exit 0 when every node pulled,
// 1 when a pull or a check failed, 2 for bad usage or input (unknown node or pool, bad reference).
// SIGTERM/SIGINT while it runs delete the debug pods in flight before the process exits.
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { CLI_KUBECONFIG_HINT, KubeconfigError, loadKubeconfig } from '../cluster/kubeconfig.ts';
import { createClusterLiveChecker, LiveCheckInputError, liveCheckSettingsFromEnv } from '../cluster/live-checker.ts';
import type { ClusterLiveCheckSettings, ClusterLiveChecker } from '../cluster/live-checker.ts';
import { EngineError } from '../domain/engine-error.ts';
import { toParsedReference } from '../domain/parsed-reference.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import { parsePullReference, refString } from '../domain/reference.ts';
import { liveCheckRequest, planWhy } from '../app/why.ts';
import type { LiveCheckResult, NodeCheckResult, NodeSelection } from '../ports/live-check.ts';
import { parseNodeSelection } from '../domain/node-selection.ts';
import { EXIT } from './io.ts';
import type { CliIo } from './io.ts';
import { errorText, foldLines } from '../domain/error-text.ts';
import { positionalsLast } from './argv.ts';

export const LIVE_USAGE =
  `usage: icsp why IMAGE --live [--node NAME | --pool NAME | --nodes all|N]` +
  ` [--kubeconfig PATH] [--debug-image REF] [--json]
  Runs 'podman pull --log-level debug' on the node(s) in a short-lived debug pod (namespace icsp-bot-debug) and
  compares what happened with the plan of the cluster's live ICSP/IDMS/ITMS. Default: one Ready worker.
  Environment: KUBECONFIG, ICSP_DEBUG_IMAGE, ICSP_DEBUG_NAMESPACE, ICSP_DEBUG_DEADLINE_SECONDS,` +
  ` ICSP_LIVE_NODE_CONCURRENCY.
`;

class Usage extends Error {}

interface LiveArgs {
  /** Canonical (name:tag or name@digest), parsed once here. */
  reference: ParsedReference;
  selection: NodeSelection;
  kubeconfig: string | undefined;
  debugImage: string | undefined;
  json: boolean;
}

function parse(args: string[]): LiveArgs | 'help' {
  let p;
  const options = {
    live: { type: 'boolean', default: false },
    node: { type: 'string' },
    pool: { type: 'string' },
    nodes: { type: 'string' },
    kubeconfig: { type: 'string' },
    'debug-image': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  try {
    p = parseArgs({ args: positionalsLast(args, options), allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new Usage((e as Error).message.split('\n')[0] ?? String(e));
  }
  const v = p.values;
  if (v.help) return 'help';
  if (p.positionals.length !== 1) throw new Usage(`why --live takes exactly one IMAGE, got ${p.positionals.length}`);
  const chosen = [v.node !== undefined, v.pool !== undefined, v.nodes !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new Usage('give one of --node, --pool, --nodes');
  let selection: NodeSelection = { default: true };
  for (const key of ['node', 'pool', 'nodes'] as const) {
    const value = v[key];
    if (value === undefined) continue;
    const parsed = parseNodeSelection(key, value, `--${key}`);
    if ('error' in parsed) throw new Usage(parsed.error);
    selection = parsed;
  }
  let reference: ParsedReference;
  try {
    reference = toParsedReference(refString(parsePullReference(p.positionals[0] ?? '')));
  } catch (e) {
    throw new LiveCheckInputError(`${p.positionals[0]}: ${e instanceof EngineError ? e.message : String(e)}`);
  }
  let debugImage = v['debug-image'];
  if (debugImage !== undefined) {
    try {
      debugImage = refString(parsePullReference(debugImage));
    } catch (e) {
      throw new Usage(`--debug-image ${debugImage}: ${e instanceof EngineError ? e.message : String(e)}`);
    }
  }
  return { reference, selection, kubeconfig: v.kubeconfig, debugImage, json: v.json };
}

/** A node pulled the image (whatever the path), so the pull itself works there. */
export function nodePulled(n: NodeCheckResult): boolean {
  return n.error === undefined && n.verdict.code !== 'check-failed' && n.evidence?.served != null;
}

export function formatLiveResult(r: LiveCheckResult): string {
  const out: string[] = [];
  out.push(`Cluster ${r.cluster}: ${r.plan.verdict.summary}`);
  if (r.plan.pullSources.length > 0) {
    out.push('', 'Plan from the live policies, in the order a node tries it:');
    r.plan.pullSources.forEach((s, i) =>
      out.push(`  ${i + 1}. ${s.reference}  (${s.mirror ? 'mirror' : 'source'}${s.blocked ? ', BLOCKED' : ''})`),
    );
  }
  for (const w of r.plan.warnings) out.push(`  ! [${w.code}] ${w.message}`);
  for (const n of r.nodes) {
    out.push('', `${n.node}: ${n.verdict.code}: ${n.verdict.summary} (${(n.durationMs / 1000).toFixed(1)} s)`);
    for (const reason of n.verdict.reasons) out.push(`  - ${reason}`);
    const shown = new Set(n.verdict.reasons);
    const diffs = n.configDifferences.filter((d) => !shown.has(d.message));
    if (diffs.length > 0) {
      out.push('  registries.conf on the node vs the render of the live policies:');
      for (const d of diffs) out.push(`    * ${d.message}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export async function liveWhyCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const fail = (stage: string, message: string, code: number): number => {
    io.stderr.write(`icsp: ${foldLines(message, 2000)}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { stage, message: foldLines(message, 2000) } }, null, 2)}\n`);
    return code;
  };
  let parsed: LiveArgs | 'help';
  let kc: KubeConfig;
  let settings: ClusterLiveCheckSettings;
  try {
    parsed = parse(args);
    if (parsed === 'help') {
      io.stdout.write(LIVE_USAGE);
      return EXIT.ok;
    }
    const fromEnv = liveCheckSettingsFromEnv(io.env);
    if (fromEnv.errors.length > 0) throw new LiveCheckInputError(fromEnv.errors.join('; '));
    settings = { ...fromEnv.settings, ...(parsed.debugImage !== undefined ? { debugImage: parsed.debugImage } : {}) };
    kc = loadKubeconfig({ path: parsed.kubeconfig, env: io.env, hint: CLI_KUBECONFIG_HINT });
  } catch (e) {
    if (e instanceof Usage) return fail('usage', `${e.message} (see icsp why IMAGE --live --help)`, EXIT.usage);
    if (e instanceof LiveCheckInputError || e instanceof KubeconfigError) return fail('input', e.message, EXIT.usage);
    throw e;
  }

  let checker: ClusterLiveChecker | undefined;
  let signalled: { sig: NodeJS.Signals; stopped: Promise<void> } | undefined;
  const signalExit = (sig: NodeJS.Signals): number => (sig === 'SIGTERM' ? 143 : 130);
  // Debug pods are privileged: never leave one behind, whatever ends the process.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled !== undefined) return;
    io.stderr.write(`icsp: ${sig}: deleting the debug pods in flight\n`);
    const stopped = checker === undefined ? Promise.resolve() : checker.shutdown(5_000).catch(() => undefined);
    signalled = { sig, stopped };
    void stopped.then(() => process.exit(signalExit(sig)));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    checker = await createClusterLiveChecker(kc, settings);
    // The plan of the current policy generation; the check compares the nodes with that same plan.
    const held = await planWhy(checker.policySource, parsed.reference);
    let result: LiveCheckResult;
    try {
      result = await checker.check(liveCheckRequest(held, parsed.reference, parsed.selection, 'cli'));
    } finally {
      held.release();
    }
    if (signalled !== undefined) {
      // The check ended because of the signal: exit only once its pods are deleted.
      await signalled.stopped;
      return signalExit(signalled.sig);
    }
    io.stdout.write(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : formatLiveResult(result));
    for (const n of result.nodes)
      if (n.error !== undefined) io.stderr.write(`icsp: ${n.node}: ${foldLines(n.error)}\n`);
    return result.nodes.every(nodePulled) ? EXIT.ok : EXIT.pullFails;
  } catch (e) {
    if (e instanceof LiveCheckInputError) return fail('input', e.message, EXIT.usage);
    return fail('cluster', errorText(e), EXIT.pullFails);
  } finally {
    if (signalled === undefined) await checker?.shutdown();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
