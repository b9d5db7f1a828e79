// The one kubeconfig loader (the bot, `icsp status`, `icsp why --live`): an explicit path (--kubeconfig), else
// KUBECONFIG (files joined by ':', merged as kubectl does), else ~/.kube/config, else the in-cluster ServiceAccount.
// With none of them it says so in one line, instead of letting the client library fall back to http://localhost
// and fail later with an unrelated TLS message.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { errorText } from '../domain/error-text.ts';
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';

/** What the CLI tells a user without a kubeconfig. */
export const CLI_KUBECONFIG_HINT = 'set KUBECONFIG or pass --kubeconfig';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

export interface KubeconfigOptions {
  /** --kubeconfig PATH: wins over everything else. */
  path?: string | undefined;
  env: Env;
  /** What to do when there is none, e.g. "set KUBECONFIG or pass --kubeconfig". */
  hint: string;
  /** For tests: the home directory and the ServiceAccount token path looked at. */
  home?: string;
  serviceAccountToken?: string;
}

export function loadKubeconfig(o: KubeconfigOptions): KubeConfig {
  const kc = new KubeConfig();
  const files =
    o.path !== undefined
      ? [o.path]
      : (new SettingsReader(o.env)
          .raw('KUBECONFIG')
          ?.split(':')
          .filter((f) => f !== '') ?? []);
  const userFile = join(o.home ?? homedir(), '.kube', 'config');
  if (files.length === 0 && existsSync(userFile)) files.push(userFile);
  if (files.length > 0) {
    for (const [i, file] of files.entries()) {
      try {
        if (i === 0) kc.loadFromFile(file);
        else {
          const more = new KubeConfig();
          more.loadFromFile(file);
          const first = kc.getCurrentContext();
          kc.mergeConfig(more);
          // As kubectl: the first file that names a current context wins.
          if (first) kc.setCurrentContext(first);
        }
      } catch (e) {
        throw new KubeconfigError(`cannot load the kubeconfig ${file}: ${errorText(e)}`, { cause: e });
      }
    }
    if (kc.getCurrentCluster() === null)
      throw new KubeconfigError(`the kubeconfig ${files.join(':')} has no current cluster: ${o.hint}`);
    return kc;
  }
  if (existsSync(o.serviceAccountToken ?? SERVICE_ACCOUNT_TOKEN)) {
    try {
      kc.loadFromCluster();
    } catch (e) {
      throw new KubeconfigError(`cannot use the in-cluster ServiceAccount: ${errorText(e)}`, { cause: e });
    }
    return kc;
  }
  throw new KubeconfigError(`no kubeconfig: ${o.hint}`);
}
