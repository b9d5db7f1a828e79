// The "why pod" use case, shared by Slack, the CLI and the triage channel: why a pod (or one kubelet event) says
// an image cannot be pulled. What the node already said (the pod's waiting states, the kubelet's events) is judged
// against two plans: the node's own (the registries.conf of its current rendered MachineConfig) and the live
// policies' (planWhy: one policy generation per image, released at once). No debug pod, no chat, no Kubernetes.
import { EventTextParser } from '../domain/evidence/event-parser.ts';
import { explain } from '../domain/explain.ts';
import type { Explanation } from '../domain/explain.ts';
import type { RegistriesConf } from '../domain/registries-conf.ts';
import { triagePod } from '../domain/triage/pod-triage.ts';
import type { PlanPair, PodTriage } from '../domain/triage/pod-triage.ts';
import type { PodRef } from '../domain/triage/pod-ref.ts';
import { triageImage } from '../domain/triage/triage-verdict.ts';
import type { TriageVerdict } from '../domain/triage/triage-verdict.ts';
import type { PolicySource } from '../ports/live-check.ts';
import type { PodFacts } from '../ports/pod-triage.ts';
import { planWhy } from './why.ts';

export interface WhyPodDeps {
  /** The cluster the pod lives in (reads only). */
  pods: PodFacts;
  /** The live policies of that cluster. */
  policies: PolicySource;
}

/** The policies' plan (null when it cannot be had) and the node's plan (the policies' when the node's is unknown). */
export async function imagePlans(
  policies: PolicySource,
  nodeConf: RegistriesConf | null,
  image: string,
): Promise<PlanPair> {
  let policyPlan: Explanation | null = null;
  try {
    const held = await planWhy(policies, image);
    policyPlan = held.explanation;
    held.release();
  } catch {
    // no policies' plan: the node's own file still answers
  }
  const nodePlan = nodeConf !== null ? explain({ reference: image, conf: nodeConf }) : policyPlan;
  return { nodePlan, policyPlan };
}

/** `why pod NAMESPACE/NAME`: each container and init container waiting on its image, with one verdict per image. */
export async function whyPod(deps: WhyPodDeps, ref: PodRef): Promise<PodTriage> {
  const { pod, events } = await deps.pods.readPod(ref.namespace, ref.name);
  const facts = await deps.pods.nodeFacts(pod.spec?.nodeName ?? null);
  const plans = new Map<string, PlanPair>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    if (c.image === undefined || plans.has(c.image)) continue;
    plans.set(c.image, await imagePlans(deps.policies, facts.conf, c.image));
  }
  const t = triagePod(pod, events, facts.node, (image) => plans.get(image) ?? { nodePlan: null, policyPlan: null });
  t.notes.push(...facts.notes);
  return t;
}

/**
 * One image's verdict on one node from the kubelet's texts (the triage channel's classifier); the image is read
 * from the texts when not given; null when they name none.
 */
export async function whyPullFailed(
  deps: WhyPodDeps,
  nodeName: string | null,
  image: string | null,
  texts: string[],
): Promise<TriageVerdict | null> {
  let img = image;
  if (img === null) {
    const p = new EventTextParser();
    for (const t of texts) for (const line of t.split('\n')) p.push(line);
    const r = p.finish();
    img = r.event.image ?? r.evidence.logicalReference;
  }
  if (img === null) return null;
  const facts = await deps.pods.nodeFacts(nodeName);
  return triageImage({ image: img, texts, node: facts.node, ...(await imagePlans(deps.policies, facts.conf, img)) });
}
