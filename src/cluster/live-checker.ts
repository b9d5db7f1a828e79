// The cluster adapter behind the LiveChecker port: the live policies (watch-backed), the nodes the request
// selects, one debug pod per node under a concurrency cap, and one verdict per node. Also the cluster-backed
// PolicySource, from the same watches. docs/live-checks.md has the security model and the settings.
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { parseCheckOutput } from '../domain/debug-pod.ts';
import { EngineError } from '../domain/engine-error.ts';
import { explainPull } from '../domain/explain-pull.ts';
import { shortNameOnNode } from '../domain/short-name-node.ts';
import type { Explanation } from '../domain/explain.ts';
import { parsePullReference, refString } from '../domain/reference.ts';
import type { ImageReference } from '../domain/reference.ts';
import type {
  LiveCheckRequest,
  LiveCheckResult,
  LiveChecker,
  NodeCheckResult,
  PolicySource,
} from '../ports/live-check.ts';
import { WorkerGenerationEngine } from './generation-worker.ts';
import { InProcessGenerationEngine } from './policy-generation.ts';
import { PolicyGenerations } from './policy-generations.ts';
import type { GenerationInfo, GenerationLease } from './policy-generations.ts';
import { resolveDebugImage } from './debug-image.ts';
import type { DebugImage } from './debug-image.ts';
import { bounded, DebugPods, DEFAULT_DEBUG_POD_SETTINGS } from './debug-pods.ts';
import type { DebugPodSettings, PodTimings } from './debug-pods.ts';
import { LivePolicies } from './live-policies.ts';
import type { PolicySnapshot } from './live-policies.ts';
import { LiveCheckInputError, NodeSelector, nodeState } from './node-selection.ts';
import { messageOf } from '../domain/error-text.ts';
import type { LogSink } from '../ports/logger.ts';

export { LiveCheckInputError } from './node-selection.ts';

export interface ClusterLiveCheckSettings extends Partial<DebugPodSettings> {
  /** Shown in every answer (ICSP_CLUSTER_NAME); default: the kubeconfig's current cluster name. */
  clusterName?: string;
  /** ICSP_DEBUG_IMAGE / --debug-image: wins over the ImageStream openshift/tools:latest. */
  debugImage?: string;
  /** Used when neither is available (oc debug's own fallback). */
  fallbackDebugImage?: string;
  /** Debug pods at once within one check (nodes=all, pools). */
  concurrency?: number;
  /** nodes=all on a large cluster: at most this many nodes per check. */
  maxNodes?: number;
  /** Delete leftover debug pods older than the deadline at start (default true). */
  sweepOnStart?: boolean;
  /** Reuse a running LivePolicies (otherwise one is created and started). */
  policies?: LivePolicies;
  /**
   * Where the policy generations are built and answered: 'worker' (the bot: a worker thread, never on the event
   * loop that acks Slack) or 'in-process' (default: the CLI and tests, where nothing else waits).
   */
  planEngine?: 'worker' | 'in-process';
  /** Called for each node run, with where the time went (benchmarks, debug logging). */
  onTimings?: (node: string, t: PodTimings) => void;
  /** Sweeps, and the policy watches' errors and restarts (default: silent). */
  logger?: LogSink;
}

/** Settings from the environment (rules and defaults: src/settings/); problems come back as one line each. */
export function liveCheckSettingsFromEnv(env: Env): { settings: ClusterLiveCheckSettings; errors: string[] } {
  const r = new SettingsReader(env);
  const settings: ClusterLiveCheckSettings = {
    namespace: r.text('ICSP_DEBUG_NAMESPACE'),
    deadlineSeconds: r.seconds('ICSP_DEBUG_DEADLINE_SECONDS', { min: 10, max: 3600 }),
    concurrency: r.int('ICSP_LIVE_NODE_CONCURRENCY', { min: 1, max: 50 }),
    maxNodes: r.int('ICSP_LIVE_MAX_NODES', { min: 1, max: 1000 }),
  };
  const image = r.raw('ICSP_DEBUG_IMAGE');
  if (image !== undefined) {
    try {
      settings.debugImage = refString(parsePullReference(image));
    } catch (e) {
      r.errors.push(`ICSP_DEBUG_IMAGE: "${image}" is not an image reference (${messageOf(e)})`);
    }
  }
  const cluster = r.raw('ICSP_CLUSTER_NAME');
  if (cluster !== undefined) settings.clusterName = cluster;
  return { settings, errors: r.errors };
}

