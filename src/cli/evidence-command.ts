// `icsp evidence LOGFILE|- [--image REF] [--registries-conf FILE] [--json]`: reads a podman/skopeo debug log
// (or CRI-O journal lines, or what the kubelet said: an event, a waiting message, `oc describe pod`), says which
// candidates were tried, which one served, why the others failed, and whether that matches the plan the engine predicts
// from the node's registries.conf.
import { ByteBudget, readFileBounded } from '../files/bounded-read.ts';
import { inputLimitsFromEnv, InputLimitError } from '../files/input-limits.ts';
import type { InputLimits } from '../files/input-limits.ts';
import { readEvidenceFromFile, readEvidenceFromStream } from '../files/log-lines.ts';
import type { ReadEvidence } from '../files/log-lines.ts';
import { EngineError } from '../domain/engine-error.ts';
import { toEvidenceJson } from '../domain/evidence/evidence-json.ts';
import { renderEvidenceText } from '../domain/evidence/evidence-text.ts';
import { judgeEvidence } from '../domain/evidence/evidence-verdict.ts';
import type { PullEvidence } from '../domain/evidence/evidence-types.ts';
import type { ResolveResult } from '../domain/pull-source.ts';
import { parsePullReference, refString } from '../domain/reference.ts';
import { confFromEntries, parseRegistriesConf } from '../domain/registries-conf.ts';
import { renderPolicies } from '../domain/render.ts';
import { loadPolicyPaths } from '../files/policy-files.ts';
import type { RegistriesConf } from '../domain/registries-conf.ts';
import { resolve } from '../domain/resolve.ts';
import { EXIT } from './io.ts';
import type { CliIo } from './io.ts';
import { foldLines, messageOf } from '../domain/error-text.ts';

const USAGE = 'usage: icsp evidence LOGFILE|- [--image REF] [--policies PATH... | --registries-conf FILE] [--json]';

interface EvidenceArgs {
  log: string;
  image: string | null;
  registriesConf: string | null;
  policies: string[];
  json: boolean;
}

function parseArgs(args: string[]): EvidenceArgs | string {
  let log: string | null = null;
  let image: string | null = null;
  let registriesConf: string | null = null;
  const policies: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    // An option's value is the next word, unless that word is another option (`--policies --json`): then the
    // value is missing, as node's parseArgs says for the other commands (`--policies=--x` names such a file).
    const value = (): string | null => {
      const v = args[i + 1];
      if (v !== undefined && v.startsWith('--')) return null;
      i++;
      return v === undefined || v === '' ? null : v;
    };
    if (a === '--json') json = true;
    else if (a === '--image') {
      image = value();
      if (image === null) return '--image needs a reference';
    } else if (a.startsWith('--image=')) image = a.slice('--image='.length);
    else if (a === '--registries-conf') {
      registriesConf = value();
      if (registriesConf === null) return '--registries-conf needs a file';
    } else if (a.startsWith('--registries-conf=')) registriesConf = a.slice('--registries-conf='.length);
    else if (a === '--policies') {
      const v = value();
      if (v === null) return '--policies needs a PATH';
      policies.push(v);
    } else if (a.startsWith('--policies=')) policies.push(a.slice('--policies='.length));
    else if (a === '-h' || a === '--help') return USAGE;
    else if (a === '--') {
      // Everything after "--" is positional (a log file whose name begins with "-").
      for (const rest of args.slice(i + 1)) {
        if (log === null) log = rest;
        else return `unexpected argument ${rest}`;
      }
      break;
    } else if (a.startsWith('--')) return `unknown option ${a}`;
    else if (log === null) log = a;
    else return `unexpected argument ${a}`;
  }
  if (log === null) return 'missing LOGFILE (use - for stdin)';
  if (policies.length > 0 && registriesConf !== null) return 'give --policies or --registries-conf, not both';
  if (policies.includes('-') && log === '-') return 'stdin can carry the log or the policies, not both';
  return { log, image, registriesConf, policies, json };
}

