// Names of the clusters of a fleet, as users type them after `cluster=`: kubeconfig file names (Secret keys) or
// kubeconfig context names such as `admin@prod-east`. `all` is reserved for every cluster at once.

export const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._@:/-]{0,251}[A-Za-z0-9])?$/;

export function isClusterName(s: string): boolean {
  return CLUSTER_NAME.test(s) && s.toLowerCase() !== 'all';
}
