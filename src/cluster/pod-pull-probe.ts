// Whether a pod still waits on its image: the resolution check of the triage channel reads only the pods of
// open groups (bounded), so an idle cluster costs nothing.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { PULL_WAITING_REASONS } from '../domain/triage/pod-triage.ts';
import type { PodPullProbe, PodPullState } from '../ports/pull-events.ts';
import { kubeStatus } from './kube-errors.ts';

export class ClusterPodPullProbe implements PodPullProbe {
  private readonly core: CoreV1Api;
  requests = 0;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async state(namespace: string, name: string, container: string | null): Promise<PodPullState> {
    this.requests++;
    try {
      const p = await this.core.readNamespacedPod({ namespace, name });
      const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
      const failing = statuses.some(
        (s) => (container === null || s.name === container) && PULL_WAITING_REASONS.has(s.state?.waiting?.reason ?? ''),
      );
      return failing ? 'failing' : 'pulled';
    } catch (e) {
      if (kubeStatus(e)?.code === 404) return 'gone';
      throw e;
    }
  }
}
