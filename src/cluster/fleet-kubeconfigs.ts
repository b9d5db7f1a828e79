// A fleet for one bot: named clusters, each with its own KubeConfig. From a directory of kubeconfig files (a
// mounted Secret: one key per cluster, the key is the cluster's name) or from contexts of one kubeconfig.
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { isClusterName } from '../domain/cluster-name.ts';
import { errorText, messageOf } from '../domain/error-text.ts';

export interface FleetMember {
  name: string;
  kubeConfig: KubeConfig;
}

const MAX_CLUSTERS = 100;
const MAX_KUBECONFIG_BYTES = 1024 * 1024;

function checkName(name: string, where: string): void {
  if (!isClusterName(name)) {
    throw new Error(
      `${where}: ${JSON.stringify(name)} is not usable as a cluster name ` +
        `(letters, digits, ".", "-", "_", "@", ":", "/"; not "all")`,
    );
  }
}

/**
 * Every regular file in `dir` whose name does not start with "." (a Secret volume's `..data` links are skipped) is
 * one cluster's kubeconfig; its name, without a .yaml/.yml/.kubeconfig/.conf suffix, is the cluster's name.
 */
export function fleetFromDirectory(dir: string): FleetMember[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new Error(
      `ICSP_KUBECONFIGS: cannot read the directory ${dir} (${messageOf(e)}): mount the Secret of kubeconfigs there`,
      { cause: e },
    );
  }
  const members: FleetMember[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    // Secret volumes expose keys as symlinks into ..data: follow them, but read only regular files.
    const st = lstatSync(path).isSymbolicLink() ? statSync(path) : lstatSync(path);
    if (!st.isFile()) continue;
    if (st.size > MAX_KUBECONFIG_BYTES)
      throw new Error(`ICSP_KUBECONFIGS: ${entry} is larger than 1 MiB: not a kubeconfig`);
    const name = entry.replace(/\.(ya?ml|kubeconfig|conf)$/, '');
    checkName(name, `ICSP_KUBECONFIGS: ${entry}`);
    const kc = new KubeConfig();
    try {
      kc.loadFromString(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`ICSP_KUBECONFIGS: ${entry} is not a kubeconfig (${errorText(e)})`, { cause: e });
    }
    if (kc.getCurrentCluster() === null)
      throw new Error(`ICSP_KUBECONFIGS: ${entry} has no current context with a cluster: set current-context`);
    members.push({ name, kubeConfig: kc });
  }
  if (members.length === 0) throw new Error(`ICSP_KUBECONFIGS: no kubeconfig files in ${dir}`);
  if (members.length > MAX_CLUSTERS)
    throw new Error(`ICSP_KUBECONFIGS: ${members.length} clusters; at most ${MAX_CLUSTERS} per bot`);
  return members;
}

/** Contexts of one kubeconfig as clusters, named by their context names: `all`, or a comma-separated list. */
export function fleetFromContexts(base: KubeConfig, which: string): FleetMember[] {
  const available = base.getContexts().map((c) => c.name);
  const wanted =
    which.trim() === 'all'
      ? available
      : which
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  if (wanted.length === 0)
    throw new Error('ICSP_KUBECONFIG_CONTEXTS: no contexts named: give "all" or a comma-separated list');
  if (wanted.length > MAX_CLUSTERS)
    throw new Error(`ICSP_KUBECONFIG_CONTEXTS: ${wanted.length} contexts; at most ${MAX_CLUSTERS} per bot`);
  return wanted.map((name) => {
    if (!available.includes(name))
      throw new Error(
        `ICSP_KUBECONFIG_CONTEXTS: no context ${JSON.stringify(name)} in the ` +
          `kubeconfig (it has: ${available.join(', ') || 'none'})`,
      );
    checkName(name, 'ICSP_KUBECONFIG_CONTEXTS');
    const kc = new KubeConfig();
    kc.loadFromString(base.exportConfig());
    kc.setCurrentContext(name);
    if (kc.getCurrentCluster() === null)
      throw new Error(`ICSP_KUBECONFIG_CONTEXTS: context ${JSON.stringify(name)} names no cluster`);
    return { name, kubeConfig: kc };
  });
}
