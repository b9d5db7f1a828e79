// Reads policy objects and registries.conf files from disk or stdin for the CLI (and the bot's offline mode).
import { readdir, stat } from 'node:fs/promises';
import { parseNodePolicyJson } from '../domain/policy-json-parse.ts';
import type { PolicyJson } from '../domain/policy-json.ts';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../domain/engine-error.ts';
import { ByteBudget, readFileBounded, readStreamBounded } from './bounded-read.ts';
import { DEFAULT_INPUT_LIMITS } from './input-limits.ts';
import type { InputLimits } from './input-limits.ts';
import { buildPolicySet, parsePolicyDocuments } from '../domain/policy-documents.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { parseRegistriesConf } from '../domain/registries-conf.ts';
import type { ConfFile, RegistriesConf } from '../domain/registries-conf.ts';
import type { PolicyObject } from '../types/openshift.ts';

const POLICY_EXTENSIONS = /\.(ya?ml|json)$/i;

/** A file to read: `regularOnly` for what a directory holds (a FIFO there must not block the command). */
interface InputFile {
  path: string;
  regularOnly: boolean;
}

/**
 * Files of a --policies argument: the file itself, or a directory's YAML/JSON files (recursively, in name order).
 * In a directory only regular files count (symbolic links to them too); FIFOs, sockets and devices are skipped with
 * a warning. Directory loops through symbolic links are not followed twice.
 */
async function expand(path: string, warnings: string[], depth = 0, visited = new Set<string>()): Promise<InputFile[]> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new EngineError('input', `${path}: no such file or directory`);
  }
  if (!s.isDirectory()) return [{ path, regularOnly: depth > 0 }];
  const id = `${s.dev}:${s.ino}`;
  if (visited.has(id) || depth > 32) {
    warnings.push(`${path}: skipped: directory already read (a symbolic-link loop?) or nested too deeply`);
    return [];
  }
  visited.add(id);
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: InputFile[] = [];
  for (const e of entries) {
    const p = join(path, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const t = await stat(p).catch(() => undefined);
      isDir = t?.isDirectory() ?? false;
      isFile = t?.isFile() ?? false;
    }
    if (isDir) {
      for (const f of await expand(p, warnings, depth + 1, visited)) out.push(f);
    } else if (POLICY_EXTENSIONS.test(e.name)) {
      if (isFile) out.push({ path: p, regularOnly: true });
      else warnings.push(`${p}: skipped: not a regular file (a FIFO, socket or device)`);
    }
  }
  return out;
}

export interface LoadedPolicies {
  policies: PolicySet;
  objects: PolicyObject[];
  warnings: string[];
}

/** Loads every --policies PATH ("-" reads stdin once), within the input limits. */
export async function loadPolicyPaths(
  paths: readonly string[],
  stdin: Readable,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): Promise<LoadedPolicies> {
  const objects: PolicyObject[] = [];
  const warnings: string[] = [];
  const budget = new ByteBudget(limits.maxInputBytes);
  for (const p of paths) {
    const files = p === '-' ? [{ path: '-', regularOnly: false }] : await expand(p, warnings);
    if (files.length === 0) warnings.push(`${p}: no .yaml, .yml or .json files in this directory`);
    for (const f of files) {
      const text =
        f.path === '-'
          ? await readStreamBounded(stdin, '<stdin>', budget)
          : await readFileBounded(f.path, budget, f.regularOnly);
      const parsed = parsePolicyDocuments(text, f.path === '-' ? '<stdin>' : f.path, limits);
      // A loop, not push(...spread): a file of 330k documents would exceed the argument limit.
      for (const o of parsed.objects) objects.push(o);
      for (const w of parsed.warnings) warnings.push(w);
    }
  }
  return { policies: buildPolicySet(objects, warnings), objects, warnings };
}

/**
 * Loads a registries.conf and its drop-in directory (*.conf in name order), as containers/image does. Regular files
 * only.
 */
export async function loadRegistriesConfFiles(
  main: string,
  dropInDir?: string,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): Promise<RegistriesConf> {
  const budget = new ByteBudget(limits.maxInputBytes);
  const text = await readFileBounded(main, budget, true);
  const dropIns: ConfFile[] = [];
  if (dropInDir !== undefined) {
    let names: string[];
    try {
      names = (await readdir(dropInDir, { withFileTypes: true }))
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.conf'))
        .map((e) => e.name);
    } catch {
      throw new EngineError('input', `${dropInDir}: cannot read the drop-in directory`);
    }
    for (const n of names.sort())
      dropIns.push({ name: join(dropInDir, n), toml: await readFileBounded(join(dropInDir, n), budget, true) });
  }
  return parseRegistriesConf(text, dropIns, main);
}

/** A node's /etc/containers/policy.json (why --registries-conf ... --policy-json-file FILE). */
export async function loadNodePolicyJson(
  path: string,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): Promise<{ path: string; policy: PolicyJson }> {
  return {
    path,
    policy: parseNodePolicyJson(await readFileBounded(path, new ByteBudget(limits.maxInputBytes), true), path),
  };
}