function stalenessWarnings(snap: Pick<PolicySnapshot, 'stale' | 'missingKinds' | 'warnings'>): Explanation['warnings'] {
  const w: Explanation['warnings'] = [];
  if (snap.stale)
    w.push({
      code: 'live-policies-stale',
      message:
        "The bot's view of the cluster's mirror policies may be stale: its watches have not heard from " +
        'the API server recently (they keep retrying). The plan is from the last state seen.',
    });
  if (snap.missingKinds.length > 0)
    w.push({
      code: 'live-policies-missing-kinds',
      message: `This cluster has no ${snap.missingKinds.join(', ')} API: none of those objects exist.`,
    });
  for (const m of snap.warnings) w.push({ code: 'live-policies-input', message: m });
  return w;
}

/** The plan from the live policies, rendered as the MCO does on a live cluster (no Image "cluster": nothing). */
export function explainLive(snap: PolicySnapshot, image: string): Explanation {
  const e = explainPull({ reference: image, policies: snap.policies, render: { requireImageConfig: true } });
  return { ...e, warnings: [...stalenessWarnings(snap), ...e.warnings] };
}

/** A PolicySource backed by the cluster's live policies (watch caches). */
export function clusterPolicySource(policies: LivePolicies, cluster: string): PolicySource {
  return {
    cluster,
    explain: async (image) => explainLive(policies.snapshot(), image),
    fixContext: async () => ({ policies: policies.snapshot().policies, render: { requireImageConfig: true } }),
  };
}

/** The live warnings (staleness: now; missing kinds and input warnings: the generation's) before the answer's. */
function withLiveWarnings(e: Explanation, g: GenerationInfo, stale: boolean): Explanation {
  return {
    ...e,
    warnings: [...stalenessWarnings({ stale, missingKinds: g.missingKinds, warnings: g.warnings }), ...e.warnings],
  };
}

