// The short-lived privileged pod that runs the podman check on a node, modelled on `oc debug node/NAME`
// (node-debug-and-rollout.md §1.3, §1.6): pinned with nodeName, host namespaces, privileged root with the host
// at /host, tolerates every taint, a hard deadline, no service-account token, labels for the startup sweep.
// The image reference reaches podman as one argv element: the script below is fixed text and reads it as "$1".
import type { ImageReference } from './reference.ts';
import { refString } from './reference.ts';

export const DEBUG_POD_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  runId: 'icsp-bot.openshift.io/run-id',
} as const;
export const MANAGED_BY = 'icsp-bot';
export const COMPONENT = 'node-check';

/** Markers that frame each part of the check's output in the pod log. */
export const MARK = {
  confBegin: '=== icsp-check registries.conf begin ',
  confEnd: '=== icsp-check registries.conf end',
  pullBegin: '=== icsp-check podman begin',
  pullEnd: '=== icsp-check podman end',
  summary: 'icsp-check-summary ',
  // CRI-O's configuration (short_name_mode) and the machine alias cache: how this node resolves short names
  crioBegin: '=== icsp-check crio.conf begin ',
  crioEnd: '=== icsp-check crio.conf end',
  aliasesBegin: '=== icsp-check short-name-aliases begin ',
  aliasesEnd: '=== icsp-check short-name-aliases end',
} as const;

/**
 * Fixed script run on the host (chroot /host). $1 is the image reference, passed as its own argv element: it
 * is never part of the script text. podman authenticates with the kubelet's pull secret, as CRI-O does. An image
 * that was not in the node's storage before the check is removed after it; one that was there is left alone.
 */
export const CHECK_SCRIPT =
  `set -u
img="$1"
for f in /etc/containers/registries.conf /etc/containers/registries.conf.d/*.conf; do
  [ -f "$f" ] || continue
  echo "${MARK.confBegin}$f"
  cat "$f"
  echo "${MARK.confEnd}"
done
# CRI-O reads crio.conf, then every file under crio.conf.d whatever its name (OpenShift: 00-default)
{ [ -f /etc/crio/crio.conf ] && echo /etc/crio/crio.conf;` +
  ` [ -d /etc/crio/crio.conf.d ] && find /etc/crio/crio.conf.d -type f 2>/dev/null | LC_ALL=C sort; }` +
  ` | while IFS= read -r f; do
  echo "${MARK.crioBegin}$f"
  cat "$f"
  echo
  echo "${MARK.crioEnd}"
done
if [ -f /var/cache/containers/short-name-aliases.conf ]; then
  echo "${MARK.aliasesBegin}/var/cache/containers/short-name-aliases.conf"
  cat /var/cache/containers/short-name-aliases.conf
  echo
  echo "${MARK.aliasesEnd}"
fi
present=false
if podman image exists "$img" 2>/dev/null; then present=true; fi
echo "${MARK.pullBegin}"
auth=""
[ -f /var/lib/kubelet/config.json ] && auth="--authfile=/var/lib/kubelet/config.json"
podman pull $auth --log-level debug "$img" 2>&1
rc=$?
echo "${MARK.pullEnd}"
removed=false
if [ "$rc" -eq 0 ] && [ "$present" = false ]; then
  podman rmi "$img" >/dev/null 2>&1 && removed=true
fi
echo "${MARK.summary}{\\"pullExit\\":$rc,\\"presentBefore\\":$present,\\"removed\\":$removed}"
exit 0
`;

export interface DebugPodOptions {
  node: string;
  namespace: string;
  serviceAccount: string;
  image: string;
  /** Validated pull reference (parsePullReference). */
  reference: ImageReference;
  runId: string;
  deadlineSeconds: number;
  /** Random suffix for the name (injected so tests are deterministic). */
  suffix: string;
}

/** oc's MakeSimpleName: lower case, only [-a-z0-9], trimmed of "-", at most 63 characters. */
export function simpleName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

