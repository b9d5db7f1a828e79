// What a MachineConfig change does to each node: drain, reboot, reload CRI-O, by the MCO's rules
// (pkg/daemon/update.go calculatePostConfigChangeActionFromMCDiffs; NodeDisruptionPolicy path
// calculatePostConfigChangeNodeDisruptionActionFromMCDiffs with the cluster defaults of pkg/apihelpers, the user's
// spec.nodeDisruptionPolicy of MachineConfiguration "cluster" overriding them per path, docs/NodeDisruptionPolicy.md),
// and how long a pool takes at its maxUnavailable. Pure.
import { forecastDisruption } from './drain-rules.ts';
import type { RegistriesConf } from './registries-conf.ts';

export const REGISTRIES_CONF = '/etc/containers/registries.conf';
export const POLICY_JSON = '/etc/containers/policy.json';
export const SEARCH_REGISTRIES = '/etc/containers/registries.conf.d/01-image-searchRegistries.conf';

export type DisruptionActionType = 'None' | 'Drain' | 'Reload' | 'Restart' | 'DaemonReload' | 'Reboot' | 'Special';

export interface DisruptionAction {
  type: DisruptionActionType;
  reload?: { serviceName: string };
  restart?: { serviceName: string };
}

/** operator.openshift.io/v1 MachineConfiguration "cluster" (4.16+), the fields read here. */
export interface MachineConfiguration {
  apiVersion?: string;
  kind: 'MachineConfiguration';
  metadata: { name: string };
  spec?: { nodeDisruptionPolicy?: { files?: Array<{ path: string; actions: DisruptionAction[] }> } };
  status?: {
    nodeDisruptionPolicyStatus?: { clusterPolicies?: { files?: Array<{ path: string; actions: DisruptionAction[] }> } };
  };
}

/** The cluster defaults for the files a mirror change writes (docs/NodeDisruptionPolicy.md, apihelpers). */
const DEFAULT_FILES: Record<string, DisruptionAction[]> = {
  [REGISTRIES_CONF]: [{ type: 'Special' }],
  [POLICY_JSON]: [{ type: 'Reload', reload: { serviceName: 'crio.service' } }],
};

export interface NodeAction {
  drain: boolean;
  reboot: boolean;
  /** Services reloaded or restarted, e.g. "reload crio.service". */
  services: string[];
  /** Why, one line each: the rule that decided. */
  reasons: string[];
  /** "NodeDisruptionPolicy" (4.16+ with MachineConfiguration cluster) or "legacy" (MCO rules before it). */
  rules: 'NodeDisruptionPolicy' | 'legacy';
}

/** The effective actions for one path: the user's policy, else the cluster's merged status, else the defaults. */
function actionsFor(path: string, mc: MachineConfiguration): DisruptionAction[] | undefined {
  const user = mc.spec?.nodeDisruptionPolicy?.files?.find((f) => f.path === path);
  if (user !== undefined) return user.actions;
  const merged = mc.status?.nodeDisruptionPolicyStatus?.clusterPolicies?.files?.find((f) => f.path === path);
  if (merged !== undefined) return merged.actions;
  return DEFAULT_FILES[path];
}

export interface ChangedFiles {
  registriesConf: boolean;
  policyJson: boolean;
  searchRegistries: boolean;
}