/** A PolicySource answering from the current policy generation; plan() keeps the generation for the live check. */
export function generationsPolicySource(generations: PolicyGenerations, cluster: string): PolicySource {
  const plan: NonNullable<PolicySource['plan']> = async (reference) => {
    const lease = await generations.acquire();
    try {
      const explanation = withLiveWarnings(await lease.explain(reference), lease.generation, generations.stale);
      return { generation: lease.generation.id, explanation, release: () => lease.release() };
    } catch (e) {
      lease.release();
      throw e;
    }
  };
  return {
    cluster,
    plan,
    // The fix is proven against the policies of the current generation.
    fixContext: async () => {
      const lease = await generations.acquire();
      lease.release();
      return { policies: lease.generation.policies, render: { requireImageConfig: true } };
    },
    explain: async (image) => {
      const lease = await generations.acquire();
      try {
        return withLiveWarnings(await lease.explain(image), lease.generation, generations.stale);
      } finally {
        lease.release();
      }
    },
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

const DEBUG_IMAGE_TTL_MS = 10 * 60_000;

export class ClusterLiveChecker implements LiveChecker {
  readonly cluster: string;
  readonly pods: DebugPods;
  readonly policies: LivePolicies;
  /** One render, index and expected registries.conf per change of the policies, shared by every request. */
  readonly generations: PolicyGenerations;
  readonly policySource: PolicySource;
  private readonly kc: KubeConfig;
  private readonly settings: ClusterLiveCheckSettings;
  private readonly selector: NodeSelector;
  private readonly ownsPolicies: boolean;
  private image: { value: DebugImage; at: number } | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, settings: ClusterLiveCheckSettings = {}) {
    this.kc = kc;
    this.settings = settings;
    this.cluster = settings.clusterName ?? kc.getCurrentCluster()?.name ?? 'cluster';
    this.pods = new DebugPods(kc, settings);
    this.selector = new NodeSelector(kc);
    this.ownsPolicies = settings.policies === undefined;
    this.policies =
      settings.policies ?? new LivePolicies(kc, settings.logger !== undefined ? { logger: settings.logger } : {});
    const engine = settings.planEngine === 'worker' ? new WorkerGenerationEngine() : new InProcessGenerationEngine();
    const logger = settings.logger;
    this.generations = new PolicyGenerations(
      this.policies,
      engine,
      logger !== undefined ? { log: (msg, fields) => logger.info(fields ?? {}, msg) } : {},
    );
    this.policySource = generationsPolicySource(this.generations, this.cluster);
  }

  /** Starts the policy watches (when owned) and sweeps leftover debug pods. */
  async start(): Promise<{ swept: string[] }> {
    if (this.ownsPolicies) await this.policies.start();
    await this.generations.start();
    let swept: string[] = [];
    if (this.settings.sweepOnStart !== false) {
      swept = await this.sweepQuietly();
      // Also while running: a pod whose create answered after its timeout, or whose delete failed during an
      // API blip, is removed within one deadline instead of at the next restart.
      const every = Math.max(60_000, this.pods.settings.deadlineSeconds * 1000 + this.pods.settings.waitSlackMs);
      this.sweepTimer = setInterval(() => void this.sweepQuietly(), every);
      this.sweepTimer.unref();
    }
    return { swept };
  }

  private async sweepQuietly(): Promise<string[]> {
    try {
      const swept = await this.pods.sweep();
      if (swept.length > 0) this.settings.logger?.info({ pods: swept }, 'swept leftover debug pods');
      return swept;
    } catch (err) {
      this.settings.logger?.warn({ err: messageOf(err) }, 'sweep of leftover debug pods failed');
      return [];
    }
  }

  async debugImage(): Promise<DebugImage> {
    if (this.image !== undefined && Date.now() - this.image.at < DEBUG_IMAGE_TTL_MS) return this.image.value;
    const value = await resolveDebugImage(this.kc, this.settings.debugImage, this.settings.fallbackDebugImage);
    this.image = { value, at: Date.now() };
    return value;
  }

  check(req: LiveCheckRequest, signal?: AbortSignal): Promise<LiveCheckResult> {
    const p = this.doCheck(req, signal);
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => undefined);
    return p;
  }

  private async doCheck(req: LiveCheckRequest, signal?: AbortSignal): Promise<LiveCheckResult> {
    if (this.pods.shuttingDown) throw new Error('the bot is shutting down: no new live checks');
    let ref: ImageReference;
    try {
      ref = req.reference?.ref ?? parsePullReference(req.image);
    } catch (e) {
      if (e instanceof EngineError) throw new LiveCheckInputError(`${req.image}: ${e.message}`);
      throw e;
    }
    const image = refString(ref);
    // The requester's plan and its generation (pinned by the requester); otherwise the current generation.
    const held = req.plan !== undefined ? this.generations.lease(req.plan.generation) : undefined;
    const lease = held ?? (await this.generations.acquire());
    try {
      const plan =
        held !== undefined && req.plan !== undefined
          ? req.plan.explanation
          : withLiveWarnings(await lease.explain(req.reference ?? req.image), lease.generation, this.generations.stale);
      const notes: string[] = [];
      if (req.plan !== undefined && held === undefined)
        notes.push(
          `the mirror policies changed since the plan was shown: the nodes were compared ` +
            `with the current policies (generation ${lease.generation.id})`,
        );
      return await this.checkNodes(req, ref, image, plan, lease, notes, signal);
    } finally {
      lease.release();
    }
  }

  private async checkNodes(
    req: LiveCheckRequest,
    ref: ImageReference,
    image: string,
    plan: Explanation,
    lease: GenerationLease,
    notes: string[],
    signal?: AbortSignal,
  ): Promise<LiveCheckResult> {
    const apiBound = this.pods.settings.apiTimeoutMs * 2;
    let nodes = await bounded(this.selector.select(req.selection), apiBound, 'select the nodes', signal);
    const max = this.settings.maxNodes ?? 100;
    if (nodes.length > max) {
      notes.push(`only the first ${max} of ${nodes.length} selected nodes were checked (ICSP_LIVE_MAX_NODES)`);
      nodes = nodes.slice(0, max);
    }
    if (this.generations.stale)
      notes.push('the live policies may be stale (the watches have not heard from the API server recently)');
    const debugImage = await bounded(this.debugImage(), apiBound, 'find the debug image', signal);
    if (debugImage.source === 'fallback')
      notes.push(
        `debug image ${debugImage.image} (oc debug's fallback: ` +
          `${debugImage.note ?? 'no tools ImageStream'}); set ICSP_DEBUG_IMAGE to a mirrored image if ` +
          `nodes cannot pull it`,
      );
    // Every node is judged against the generation's render (built once per change of the policies, off the loop).
    const results = await mapLimit(nodes, this.settings.concurrency ?? 5, (n) =>
      this.checkNode(n, ref, image, debugImage.image, lease, notes, signal, req.image),
    );
    return { cluster: this.cluster, plan, nodes: results };
  }

  private async checkNode(
    node: V1Node,
    ref: ImageReference,
    image: string,
    debugImage: string,
    lease: GenerationLease,
    shared: string[],
    signal?: AbortSignal,
    asWritten = image,
  ): Promise<NodeCheckResult> {
    const t0 = Date.now();
    const name = node.metadata?.name ?? '';
    const state = nodeState(node);
    const base = { node: name, evidence: null, log: '', nodeRegistriesConf: null, configDifferences: [] };
    if (!state.ready) {
      // The pod tolerates every taint, but a NotReady kubelet does not report back: the check would only wait
      // for its deadline. Refuse at once, with the node's own reason.
      const error =
        `node ${name} is NotReady (${state.notReadyReason ?? 'unknown'}): not checked, a debug ` +
        `pod would not run or report there; check another node or fix the node first`;
      return {
        ...base,
        verdict: { code: 'check-failed', summary: error, reasons: [...shared] },
        durationMs: Date.now() - t0,
        error,
      };
    }
    const notes = [...shared];
    if (state.unschedulable)
      notes.push(
        `node ${name} is unschedulable (cordoned, e.g. by a MachineConfig rollout): ` +
          `checked anyway, the debug pod is pinned to it and tolerates every taint`,
      );
    const run = await this.pods.run({
      node: name,
      image: debugImage,
      reference: ref,
      ...(signal !== undefined ? { signal } : {}),
    });
    this.settings.onTimings?.(name, run.timings);
    notes.push(...run.notes);
    if (!run.ok && run.log !== '') {
      // Stopped before podman finished (the deadline): the log so far may already name the cause. A node backing
      // off from a 429 gets the verdict rate-limited, not "did not finish" (docs/live-checks.md).
      const soFar = parseCheckOutput(run.log);
      const cut = await lease.judge({
        node: name,
        reference: image,
        output: soFar,
        ...(state.mco !== undefined ? { mco: state.mco } : {}),
        notes,
        cutOff: run.error,
      });
      if (cut.verdict.code === 'rate-limited')
        return {
          node: name,
          verdict: cut.verdict,
          evidence: cut.evidence,
          log: soFar.podmanLog,
          nodeRegistriesConf: cut.nodeRegistriesConf,
          configDifferences: cut.configDifferences,
          durationMs: Date.now() - t0,
        };
    }
    if (!run.ok) {
      return {
        ...base,
        log: run.log,
        verdict: { code: 'check-failed', summary: run.error, reasons: notes },
        durationMs: Date.now() - t0,
        error: run.error,
      };
    }
    const output = parseCheckOutput(run.log);
    if (run.exitCode !== 0) {
      const tailLines = run.log.trimEnd().split('\n').slice(-3).join(' | ');
      const error = `the check script failed on ${name} (exit code ${run.exitCode}): ${tailLines.slice(0, 300)}`;
      return {
        ...base,
        log: output.podmanLog || run.log,
        verdict: { code: 'check-failed', summary: error, reasons: notes },
        durationMs: Date.now() - t0,
        error,
      };
    }
    // A short name: what this node's CRI-O does with it (its crio.conf mode, aliases, search list).
    const shortName = shortNameOnNode(name, asWritten, node.status?.nodeInfo?.containerRuntimeVersion, output);
    if (shortName !== null) notes.push(shortName.note);
    const j = await lease.judge({
      node: name,
      reference: image,
      output,
      ...(state.mco !== undefined ? { mco: state.mco } : {}),
      notes,
    });
    return {
      node: name,
      verdict: j.verdict,
      evidence: j.evidence,
      log: output.podmanLog,
      nodeRegistriesConf: j.nodeRegistriesConf,
      configDifferences: j.configDifferences,
      durationMs: Date.now() - t0,
      ...(shortName !== null ? { shortName } : {}),
    };
  }

  /** Deletes the debug pods in flight (grace 0) and stops the watches. For SIGTERM/SIGINT handlers. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    await this.pods.shutdown(timeoutMs);
    // Let the checks in flight finish their bookkeeping (their pods are gone already).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((r) => (timer = setTimeout(r, 2_000))),
    ]);
    clearTimeout(timer);
    await this.generations.stop();
    if (this.ownsPolicies) this.policies.stop();
  }
}

/**
 * The factory for src/main.ts and the CLI: a started checker (policy watches synced, leftover pods swept) with
 * its cluster-backed PolicySource. Call `shutdown()` on SIGTERM: it deletes the debug pods in flight.
 */
export async function createClusterLiveChecker(
  kc: KubeConfig,
  settings: ClusterLiveCheckSettings = {},
): Promise<ClusterLiveChecker> {
  const checker = new ClusterLiveChecker(kc, settings);
  await checker.start();
  return checker;
}

export { DEFAULT_DEBUG_POD_SETTINGS };