export function buildDebugPod(o: DebugPodOptions): PodManifest {
  const name = `${simpleName(o.node).slice(0, 40)}-icsp-${o.suffix}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace,
      labels: {
        [DEBUG_POD_LABELS.managedBy]: MANAGED_BY,
        [DEBUG_POD_LABELS.component]: COMPONENT,
        [DEBUG_POD_LABELS.runId]: o.runId,
      },
      annotations: {
        'debug.openshift.io/source-resource': `nodes/${o.node}`,
        'openshift.io/required-scc': 'privileged',
        'icsp-bot.openshift.io/image': refString(o.reference),
      },
    },
    spec: {
      nodeName: o.node,
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      restartPolicy: 'Never',
      serviceAccountName: o.serviceAccount,
      automountServiceAccountToken: false,
      activeDeadlineSeconds: o.deadlineSeconds,
      terminationGracePeriodSeconds: 0,
      priorityClassName: 'openshift-user-critical',
      tolerations: [{ operator: 'Exists' }],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
      containers: [
        {
          name: 'container-00',
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['chroot', '/host', '/bin/bash', '-c', CHECK_SCRIPT, 'icsp-check', refString(o.reference)],
          securityContext: { privileged: true, runAsUser: 0 },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
          resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '512Mi' } },
        },
      ],
    },
  };
}

export interface CheckOutput {
  confFiles: Array<{ name: string; toml: string }>;
  /** /etc/crio/crio.conf and the files of /etc/crio/crio.conf.d, as the node has them. */
  crioFiles?: Array<{ name: string; toml: string }>;
  /** The machine alias cache /var/cache/containers/short-name-aliases.conf, or null when the node has none. */
  aliasCache?: string | null;
  podmanLog: string;
  summary: { pullExit: number; presentBefore: boolean; removed: boolean } | null;
}

/** Splits the pod log into the node's registries.conf files, podman's debug log and the summary line. */
export function parseCheckOutput(log: string): CheckOutput {
  const confFiles: CheckOutput['confFiles'] = [];
  const crioFiles: Array<{ name: string; toml: string }> = [];
  let aliasCache: string | null = null;
  let other: { kind: 'crio' | 'aliases'; name: string; lines: string[] } | null = null;
  const pull: string[] = [];
  let summary: CheckOutput['summary'] = null;
  let conf: { name: string; lines: string[] } | null = null;
  let inPull = false;
  for (const line of log.split(/\r?\n/)) {
    if (other !== null) {
      if (line === (other.kind === 'crio' ? MARK.crioEnd : MARK.aliasesEnd)) {
        if (other.kind === 'crio') crioFiles.push({ name: other.name, toml: other.lines.join('\n') + '\n' });
        else aliasCache = other.lines.join('\n') + '\n';
        other = null;
      } else other.lines.push(line);
    } else if (!inPull && line.startsWith(MARK.crioBegin))
      other = { kind: 'crio', name: line.slice(MARK.crioBegin.length), lines: [] };
    else if (!inPull && line.startsWith(MARK.aliasesBegin))
      other = { kind: 'aliases', name: line.slice(MARK.aliasesBegin.length), lines: [] };
    else if (conf !== null) {
      if (line === MARK.confEnd) {
        confFiles.push({ name: conf.name, toml: conf.lines.join('\n') + '\n' });
        conf = null;
      } else conf.lines.push(line);
    } else if (line.startsWith(MARK.confBegin)) conf = { name: line.slice(MARK.confBegin.length), lines: [] };
    else if (line === MARK.pullBegin) inPull = true;
    else if (line === MARK.pullEnd) inPull = false;
    else if (inPull) pull.push(line);
    else if (line.startsWith(MARK.summary)) {
      try {
        const s = JSON.parse(line.slice(MARK.summary.length)) as CheckOutput['summary'];
        if (s !== null && typeof s.pullExit === 'number') summary = s;
      } catch {
        summary = null;
      }
    }
  }
  return { confFiles, crioFiles, aliasCache, podmanLog: pull.join('\n'), summary };
}
