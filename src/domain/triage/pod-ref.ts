// NAMESPACE/NAME of a pod, as typed in Slack or on the command line: both parts must be Kubernetes names (the
// namespace a DNS-1123 label, the pod a DNS-1123 subdomain), so nothing else ever reaches an API path.
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface PodRef {
  namespace: string;
  name: string;
}

/** The pod reference, or a one-line reason it is not one. */
export function parsePodRef(s: string): PodRef | { error: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(s.trim());
  if (m === null) return { error: `${JSON.stringify(s.slice(0, 80))} is not NAMESPACE/NAME` };
  const [, namespace = '', name = ''] = m;
  if (namespace.length > 63 || !LABEL.test(namespace))
    return { error: `${JSON.stringify(namespace.slice(0, 80))} is not a namespace name` };
  if (name.length > 253 || !SUBDOMAIN.test(name))
    return { error: `${JSON.stringify(name.slice(0, 80))} is not a pod name` };
  return { namespace, name };
}