/** The node action for a rendered change; `before`/`after` decide the registries.conf "safe change" drain rule. */
export function nodeAction(
  files: ChangedFiles,
  before: RegistriesConf,
  after: RegistriesConf,
  mc: MachineConfiguration | null,
): NodeAction {
  const paths = [
    files.registriesConf ? REGISTRIES_CONF : null,
    files.policyJson ? POLICY_JSON : null,
    files.searchRegistries ? SEARCH_REGISTRIES : null,
  ].filter((p): p is string => p !== null);
  const out: NodeAction = {
    drain: false,
    reboot: false,
    services: [],
    reasons: [],
    rules: mc === null ? 'legacy' : 'NodeDisruptionPolicy',
  };
  if (paths.length === 0) {
    out.reasons.push(
      'no file of the rendered MachineConfig changes: no new rendered config, nothing happens on the nodes',
    );
    return out;
  }
  const registriesDrain = (): void => {
    const f = forecastDisruption(before, after);
    if (f.drain) {
      out.drain = true;
      out.reasons.push(
        `registries.conf change is not "safe" (drain): ${f.reasons.slice(0, 3).join('; ')}` +
          `${f.reasons.length > 3 ? `; and ${f.reasons.length - 3} more` : ''}`,
      );
    } else out.reasons.push('registries.conf change is purely additive digest-only: no drain');
  };
  const addService = (s: string): void => {
    if (!out.services.includes(s)) out.services.push(s);
  };
  for (const path of paths) {
    const actions = mc === null ? undefined : actionsFor(path, mc);
    if (mc === null || actions === undefined) {
      // Legacy rules (and any path no policy names): registries.conf and policy.json reload CRI-O, the rest reboots.
      if (path === REGISTRIES_CONF) {
        registriesDrain();
        addService('reload crio.service');
      } else if (path === POLICY_JSON) {
        addService('reload crio.service');
        out.reasons.push('policy.json change: CRI-O reload, no drain');
      } else {
        out.reboot = true;
        out.drain = true;
        out.reasons.push(
          `${path} changes and no disruption policy covers it: drain and reboot ` +
            `(set a NodeDisruptionPolicy for this path to avoid it)`,
        );
      }
      continue;
    }
    for (const a of actions) {
      switch (a.type) {
        case 'Reboot':
          out.reboot = true;
          out.drain = true;
          out.reasons.push(`NodeDisruptionPolicy for ${path}: Reboot`);
          break;
        case 'Drain':
          out.drain = true;
          out.reasons.push(`NodeDisruptionPolicy for ${path}: Drain`);
          break;
        case 'Special':
          registriesDrain();
          addService('reload crio.service');
          break;
        case 'Reload':
          addService(`reload ${a.reload?.serviceName ?? '?'}`);
          break;
        case 'Restart':
          addService(`restart ${a.restart?.serviceName ?? '?'}`);
          break;
        case 'DaemonReload':
          addService('systemctl daemon-reload');
          break;
        case 'None':
          out.reasons.push(`NodeDisruptionPolicy for ${path}: None`);
          break;
      }
    }
  }
  // A reboot overrides every other action (docs/NodeDisruptionPolicy.md).
  if (out.reboot) out.services = [];
  return out;
}

export interface PoolFacts {
  name: string;
  machineCount: number | null;
  /** spec.maxUnavailable: a count or a percentage ("10%"); unset means 1. */
  maxUnavailable?: number | string;
  paused?: boolean;
  /** The last rollout of this pool the bot could date (ms), with its node count. */
  lastRollout?: { durationMs: number; nodes: number } | null;
}

export interface PoolForecast {
  pool: string;
  nodes: number | null;
  maxUnavailable: number;
  /** Rounds of at most maxUnavailable nodes. */
  batches: number | null;
  paused: boolean;
  drain: boolean;
  reboot: boolean;
  services: string[];
  /** Estimated duration in ms from the last rollout, scaled by batches; null when unknown. */
  estimateMs: number | null;
  estimateBasis: string;
}

/** maxUnavailable as the MCO scales it: a percentage of the pool rounded down, at least 1. */
export function scaledMaxUnavailable(v: number | string | undefined, nodes: number | null): number {
  if (v === undefined) return 1;
  if (typeof v === 'number') return Math.max(1, Math.floor(v));
  const m = /^(\d+)%$/.exec(v.trim());
  if (m !== null) return nodes === null ? 1 : Math.max(1, Math.floor((Number(m[1]) * nodes) / 100));
  const n = Number(v);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}

export function forecastPool(p: PoolFacts, action: NodeAction, anyChange: boolean): PoolForecast {
  const nodes = p.machineCount;
  const maxUnavailable = scaledMaxUnavailable(p.maxUnavailable, nodes);
  const batches = nodes === null ? null : nodes === 0 ? 0 : Math.ceil(nodes / maxUnavailable);
  let estimateMs: number | null = null;
  let estimateBasis = 'no earlier rollout of this pool seen: duration unknown';
  if (!anyChange) estimateBasis = 'nothing to roll out';
  else if (p.lastRollout != null && p.lastRollout.durationMs > 0 && batches !== null) {
    const lastBatches = Math.max(
      1,
      Math.ceil(p.lastRollout.nodes / scaledMaxUnavailable(p.maxUnavailable, p.lastRollout.nodes)),
    );
    estimateMs = Math.round((p.lastRollout.durationMs / lastBatches) * batches);
    estimateBasis =
      `the last rollout of ${p.name} took ` +
      `${formatDuration(p.lastRollout.durationMs)} for ${p.lastRollout.nodes} node(s)`;
  }
  return {
    pool: p.name,
    nodes,
    maxUnavailable,
    batches,
    paused: p.paused === true,
    drain: anyChange && action.drain,
    reboot: anyChange && action.reboot,
    services: anyChange ? action.services : [],
    estimateMs,
    estimateBasis,
  };
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}
