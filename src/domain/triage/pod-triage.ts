// A pod that cannot pull: which of its containers and init containers wait on an image, what the kubelet said
// about each (events + waiting message) and one verdict per image. Pure: the pod, its events and the plans come in.
import type { Explanation } from '../explain.ts';
import { triageImage } from './triage-verdict.ts';
import type { NodeContext, TriageVerdict } from './triage-verdict.ts';

/** The waiting reasons of a container that is stuck on its image. */
export const PULL_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'RegistryUnavailable',
  'SignatureValidationFailed',
  'ImageInspectError',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

/** The subset of a V1Pod the triage reads. */
export interface PodShape {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: {
    nodeName?: string;
    containers?: Array<{ name: string; image?: string }>;
    initContainers?: Array<{ name: string; image?: string }>;
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatusShape[];
    initContainerStatuses?: ContainerStatusShape[];
  };
}

export interface ContainerStatusShape {
  name: string;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** The subset of a core/v1 Event the triage reads. */
export interface EventShape {
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { fieldPath?: string; name?: string; namespace?: string; uid?: string };
  lastTimestamp?: string | Date | null;
  eventTime?: string | Date | null;
}

export interface StuckContainer {
  container: string;
  init: boolean;
  image: string;
  reason: string;
  message: string;
}

export interface ContainerTriage extends StuckContainer {
  verdict: TriageVerdict;
}

export interface PodTriage {
  namespace: string;
  name: string;
  node: string | null;
  pool: string | null;
  phase: string | null;
  containers: ContainerTriage[];
  /** Said first: no container waits on an image, the node is unknown, ... */
  notes: string[];
}

export function stuckContainers(pod: PodShape): StuckContainer[] {
  const out: StuckContainer[] = [];
  const specImage = (init: boolean, name: string): string =>
    ((init ? pod.spec?.initContainers : pod.spec?.containers) ?? []).find((c) => c.name === name)?.image ?? '';
  for (const [init, statuses] of [
    [true, pod.status?.initContainerStatuses],
    [false, pod.status?.containerStatuses],
  ] as const) {
    for (const s of statuses ?? []) {
      const w = s.state?.waiting;
      if (w?.reason === undefined || !PULL_WAITING_REASONS.has(w.reason)) continue;
      // the spec's image is what the kubelet quotes; the status may carry a resolved one
      out.push({
        container: s.name,
        init,
        image: specImage(init, s.name) || s.image || '',
        reason: w.reason,
        message: w.message ?? '',
      });
    }
  }
  return out;
}

/** The kubelet's event messages about one container (fieldPath spec.containers{NAME} / spec.initContainers{NAME}). */
export function eventsFor(events: EventShape[], c: StuckContainer): string[] {
  const path = `${c.init ? 'spec.initContainers' : 'spec.containers'}{${c.container}}`;
  return events
    .filter(
      (e) =>
        (e.involvedObject?.fieldPath === undefined || e.involvedObject.fieldPath === path) &&
        typeof e.message === 'string',
    )
    .filter(
      (e) =>
        e.reason === 'Failed' ||
        e.reason === 'InspectFailed' ||
        e.reason === 'BackOff' ||
        e.reason === 'ErrImageNeverPull',
    )
    .map((e) => e.message ?? '')
    .filter((m) => m.includes(c.image) || m.startsWith('Error: ') || m.includes('short name mode'));
}

export interface PlanPair {
  nodePlan: Explanation | null;
  policyPlan: Explanation | null;
}

export function triagePod(
  pod: PodShape,
  events: EventShape[],
  node: NodeContext,
  plans: (image: string) => PlanPair,
): PodTriage {
  const stuck = stuckContainers(pod);
  const notes: string[] = [];
  if (stuck.length === 0)
    notes.push(
      `no container of this pod is waiting on its image (phase ${pod.status?.phase ?? 'unknown'}): nothing to triage`,
    );
  if (node.node === null) notes.push('the pod is not scheduled to a node yet');
  const containers = stuck.map((c) => {
    const texts = [...eventsFor(events, c), c.message];
    return { ...c, verdict: triageImage({ image: c.image, texts, node, ...plans(c.image) }) };
  });
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    node: node.node,
    pool: node.pool,
    phase: pod.status?.phase ?? null,
    containers,
    notes,
  };
}

/** Text for the CLI and file uploads. */
export function formatPodTriage(t: PodTriage): string {
  const out: string[] = [
    `pod ${t.namespace}/${t.name} on ${t.node ?? '(no node)'}` +
      `${t.pool !== null ? ` (pool ${t.pool})` : ''}: ${t.containers.length} container(s) cannot pull`,
  ];
  for (const n of t.notes) out.push(`note: ${n}`);
  for (const c of t.containers) {
    out.push('', `${c.init ? 'init container' : 'container'} ${c.container} (${c.reason}): ${c.image}`);
    out.push(`  ${c.verdict.cause}: ${c.verdict.headline}`);
    out.push('  fix:');
    for (const f of c.verdict.fix) out.push(`    - ${f}`);
    if (c.verdict.facts.length > 0) {
      out.push('  what the node said:');
      for (const f of c.verdict.facts) out.push(`    ${f}`);
    }
  }
  return `${out.join('\n')}\n`;
}
