// Everything the MCO renders registries.conf from, gathered in one value.
import type { ClusterVersion, ImageConfig, ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet } from '../types/openshift.ts';

export interface PolicySet {
  icsps: ImageContentSourcePolicy[];
  idms: ImageDigestMirrorSet[];
  itms: ImageTagMirrorSet[];
  /** image.config.openshift.io/cluster; when absent the MCO renders nothing. */
  image?: ImageConfig;
  /** ClusterVersion status.desired.image: drives the payload filter of blockedRegistries. */
  releaseImage?: string;
}

export function emptyPolicySet(): PolicySet {
  return { icsps: [], idms: [], itms: [] };
}

/** Where a mirror rule came from, for answers that name the object. */
export interface RuleOrigin {
  kind: 'ImageContentSourcePolicy' | 'ImageDigestMirrorSet' | 'ImageTagMirrorSet';
  name: string;
}

export function releaseImageOf(cv: ClusterVersion | undefined): string | undefined {
  return cv?.status?.desired?.image;
}