/** The reference to plan for: --image, else the log's own; a bare name borrows the tag/digest the walk used. */
function planReference(image: string | null, e: PullEvidence): string | null {
  const ref = image ?? e.logicalReference;
  if (ref === null) return null;
  const lastSlash = ref.lastIndexOf('/');
  const hasTagOrDigest = ref.includes('@') || ref.indexOf(':', lastSlash + 1) >= 0;
  const first = e.attempts[0]?.reference;
  if (hasTagOrDigest || first === undefined) return ref;
  const m = /(@[^@/]+|:[^:/@]+)$/.exec(first);
  return m !== null ? ref + (m[1] ?? '') : ref;
}

/** One line on stderr and, with --json, the same {"error": {stage, message}} object as the other commands. */
function fail(io: CliIo, json: boolean, stage: string, message: string, code: number): number {
  const line = foldLines(message, 2000);
  io.stderr.write(`icsp evidence: ${line}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: { stage, message: line } }, null, 2)}\n`);
  return code;
}

export async function evidenceCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    if (parsed === USAGE) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    io.stderr.write(`icsp evidence: ${foldLines(parsed, 2000)} (${USAGE})\n`);
    if (args.includes('--json'))
      io.stdout.write(`${JSON.stringify({ error: { stage: 'usage', message: foldLines(parsed, 2000) } }, null, 2)}\n`);
    return EXIT.usage;
  }
  const asJson = parsed.json;
  let limits: InputLimits;
  try {
    limits = inputLimitsFromEnv(io.env);
  } catch (err) {
    if (!(err instanceof InputLimitError)) throw err;
    return fail(io, asJson, 'usage', err.message, EXIT.usage);
  }

  if (parsed.image !== null) {
    try {
      parsed.image = refString(parsePullReference(parsed.image));
    } catch (err) {
      return fail(io, asJson, 'reference', `--image ${parsed.image}: ${messageOf(err)}`, EXIT.usage);
    }
  }

  let conf: RegistriesConf | null = null;
  if (parsed.registriesConf !== null) {
    try {
      const text = await readFileBounded(parsed.registriesConf, new ByteBudget(limits.maxInputBytes), true);
      conf = parseRegistriesConf(text, [], parsed.registriesConf);
    } catch (err) {
      const m = messageOf(err);
      return fail(
        io,
        asJson,
        err instanceof EngineError ? err.stage : 'input',
        m.startsWith(parsed.registriesConf) ? m : `${parsed.registriesConf}: ${m}`,
        EXIT.usage,
      );
    }
  }

  if (parsed.policies.length > 0) {
    // The plan a node would follow once the policies are rendered by the MCO.
    try {
      const loaded = await loadPolicyPaths(parsed.policies, io.stdin, limits);
      for (const w of loaded.warnings) io.stderr.write(`icsp evidence: warning: ${foldLines(w, 2000)}\n`);
      conf = confFromEntries(renderPolicies(loaded.policies).registries);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      return fail(io, asJson, err.stage, err.message, err.stage === 'render' ? EXIT.pullFails : EXIT.usage);
    }
  }

  let read: ReadEvidence;
  try {
    read =
      parsed.log === '-'
        ? await readEvidenceFromStream(io.stdin, parsed.image)
        : await readEvidenceFromFile(parsed.log, parsed.image);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : messageOf(err);
    return fail(io, asJson, 'input', `${parsed.log}: ${why}`, EXIT.usage);
  }
  const e = read.evidence;

  let plan: ResolveResult | null = null;
  const planNotes: string[] = [];
  const ref = planReference(parsed.image, e);
  if (conf !== null) {
    if (ref === null) planNotes.push('no plan: the log does not name the image; pass --image REF');
    else {
      try {
        plan = resolve(conf, ref);
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        planNotes.push(
          err.stage === 'reference'
            ? `no plan: ${ref} is not a valid pull reference (${err.message}); pass --image REF`
            : `the engine predicts that this pull fails before any registry is contacted: ${err.message}`,
        );
      }
    }
  }

  const judgement = judgeEvidence(e, plan, { image: parsed.image !== null ? ref : null });
  judgement.verdict.details.push(...planNotes);
  const json = toEvidenceJson({
    evidence: e,
    judgement,
    plan,
    image: ref,
    bytes: read.bytes,
    truncatedLines: read.truncatedLines,
    event: read.event,
  });
  io.stdout.write(parsed.json ? `${JSON.stringify(json, null, 2)}\n` : renderEvidenceText(json));
  return json.verdict.code === 'all-failed' || json.verdict.code === 'rejected-by-policy' ? EXIT.pullFails : EXIT.ok;
}
