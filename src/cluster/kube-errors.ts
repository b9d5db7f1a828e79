// Kubernetes API errors as one line a human can act on. ApiException messages carry whole bodies and
// headers, so nothing of them is shown raw (and never posted to Slack).
import { ApiException } from '@kubernetes/client-node';
import { messageOf } from '../domain/error-text.ts';

export interface KubeStatus {
  code: number;
  reason: string;
  message: string;
}

export function kubeStatus(err: unknown): KubeStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  let body: { reason?: string; message?: string } = {};
  try {
    body = typeof err.body === 'string' ? (JSON.parse(err.body) as typeof body) : ((err.body ?? {}) as typeof body);
  } catch {
    body = {};
  }
  return { code: err.code, reason: body.reason ?? '', message: body.message ?? `HTTP ${err.code}` };
}

/** One line: what failed and what to do. `what` names the action ("create the debug pod on worker-1"). */
export function describeKubeError(err: unknown, what: string): string {
  const s = kubeStatus(err);
  if (s === undefined) {
    const m = messageOf(err);
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|fetch failed/i.test(m))
      return (
        `cannot ${what}: the cluster API is unreachable ` +
        `(${m.split('\n')[0]}); check the kubeconfig and the network`
      );
    return `cannot ${what}: ${m.split('\n')[0]}`;
  }
  if (s.code === 403)
    return (
      `cannot ${what}: forbidden (${s.message}); the bot's ServiceAccount lacks ` +
      `this permission: apply manifests/ (oc apply -k manifests/)`
    );
  if (s.code === 401) return `cannot ${what}: unauthorized: the token is invalid or expired`;
  if (s.code === 404) return `cannot ${what}: not found (${s.message})`;
  return `cannot ${what}: ${s.code} ${s.reason}: ${s.message}`;
}
