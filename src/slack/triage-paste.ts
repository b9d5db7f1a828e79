// A kubelet event, waiting message or `oc describe pod` output pasted after @icsp-bot: when it names a pod the
// bot can read, the answer is `why pod` for that pod; otherwise the verdict comes from the text itself and the
// plan of the live policies. Detection is cheap and bounded (the first 200 lines).
import { imagePlans, whyPod } from '../app/why-pod.ts';
import { EVENT_MARKER_RE, EventTextParser } from '../domain/evidence/event-parser.ts';
import type { PodTriage } from '../domain/triage/pod-triage.ts';
import { parsePodRef } from '../domain/triage/pod-ref.ts';
import { triageImage } from '../domain/triage/triage-verdict.ts';
import type { TriageVerdict } from '../domain/triage/triage-verdict.ts';
import type { PolicySource } from '../ports/live-check.ts';
import type { PodFacts } from '../ports/pod-triage.ts';
import { normalizeSlackText } from './command-parser.ts';

const MAX_CHARS = 200_000;

/** Slack's text without its formatting and code fences, bounded. */
function plain(text: string): string {
  return normalizeSlackText(text.slice(0, MAX_CHARS)).replace(/```/g, '\n');
}

export function looksLikeKubeletText(text: string): boolean {
  return plain(text)
    .split('\n', 200)
    .some((l) => EVENT_MARKER_RE.test(l.trim()));
}

export type PasteAnswer =
  | { kind: 'pod'; namespace: string; name: string; triage: PodTriage }
  | { kind: 'image'; verdict: TriageVerdict }
  | { kind: 'none'; error: string };

export async function triagePaste(
  text: string,
  pods: PodFacts | undefined,
  policies: PolicySource,
): Promise<PasteAnswer> {
  const body = plain(text);
  const parser = new EventTextParser();
  for (const line of body.split('\n')) parser.push(line.trim());
  const read = parser.finish();
  const pod = read.event.pod;
  const ref = pod?.namespace != null && pod.name !== null ? parsePodRef(`${pod.namespace}/${pod.name}`) : null;
  if (pods !== undefined && ref !== null && !('error' in ref)) {
    try {
      return { kind: 'pod', namespace: ref.namespace, name: ref.name, triage: await whyPod({ pods, policies }, ref) };
    } catch {
      // the pod is gone or unreadable: answer from the text
    }
  }
  const image = read.event.image;
  if (image === null)
    return {
      kind: 'none',
      error:
        'the pasted text names no image: paste the whole event (Failed ' +
        'to pull image "…": …) or `oc describe pod` output',
    };
  // no node file read: the node's plan is the policies' plan
  const verdict = triageImage({
    image,
    texts: [body],
    node: { node: pod?.node ?? null, pool: null, mco: null },
    ...(await imagePlans(policies, null, image)),
  });
  return { kind: 'image', verdict };
}
