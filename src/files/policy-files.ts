// Reads policy objects and registries.conf files from disk or stdin for the CLI (and the bot's offline mode).
import { readdir, readFile, stat } from 'node:fs/promises';
import { parseNodePolicyJson } from '../domain/policy-json-parse.ts';
import type { PolicyJson } from '../domain/policy-json.ts';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../domain/engine-error.ts';
import { buildPolicySet, parsePolicyDocuments } from '../domain/policy-documents.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { parseRegistriesConf } from '../domain/registries-conf.ts';
import type { ConfFile, RegistriesConf } from '../domain/registries-conf.ts';
import type { PolicyObject } from '../types/openshift.ts';

const POLICY_EXTENSIONS = /\.(ya?ml|json)$/i;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError('input', `${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(e)}`);
  }
}

/** Files of a --policies argument: the file itself, or a directory's YAML/JSON files (recursively, in name order). */
async function expand(path: string): Promise<string[]> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new EngineError('input', `${path}: no such file or directory`);
  }
  if (!s.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await expand(p)));
    else if (POLICY_EXTENSIONS.test(e.name)) out.push(p);
  }
  return out;
}

export interface LoadedPolicies {
  policies: PolicySet;
  objects: PolicyObject[];
  warnings: string[];
}

/** Loads every --policies PATH ("-" reads stdin once). */
export async function loadPolicyPaths(paths: readonly string[], stdin: Readable): Promise<LoadedPolicies> {
  const objects: PolicyObject[] = [];
  const warnings: string[] = [];
  for (const p of paths) {
    const files = p === '-' ? ['-'] : await expand(p);
    if (files.length === 0) warnings.push(`${p}: no .yaml, .yml or .json files in this directory`);
    for (const f of files) {
      const text = f === '-' ? await readAll(stdin) : await readText(f);
      const parsed = parsePolicyDocuments(text, f === '-' ? '<stdin>' : f);
      objects.push(...parsed.objects);
      warnings.push(...parsed.warnings);
    }
  }
  return { policies: buildPolicySet(objects, warnings), objects, warnings };
}

/** Loads a registries.conf and its drop-in directory (*.conf in name order), as containers/image does. */
export async function loadRegistriesConfFiles(main: string, dropInDir?: string): Promise<RegistriesConf> {
  const text = await readText(main);
  const dropIns: ConfFile[] = [];
  if (dropInDir !== undefined) {
    let names: string[];
    try {
      names = (await readdir(dropInDir, { withFileTypes: true })).filter((e) => !e.isDirectory() && e.name.endsWith('.conf')).map((e) => e.name);
    } catch {
      throw new EngineError('input', `${dropInDir}: cannot read the drop-in directory`);
    }
    for (const n of names.sort()) dropIns.push({ name: join(dropInDir, n), toml: await readText(join(dropInDir, n)) });
  }
  return parseRegistriesConf(text, dropIns, main);
}

/** A node's /etc/containers/policy.json (why --registries-conf ... --policy-json-file FILE). */
export async function loadNodePolicyJson(path: string): Promise<{ path: string; policy: PolicyJson }> {
  return { path, policy: parseNodePolicyJson(await readText(path), path) };
}
