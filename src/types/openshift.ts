// The OpenShift objects the engine reads, as their CRDs define them (only the fields that matter here).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: Array<{ manager?: string; operation?: string; time?: string; apiVersion?: string }>;
}

export type MirrorSourcePolicy = 'NeverContactSource' | 'AllowContactingSource';

/** operator.openshift.io/v1alpha1 ImageContentSourcePolicy (cluster-scoped). */
export interface ImageContentSourcePolicy {
  apiVersion: 'operator.openshift.io/v1alpha1';
  kind: 'ImageContentSourcePolicy';
  metadata: ObjectMeta;
  spec: { repositoryDigestMirrors?: Array<{ source: string; mirrors?: string[] }> };
}

export interface ImageMirrors {
  source: string;
  mirrors?: string[];
  mirrorSourcePolicy?: MirrorSourcePolicy;
}

/** config.openshift.io/v1 ImageDigestMirrorSet. */
export interface ImageDigestMirrorSet {
  apiVersion: 'config.openshift.io/v1';
  kind: 'ImageDigestMirrorSet';
  metadata: ObjectMeta;
  spec: { imageDigestMirrors?: ImageMirrors[] };
}

/** config.openshift.io/v1 ImageTagMirrorSet. */
export interface ImageTagMirrorSet {
  apiVersion: 'config.openshift.io/v1';
  kind: 'ImageTagMirrorSet';
  metadata: ObjectMeta;
  spec: { imageTagMirrors?: ImageMirrors[] };
}

export interface RegistrySources {
  insecureRegistries?: string[];
  blockedRegistries?: string[];
  allowedRegistries?: string[];
  containerRuntimeSearchRegistries?: string[];
}

/** config.openshift.io/v1 Image, name "cluster". */
export interface ImageConfig {
  apiVersion: 'config.openshift.io/v1';
  kind: 'Image';
  metadata: ObjectMeta;
  spec: { registrySources?: RegistrySources };
}

/** config.openshift.io/v1 ClusterVersion, name "version". */
export interface ClusterVersion {
  apiVersion: 'config.openshift.io/v1';
  kind: 'ClusterVersion';
  metadata: ObjectMeta;
  spec?: { channel?: string; clusterID?: string };
  status?: { desired?: { image?: string; version?: string } };
}

export type MirrorObject = ImageContentSourcePolicy | ImageDigestMirrorSet | ImageTagMirrorSet;
export type PolicyObject = MirrorObject | ImageConfig | ClusterVersion;
