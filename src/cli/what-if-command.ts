// `icsp what-if --policies CURRENT... --proposed FILE_OR_DIR... [--remove KIND/NAME]... [--images FILE]
// [--pools FILE] [--json]` offline, or `icsp what-if --kubeconfig PATH --proposed ...` against a cluster (current
// objects, pools, MachineConfiguration and the pods' images read from it, read-only). Exit 0 when the MCO accepts
// the result, 1 when it refuses it, 2 for bad usage or input.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadPolicyPaths } from '../files/policy-files.ts';
import { EngineError } from '../domain/engine-error.ts';
import type { MachineConfiguration, PoolFacts } from '../domain/node-disruption.ts';
import { poolsFromDocuments } from '../domain/pool-facts.ts';
import { parseObjectKey } from '../domain/policy-overlay.ts';
import type { ObjectKey } from '../domain/policy-overlay.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { parseImagesFile } from '../domain/running-images.ts';
import type { ImageUsage } from '../domain/running-images.ts';
import { whatIf } from '../domain/what-if.ts';
import { formatWhatIf, whatIfJson } from '../domain/what-if-report.ts';
import { foldLines, messageOf } from '../domain/error-text.ts';
import type { ReadClusterState } from '../ports/what-if.ts';
import { EXIT } from './io.ts';
import type { CliIo } from './io.ts';

export const WHAT_IF_USAGE =
  `usage: icsp what-if --policies CURRENT... --proposed FILE_OR_DIR... [--remove KIND/NAME]...` +
  ` [--images FILE] [--pools FILE] [--json]
       icsp what-if --kubeconfig PATH --proposed FILE_OR_DIR... [--remove KIND/NAME]... [--json]
  What applying the proposed ICSP/IDMS/ITMS/Image objects (files, directories such as oc-mirror's
  cluster-resources/, - for stdin) does: whether the MCO accepts it, the registries.conf difference, drain/reboot per
  pool, and which running images change route. Proposed objects replace objects of the same kind and name.
  --images: image references one per line, or 'oc get pods -A -o json' output.
  --pools: 'oc get mcp -o yaml' output, optionally with 'oc get machineconfiguration cluster -o yaml' (4.16+).
`;

class Usage extends Error {}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(
      'input',
      `${path}: ` +
        (code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(e)),
    );
  }
}

export async function whatIfCommand(args: string[], io: CliIo, readCluster?: ReadClusterState): Promise<number> {
  const json = args.includes('--json');
  try {
    let p;
    try {
      p = parseArgs({
        args,
        allowPositionals: false,
        strict: true,
        options: {
          policies: { type: 'string', multiple: true },
          proposed: { type: 'string', multiple: true },
          remove: { type: 'string', multiple: true },
          images: { type: 'string' },
          pools: { type: 'string' },
          kubeconfig: { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (e) {
      throw new Usage((e as Error).message.split('\n')[0] ?? String(e));
    }
    const v = p.values;
    if (v.help) {
      io.stdout.write(WHAT_IF_USAGE);
      return EXIT.ok;
    }
    const live =
      v.kubeconfig !== undefined ||
      (v.policies === undefined && io.env.KUBECONFIG !== undefined && readCluster !== undefined);
    if ((v.proposed ?? []).length === 0 && (v.remove ?? []).length === 0)
      throw new Usage('what-if needs --proposed FILE_OR_DIR (or --remove KIND/NAME)');
    if (!live && (v.policies ?? []).length === 0)
      throw new Usage('what-if needs the current objects: --policies PATH (offline) or --kubeconfig PATH (a cluster)');
    if (live && (v.policies ?? []).length > 0)
      throw new Usage('give --policies (offline) or --kubeconfig (a cluster), not both');
    if (live && (v.images !== undefined || v.pools !== undefined))
      throw new Usage(
        '--images and --pools are for offline use: against a cluster the pods and pools are read from it',
      );
    const remove: ObjectKey[] = [];
    for (const r of v.remove ?? []) {
      const k = parseObjectKey(r);
      if (k === null)
        throw new Usage(`--remove takes KIND/NAME (KIND: icsp, idms, itms, image), got ${JSON.stringify(r)}`);
      remove.push(k);
    }
    const notes: string[] = [];
    const proposedLoaded = await loadPolicyPaths(v.proposed ?? [], io.stdin);
    // oc-mirror's cluster-resources/ also holds CatalogSources, ClusterCatalogs, signature ConfigMaps, UpdateServices.
    for (const w of proposedLoaded.warnings)
      notes.push(
        `--proposed: ` +
          `${w.replace(/^(.*): skipped (\S+): not a kind icsp reads.*$/, '$1: ignored $2 (not a mirror object)')}`,
      );
    let current: PolicySet;
    let images: ImageUsage | undefined;
    let pools: PoolFacts[] | undefined;
    let machineConfiguration: MachineConfiguration | null = null;
    if (live) {
      if (readCluster === undefined) throw new Usage('what-if against a cluster is not available in this build');
      const st = await readCluster(v.kubeconfig, io.env);
      current = st.policies;
      images = st.images;
      pools = st.pools;
      machineConfiguration = st.machineConfiguration;
      notes.push(...st.notes);
    } else {
      const cur = await loadPolicyPaths(v.policies ?? [], io.stdin);
      for (const w of cur.warnings) io.stderr.write(`icsp: warning: ${w}\n`);
      current = cur.policies;
      if (v.images !== undefined) images = parseImagesFile(await readText(v.images), v.images);
      if (v.pools !== undefined)
        ({ pools, machineConfiguration } = poolsFromDocuments(await readText(v.pools), v.pools));
      if (pools !== undefined && pools.length === 0) pools = undefined;
    }
    const r = whatIf({
      current,
      proposed: proposedLoaded.objects,
      remove,
      ...(images !== undefined ? { images } : {}),
      ...(pools !== undefined ? { pools } : {}),
      machineConfiguration,
    });
    r.notes.unshift(...notes);
    io.stdout.write(json ? JSON.stringify(whatIfJson(r), null, 2) + '\n' : formatWhatIf(r));
    if (!r.accepted)
      io.stderr.write(`icsp: the MCO refuses the proposed configuration: ${foldLines(r.mcoMessage ?? '')}\n`);
    return r.accepted ? EXIT.ok : EXIT.pullFails;
  } catch (e) {
    const usage = e instanceof Usage;
    const msg = usage || e instanceof EngineError ? e.message : foldLines(messageOf(e));
    io.stderr.write(`icsp: ${foldLines(msg)}${usage ? " (see 'icsp what-if --help')" : ''}\n`);
    if (json)
      io.stdout.write(
        JSON.stringify(
          { error: { stage: usage ? 'usage' : e instanceof EngineError ? e.stage : 'cluster', message: msg } },
          null,
          2,
        ) + '\n',
      );
    return usage || (e instanceof EngineError && e.stage === 'input') ? EXIT.usage : EXIT.pullFails;
  }
}
