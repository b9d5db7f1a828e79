// Which short-name mode CRI-O applies, from what we know about the node: its crio.conf files and CRI-O version (a
// live check), the cluster's OpenShift version (offline policies with a ClusterVersion), or the operator's
// --short-name-mode. CRI-O < 1.34 forces "disabled"; 1.34+ is "enforcing" unless crio.conf says "disabled".
// The OpenShift table and its sources: docs/short-names.md section 2.
import type { CrioShortNameMode } from './crio-config.ts';
import type { ShortNameMode } from './short-names.ts';

export interface ShortNameModeDecision {
  mode: ShortNameMode;
  /** Where the mode comes from, for humans: "crio.conf on node X", "OpenShift 4.21.3", "--short-name-mode", ... */
  source: string;
  /** What the answer cannot know for sure. */
  caveat?: string;
}

/** "4.21.3" -> [4, 21]; "cri-o://1.34.1-3.rhaos4.21.git..." -> [1, 34]; undefined when unreadable. */
export function majorMinor(version: string): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(version.replace(/^cri-o:\/\//, ''));
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/** CRI-O's minor version for an OpenShift 4.x release (4.N ships CRI-O 1.(N+13)). */
export function crioMinorForOpenShift(version: string): number | undefined {
  const mm = majorMinor(version);
  if (mm === undefined || mm[0] !== 4) return undefined;
  return mm[1] + 13;
}

/**
 * The mode of an OpenShift release as shipped (no node read): ≤4.20 disabled, 4.21 enforcing until OCPBUGS-76356, ≥4.22
 * disabled.
 */
export function modeForOpenShiftVersion(version: string): ShortNameModeDecision | undefined {
  const mm = majorMinor(version);
  if (mm === undefined || mm[0] !== 4) return undefined;
  const source = `OpenShift ${version} (ClusterVersion; no node read)`;
  if (mm[1] <= 20)
    return {
      mode: 'disabled',
      source: `${source}: CRI-O ≤ 1.33 always resolves short names with every search registry`,
    };
  if (mm[1] === 21) {
    return {
      mode: 'enforcing',
      source: `${source}: CRI-O 1.34 enforces short names by default`,
      caveat:
        'OpenShift 4.21 z-streams that carry OCPBUGS-76356 (MCO PR #5636) set short_name_mode = "disabled" ' +
        'in /etc/crio/crio.conf.d/00-default; run the live check (--live) to read the node',
    };
  }
  return {
    mode: 'disabled',
    source: `${source}: the MCO sets short_name_mode = "disabled" (OCPBUGS-75916, MCO PR #5628)`,
  };
}

/** The mode from a node: its CRI-O version (status.nodeInfo.containerRuntimeVersion) and its crio.conf files. */
export function modeForNode(
  node: string,
  crioVersion: string | undefined,
  conf: CrioShortNameMode | undefined,
): ShortNameModeDecision | undefined {
  const mm = crioVersion === undefined ? undefined : majorMinor(crioVersion);
  if (mm !== undefined && mm[0] === 1 && mm[1] < 34)
    return {
      mode: 'disabled',
      source: `node ${node} runs CRI-O ${mm.join('.')}, which always resolves short names with every search registry`,
    };
  if (conf === undefined) return undefined;
  if (conf.mode === null) return undefined;
  const where =
    conf.setBy === null
      ? 'no short_name_mode in /etc/crio/crio.conf or crio.conf.d: CRI-O 1.34 defaults to enforcing'
      : `short_name_mode = ${JSON.stringify(conf.value)} in ${conf.setBy}`;
  return { mode: conf.mode, source: `node ${node}: ${where}` };
}
