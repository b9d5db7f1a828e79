// One kubelet pull-failure event -> (image, cause, headline, fix): the `why pod` use case (whyPullFailed) on that
// message, against the plan of the event's node (its rendered registries.conf) and the live policies. Back-off
// events carry no error: null (the notifier attaches them to the open groups of their image).
import type { PullFailure } from '../domain/triage/triage-groups.ts';
import type { KubeletPullEvent, PullFailureClassifier } from '../ports/pull-events.ts';
import { whyPullFailed } from './why-pod.ts';
import type { WhyPodDeps } from './why-pod.ts';

export class WhyPodClassifier implements PullFailureClassifier {
  private readonly deps: WhyPodDeps;
  private readonly rolloutLink: () => Promise<string | null>;

  constructor(deps: WhyPodDeps, rolloutLink: () => Promise<string | null>) {
    this.deps = deps;
    this.rolloutLink = rolloutLink;
  }

  async classify(e: KubeletPullEvent): Promise<PullFailure | null> {
    if (e.reason === 'BackOff') return null;
    const m = /^Failed to (?:pull|inspect) image "([^"\s]*)"/.exec(e.message);
    if (m === null) return null;
    const v = await whyPullFailed(this.deps, e.node, m[1] || null, [e.message]);
    if (v === null || v.cause === 'no-error-text') return null;
    return {
      namespace: e.namespace,
      pod: e.pod,
      container: e.container,
      node: e.node,
      image: v.image,
      cause: v.cause,
      headline: v.headline,
      fix: v.fix,
      rolloutLink: v.cause === 'rollout-pending' ? await this.rolloutLink() : null,
    };
  }
}
