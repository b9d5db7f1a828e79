// The `icsp` command line: offline against policy YAML or a node's registries.conf. Every failure is one line
// on stderr (and, with --json, an {"error": {stage, message}} object on stdout); exit 0 ok, 1 the pull itself
// would fail, 2 bad usage or input.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { loadNodePolicyJson, loadPolicyPaths, loadRegistriesConfFiles } from '../files/policy-files.ts';
import { inputLimitsFromEnv, InputLimitError } from '../files/input-limits.ts';
import { positionalsLast } from './argv.ts';
import { EngineError } from '../domain/engine-error.ts';
import { describeBadPart } from '../domain/reference.ts';
import type { Explanation } from '../domain/explain.ts';
import { fixJson, formatFix, proposeFix } from '../domain/fix.ts';
import type { FixResult } from '../domain/fix.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { searchRegistriesOf } from '../domain/explain-pull.ts';
import { formatExplanation } from '../domain/explain-report.ts';
import { dumpIdmsYaml, icspToIdms } from '../domain/icsp-migration.ts';
import { renderPolicies } from '../domain/render.ts';
import { confFromEntries } from '../domain/registries-conf.ts';
import { encodeRegistriesConf, TEMPLATE_REGISTRIES_CONF } from '../domain/registries-toml.ts';
import type { RenderLayout } from '../domain/registries-toml.ts';
import { registriesToJson } from '../domain/registries-json.ts';
import { resolvePull } from '../domain/resolve-pull.ts';
import { checkPullReference } from '../domain/pull-reference.ts';
import { isShortNameMode, shortNameConfigOf } from '../domain/short-names.ts';
import type { ShortNameMode } from '../domain/short-names.ts';
import { defaultModeDecision } from '../domain/explain-pull.ts';
import type { ShortNameModeDecision } from '../domain/short-name-mode.ts';
import type { CliIo } from './io.ts';
import { EXIT } from './io.ts';
import { evidenceCommand } from './evidence-command.ts';
import { liveWhyCommand } from './live-why-command.ts';
import { podWhyCommand } from './pod-why-command.ts';
import { statusCommand, STATUS_USAGE } from './status-command.ts';
import { foldLines } from '../domain/error-text.ts';
import { writePolicyJson } from './policy-json-output.ts';
import { whatIfCommand } from './what-if-command.ts';
import { readWhatIfClusterState } from '../cluster/what-if-state.ts';
import { fixedPolicySource, planWhy } from '../app/why.ts';

/** The column where a command's description starts in USAGE. */
const DESC = ' '.repeat(56);

export const USAGE =
  `icsp — why an OpenShift node pulls an image from where it does (ICSP / IDMS / ITMS mirrors)

Usage:
  icsp why IMAGE --policies PATH... [--short-name-mode MODE] [--json]
${DESC}explain the pull plan from policy YAML (files, dirs, - for stdin)
  icsp why IMAGE --policies PATH... --fix [--mirror LOCATION] [--json]
${DESC}plus the YAML that fixes the pull, proven by re-explaining with it
  icsp why IMAGE --registries-conf FILE [--registries-conf-d DIR] [--policy-json-file FILE]` +
  ` [--short-name-mode MODE] [--json]
${DESC}explain from a node's actual registries.conf
  icsp why IMAGE --live [--node NAME | --pool NAME | --nodes all|N] [--kubeconfig PATH] [--debug-image REF] [--json]
${DESC}run the podman check on nodes in short-lived debug pods
  icsp why --pod NAMESPACE/NAME [--kubeconfig PATH] [--json]
${DESC}why a pod cannot pull: its events and its node's plan, no debug pod
  icsp resolve IMAGE --registries-conf FILE [--registries-conf-d DIR] [--short-name-mode MODE] [--json]
  icsp resolve IMAGE --policies PATH... [--short-name-mode MODE] [--json]
${DESC}the ordered pull sources, as containers/image computes them
  icsp render --policies PATH... [--layout 4.19|4.13] [--json]
${DESC}the /etc/containers/registries.conf the MCO writes
  icsp render --policies PATH... --policy-json [--json]  the /etc/containers/policy.json the MCO writes (exact bytes)
  icsp evidence LOGFILE|- [--image REF] [--policies PATH... | --registries-conf FILE] [--json]
${DESC}read a 'podman pull --log-level debug' log, a kubelet event
${DESC}or an 'oc describe pod' paste into evidence
  ${STATUS_USAGE}
  icsp what-if --policies CURRENT... --proposed FILE_OR_DIR... [--remove KIND/NAME]...` +
  ` [--images FILE] [--pools FILE] [--json]
  icsp what-if --kubeconfig PATH --proposed FILE_OR_DIR... [--remove KIND/NAME]... [--json]
${DESC}what applying the objects does: MCO verdict, file diff, drain/reboot per pool, rerouted images
  icsp migrate-icsp --policies PATH...                  ImageDigestMirrorSets for the ICSPs, as ` +
  `'oc adm migrate icsp' writes them
  icsp help | --version

A short name (busybox, synology/synology-csi:v1.2.0) is resolved as CRI-O does: an alias, else one candidate per
unqualified-search registry. MODE is the node's short-name mode: enforcing (CRI-O 1.34 default: several candidates
fail the pull), permissive or disabled (try them in order). Without it: the ClusterVersion's release, else disabled.

Exit codes: 0 ok, 1 the pull itself would fail (config, reference, rewrite or render error), 2 bad usage or input.
`;

