// Everything the MCO renders registries.conf from, gathered in one value.
import type {
  ImageConfig,
  ImageContentSourcePolicy,
  ImageDigestMirrorSet,
  ImageTagMirrorSet,
} from '../types/openshift.ts';

export interface PolicySet {
  icsps: ImageContentSourcePolicy[];
  idms: ImageDigestMirrorSet[];
  itms: ImageTagMirrorSet[];
  /** image.config.openshift.io/cluster; when absent the MCO renders nothing. */
  image?: ImageConfig;
  /** ClusterVersion status.desired.image: drives the payload filter of blockedRegistries. */
  releaseImage?: string;
  /** ClusterVersion status.desired.version (e.g. 4.21.3): the short-name mode when no node is read. */
  clusterVersion?: string;
}
