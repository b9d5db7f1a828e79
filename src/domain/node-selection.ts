// Which nodes a live check runs on, and the one parser of it for Slack (`node=NAME`, `pool=NAME`, `nodes=all|N`)
// and the CLI (`--node`, `--pool`, `--nodes`): the same names and limits from both front doors. Names end up in
// API requests for nodes that run a privileged pod, so they must be Kubernetes object names.

export type NodeSelection = { node: string } | { pool: string } | { nodes: 'all' | number } | { default: true };

export type SelectionKey = 'node' | 'pool' | 'nodes';

/** Kubernetes object names (DNS-1123 subdomain): what node and pool accept. */
export const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** nodes=N at most (nodes=all is bounded by ICSP_LIVE_MAX_NODES). */
export const MAX_SELECTED_NODES = 50;

/** Quotes user input for an error line: bounded, no control characters. */
export function quoteInput(s: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

/**
 * `value` of `key` as a selection, or a one-line error naming the option as the user wrote it (`label`: "node="
 * in Slack, "--node" in the CLI).
 */
export function parseNodeSelection(key: SelectionKey, value: string, label: string): NodeSelection | { error: string } {
  if (key === 'nodes') {
    if (value === 'all') return { nodes: 'all' };
    if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_SELECTED_NODES)
      return { nodes: Number(value) };
    return { error: `${label} takes "all" or a number 1..${MAX_SELECTED_NODES}, got ${quoteInput(value)}` };
  }
  if (value.length === 0 || value.length > 253 || !K8S_NAME.test(value))
    return { error: `${label} takes a ${key} name (lowercase letters, digits, "-" and "."), got ${quoteInput(value)}` };
  return key === 'node' ? { node: value } : { pool: value };
}