class UsageError extends Error {}

const COMMON = {
  policies: { type: 'string', multiple: true },
  'registries-conf': { type: 'string' },
  'registries-conf-d': { type: 'string' },
  'short-name-mode': { type: 'string' },
  json: { type: 'boolean', default: false },
  layout: { type: 'string' },
  'policy-json': { type: 'boolean', default: false },
  'policy-json-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  fix: { type: 'boolean', default: false },
  mirror: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

function parse(args: string[]) {
  try {
    return parseArgs({ args: positionalsLast(args, COMMON), options: COMMON, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0] ?? String(e));
  }
}

function write(io: CliIo, stream: 'stdout' | 'stderr', text: string): void {
  io[stream].write(text);
}

function fail(io: CliIo, json: boolean, stage: string, message: string, code: number, hint?: string): number {
  write(io, 'stderr', `icsp: ${foldLines(`${message}${hint !== undefined ? `: ${hint}` : ''}`, 2000)}\n`);
  if (json)
    write(io, 'stdout', JSON.stringify({ error: { stage, message: foldLines(message, 2000) } }, null, 2) + '\n');
  return code;
}

function exitFor(e: EngineError): number {
  return e.stage === 'input' ? EXIT.usage : EXIT.pullFails;
}

type Parsed = ReturnType<typeof parse>;

function oneImage(p: Parsed, command: string): string {
  if (p.positionals.length !== 1)
    throw new UsageError(`${command} takes exactly one IMAGE, got ${p.positionals.length} (see 'icsp help')`);
  return p.positionals[0]!;
}

async function sourceOf(p: Parsed, io: CliIo, command: string) {
  const policies = p.values.policies ?? [];
  const conf = p.values['registries-conf'];
  if (policies.length > 0 && conf !== undefined)
    throw new UsageError(`${command}: give --policies or --registries-conf, not both`);
  if (policies.length === 0 && conf === undefined)
    throw new UsageError(`${command} needs --policies PATH (ICSP/IDMS/ITMS YAML) or --registries-conf FILE`);
  if (p.values['registries-conf-d'] !== undefined && conf === undefined)
    throw new UsageError('--registries-conf-d goes with --registries-conf');
  if (p.values['policy-json-file'] !== undefined && (conf === undefined || command !== 'why'))
    throw new UsageError("--policy-json-file goes with why --registries-conf (a node's own policy.json)");
  const limits = inputLimitsFromEnv(io.env);
  if (conf !== undefined) {
    const nodePolicyFile = p.values['policy-json-file'];
    return {
      conf: await loadRegistriesConfFiles(conf, p.values['registries-conf-d'], limits),
      nodePolicy: nodePolicyFile !== undefined ? await loadNodePolicyJson(nodePolicyFile, limits) : undefined,
    };
  }
  const loaded = await loadPolicyPaths(policies, io.stdin, limits);
  for (const w of loaded.warnings)
    write(
      io,
      'stderr',
      `icsp: warning: ${foldLines(w, 2000)}
`,
    );
  return { policies: loaded.policies };
}

/** --short-name-mode, or undefined (the engine then derives it from the cluster version). */
function modeFlag(p: Parsed): ShortNameModeDecision | undefined {
  const m = p.values['short-name-mode'];
  if (m === undefined) return undefined;
  if (!isShortNameMode(m))
    throw new UsageError(`--short-name-mode must be enforcing, permissive or disabled, got ${JSON.stringify(m)}`);
  return { mode: m as ShortNameMode, source: '--short-name-mode' };
}

async function why(p: Parsed, io: CliIo): Promise<number> {
  const image = oneImage(p, 'why');
  if (p.values.fix && p.values['registries-conf'] !== undefined)
    throw new UsageError(
      '--fix needs --policies (the fix is a change to the policy objects, checked by rendering them)',
    );
  const mode = modeFlag(p);
  // The node parses the name before it reads any configuration: a bad reference is reported first.
  checkPullReference(image);
  const src = await sourceOf(p, io, 'why');
  const { explanation: e } = await planWhy(
    fixedPolicySource('files', { ...src, ...(mode !== undefined ? { shortNameMode: mode } : {}) }),
    image,
  );
  const fix = fixFor(p, image, src.policies, e);
  if (p.values.json)
    write(io, 'stdout', JSON.stringify(fix === undefined ? e : { ...e, fix: fixJson(fix) }, null, 2) + '\n');
  else write(io, 'stdout', formatExplanation(e) + (fix === undefined ? '' : `\n${formatFix(fix, image)}`));
  if (e.error !== null) {
    write(
      io,
      'stderr',
      `icsp: ${foldLines(e.error.message)}${e.advice[0] !== undefined ? ` (${foldLines(e.advice[0])})` : ''}\n`,
    );
    return EXIT.pullFails;
  }
  return e.verdict.code === 'all-blocked' || e.verdict.code === 'rejected-by-policy' ? EXIT.pullFails : EXIT.ok;
}

/** --fix: the manifests that remedy the verdict, proven by the engine (needs the policy objects). */
function fixFor(p: Parsed, image: string, policies: PolicySet | undefined, e: Explanation): FixResult | undefined {
  if (!p.values.fix) {
    if (p.values.mirror !== undefined) throw new UsageError('--mirror goes with --fix');
    return undefined;
  }
  if (policies === undefined)
    throw new UsageError(
      '--fix needs --policies (the fix is a change to the policy objects, checked by rendering them)',
    );
  return proposeFix({
    reference: image,
    policies,
    explanation: e,
    ...(p.values.mirror !== undefined ? { mirror: p.values.mirror } : {}),
  });
}

async function resolveCmd(p: Parsed, io: CliIo): Promise<number> {
  const image = oneImage(p, 'resolve');
  const mode = modeFlag(p);
  checkPullReference(image);
  const src = await sourceOf(p, io, 'resolve');
  const conf = src.conf ?? confFromEntries(renderPolicies(src.policies!).registries);
  const search = searchRegistriesOf(src.policies);
  const cfg =
    src.conf !== undefined
      ? shortNameConfigOf(src.conf)
      : { searchRegistries: search.registries, searchOrigin: search.origin };
  const r = resolvePull(conf, image, cfg, (mode ?? defaultModeDecision(src.policies)).mode);
  if ('error' in r) {
    write(io, 'stderr', `icsp: ${foldLines(r.error.message)}\n`);
    if (p.values.json)
      write(
        io,
        'stdout',
        JSON.stringify({ error: { stage: r.error.stage, message: r.error.message }, shortName: r.shortName }, null, 2) +
          '\n',
      );
    return EXIT.pullFails;
  }
  if (p.values.json) write(io, 'stdout', JSON.stringify(r, null, 2) + '\n');
  else {
    if (r.shortName !== null)
      write(
        io,
        'stdout',
        `short name ${image} (mode ${r.shortName.mode}): candidates ${r.shortName.candidates.join(', ')}\n`,
      );
    write(io, 'stdout', `${r.normalizedReference} (matched ${r.matchedPrefix ?? 'no [[registry]]'}):\n`);
    r.pullSources.forEach((s, i) =>
      write(
        io,
        'stdout',
        `  ${i + 1}. ${s.reference}  ${s.mirror ? 'mirror' : 'source'}${s.insecure ? ' insecure' : ''}` +
          `${s.pullFromMirror ? ` ${s.pullFromMirror}` : ''}${s.blocked ? ` BLOCKED by ${s.blockedBy}` : ''}` +
          `${s.candidate !== undefined && r.shortName !== null ? `  [candidate ${s.candidate}]` : ''}\n`,
      ),
    );
  }
  return EXIT.ok;
}

async function render(p: Parsed, io: CliIo): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError(`render takes no IMAGE (got ${p.positionals[0]})`);
  if ((p.values.policies ?? []).length === 0) throw new UsageError('render needs --policies PATH');
  const layout = p.values.layout ?? '4.19';
  if (layout !== '4.19' && layout !== '4.13')
    throw new UsageError(`--layout must be 4.19 (OCP 4.19+) or 4.13 (OCP 4.13-4.18), got ${layout}`);
  const { policies } = await sourceOf(p, io, 'render');
  if (p.values['policy-json']) {
    if (p.values.layout !== undefined)
      throw new UsageError('--layout applies to registries.conf, not to --policy-json');
    writePolicyJson(policies!, io, p.values.json);
    return EXIT.ok;
  }
  const r = renderPolicies(policies!);
  if (!r.rendered) write(io, 'stderr', `icsp: note: ${r.reason}\n`);
  if (r.payloadFilter?.loggedError)
    write(io, 'stderr', `icsp: note: the MCO logs and skips: ${r.payloadFilter.loggedError}\n`);
  if (p.values.json) {
    write(
      io,
      'stdout',
      JSON.stringify(
        {
          registries: registriesToJson(r.registries),
          rendered: r.rendered,
          ...(r.payloadFilter ? { payloadFilter: r.payloadFilter } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    write(
      io,
      'stdout',
      r.rendered
        ? encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries, layout as RenderLayout)
        : TEMPLATE_REGISTRIES_CONF,
    );
  }
  return EXIT.ok;
}

async function migrate(p: Parsed, io: CliIo): Promise<number> {
  if ((p.values.policies ?? []).length === 0)
    throw new UsageError('migrate-icsp needs --policies PATH with ImageContentSourcePolicy objects');
  const { policies } = await sourceOf(p, io, 'migrate-icsp');
  if (policies!.icsps.length === 0)
    throw new EngineError('input', 'no ImageContentSourcePolicy objects in the given --policies');
  write(io, 'stdout', dumpIdmsYaml(policies!.icsps.map(icspToIdms)));
  return EXIT.ok;
}

type OfflineCommand = 'why' | 'resolve' | 'render' | 'migrate-icsp';
const COMMANDS: Record<OfflineCommand, (p: Parsed, io: CliIo) => Promise<number>> = {
  why,
  resolve: resolveCmd,
  render,
  'migrate-icsp': migrate,
};

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    write(io, command === undefined ? 'stderr' : 'stdout', USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    write(io, 'stdout', '0.1.0\n');
    return EXIT.ok;
  }
  if (command === 'evidence') return evidenceCommand(rest, io);
  // Options are what precedes "--" (after it, "--json" or "--live" would be an IMAGE).
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command === 'why' && options.includes('--live')) return liveWhyCommand(rest, io);
  if (command === 'why' && options.some((a) => a === '--pod' || a.startsWith('--pod='))) return podWhyCommand(rest, io);
  if (command === 'status') return statusCommand(rest, io);
  if (command === 'what-if') return whatIfCommand(rest, io, readWhatIfClusterState);
  const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command as OfflineCommand] : undefined;
  const json = options.includes('--json');
  if (handler === undefined)
    return fail(
      io,
      json,
      'usage',
      `unknown command "${command}" (commands: why, resolve, render, evidence, status, what-if, migrate-icsp, help)`,
      EXIT.usage,
    );
  let image: string | undefined;
  try {
    const p = parse(rest);
    image = p.positionals[0];
    if (p.values.help) {
      write(io, 'stdout', USAGE);
      return EXIT.ok;
    }
    if (p.values['policy-json'] && command !== 'render')
      throw new UsageError(
        `--policy-json goes with render (icsp render --policies PATH --policy-json), not with ${command}`,
      );
    return await handler(p, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputLimitError)
      return fail(io, json, 'usage', `${e.message}`, EXIT.usage);
    if (e instanceof EngineError) {
      // The upstream message stays as is (scripts match on it); the human line also names the bad part.
      const bad = e.stage === 'reference' && image !== undefined ? describeBadPart(image) : undefined;
      return fail(io, json, e.stage, e.message, exitFor(e), bad);
    }
    // No stack trace for users (and none in --json); the message says where to report it.
    const what =
      e instanceof RangeError
        ? 'the input is nested too deeply or too large'
        : e instanceof Error
          ? `${e.name}: ${e.message}`
          : String(e);
    return fail(
      io,
      json,
      'internal',
      `internal error: ${what}; please report this with the input that caused it`,
      EXIT.usage,
    );
  }
}
