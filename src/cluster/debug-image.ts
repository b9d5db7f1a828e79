// The debug pod's image, found as `oc debug` finds it (node-debug-and-rollout.md §1.4): a configured image
// (ICSP_DEBUG_IMAGE / --debug-image) wins; otherwise the release payload's tools image, the ImageStream
// openshift/tools tag latest (status.tags[].items[0].dockerImageReference); otherwise oc's own fallback. The
// check runs the host's tools (chroot /host), so any image with chroot works; the tools image is in the
// payload and therefore mirrored in disconnected clusters, which the fallback is not.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeStatus } from './kube-errors.ts';
import { errorText } from '../domain/error-text.ts';

export const FALLBACK_DEBUG_IMAGE = 'registry.redhat.io/rhel9/support-tools';
const IMAGE_STREAM = {
  group: 'image.openshift.io',
  version: 'v1',
  namespace: 'openshift',
  plural: 'imagestreams',
  name: 'tools',
  tag: 'latest',
};

export interface DebugImage {
  image: string;
  source: 'configured' | 'imagestream' | 'fallback';
  /** Why the ImageStream was not used, for the fallback. */
  note?: string;
}

interface ImageStream {
  status?: { tags?: Array<{ tag?: string; items?: Array<{ dockerImageReference?: string }> }> };
}

export async function resolveDebugImage(
  kc: KubeConfig,
  configured: string | undefined,
  fallback = FALLBACK_DEBUG_IMAGE,
): Promise<DebugImage> {
  if (configured !== undefined && configured !== '') return { image: configured, source: 'configured' };
  const api = kc.makeApiClient(CustomObjectsApi);
  const { group, version, namespace, plural, name, tag } = IMAGE_STREAM;
  let note: string;
  try {
    const is = (await api.getNamespacedCustomObject({ group, version, namespace, plural, name })) as ImageStream;
    const ref = is.status?.tags?.find((t) => t.tag === tag)?.items?.[0]?.dockerImageReference;
    if (ref !== undefined && ref !== '') return { image: ref, source: 'imagestream' };
    note = `ImageStream ${namespace}/${name} has no resolved tag ${tag}`;
  } catch (err) {
    const code = kubeStatus(err)?.code;
    note =
      code === 404
        ? `no ImageStream ${namespace}/${name} (or no image.openshift.io API on this cluster)`
        : code === 403
          ? `not allowed to get ImageStream ${namespace}/${name} (optional ` +
            `Role icsp-bot-tools-image in manifests/rbac.yaml)`
          : `cannot read ImageStream ${namespace}/${name}: ${errorText(err)}`;
  }
  return { image: fallback, source: 'fallback', note };
}
