// vitest global setup for the cluster tests: one real control plane per run, prepared like a
// cluster the bot is installed on (OpenShift CRDs, the bot's manifests, a token for its SA).
import type { TestProject } from 'vitest/node';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';
import { prepareCluster } from './prepare-cluster.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ minRequestTimeoutSeconds: 1800 });
    const started = Date.now() - t0;
    const info = await prepareCluster(cp);
    project.provide('cluster', info);
    console.log(
      `control plane ${cp.info.version} at ${cp.info.apiServerURL}: ready ` +
        `in ${started} ms, prepared in ${Date.now() - t0} ms (log: ${cp.logFile})`,
    );
  } catch (err) {
    await cp?.stop();
    throw err;
  }
  const running = cp;
  return async () => {
    await running.stop();
  };
}
