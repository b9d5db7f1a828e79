// The layer rule of docs/architecture.md on the real import graph of src/: every folder is in the table, every
// import follows it, the folder graph has no circle, and ESLint fails on an upward import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { folderOf, importProblem, LAYERS, layersPlugin } from '../../eslint/layers.js';

const root = path.resolve(import.meta.dirname, '../..');
const srcDir = path.join(root, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_RE)].map((m) => (m[1] ?? m[2])!);
}

/** A circle in a directed graph, or null. */
function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

describe('layers (docs/architecture.md)', () => {
  const files = walk(srcDir);

  it('reads the real source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf(path.join(srcDir, 'main.ts')).length).toBeGreaterThan(5);
  });

  it('puts every file of src/ in a folder of the layer table', () => {
    const unknown = files
      .map((f) => folderOf(f, srcDir))
      .filter((f) => f === '' || f === null || LAYERS[f] === undefined);
    expect(unknown, 'add the folder to eslint/layers.js and docs/architecture.md').toEqual([]);
  });

  it('has no import that breaks the table', () => {
    const problems = files.flatMap((f) =>
      importsOf(f)
        .map((s) => importProblem(f, s, srcDir))
        .filter((p) => p !== null)
        .map((p) => `${path.relative(root, f)}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('has no circle between folders, neither in the table nor in the code', () => {
    const table = new Map(Object.entries(LAYERS).map(([k, v]) => [k, new Set(v.may)]));
    expect(findCycle(table)).toBeNull();
    const code = new Map<string, Set<string>>();
    for (const f of files) {
      const from = folderOf(f, srcDir)!;
      for (const s of importsOf(f).filter((x) => x.startsWith('.'))) {
        const to = folderOf(path.resolve(path.dirname(f), s), srcDir);
        if (to === null || to === from) continue;
        if (!code.has(from)) code.set(from, new Set());
        code.get(from)!.add(to);
      }
    }
    expect(findCycle(code)).toBeNull();
    // The check itself can fail: a circle is found when one exists.
    expect(
      findCycle(
        new Map([
          ['cluster', new Set(['rollout'])],
          ['rollout', new Set(['cluster'])],
        ]),
      ),
    ).toEqual(['cluster', 'rollout', 'cluster']);
  });

  it('fails lint on an upward import and on I/O in the domain', async () => {
    // The project's ESLint config applies the rule to src/ ...
    const config = (await new ESLint({ cwd: root }).calculateConfigForFile(
      path.join(srcDir, 'domain', 'explain.ts'),
    )) as { rules: Record<string, unknown> };
    expect(config.rules['layers/imports']).toEqual([2]);
    // ... and the rule reports an upward import and I/O in the domain (linted without the type-aware program, which
    // only knows files on disk).
    const linter = new Linter({ cwd: root });
    const messages = linter.verify(
      "import type { LiveChecker } from '../ports/live-check.ts';\nimport { readFileSync } from " +
        "'node:fs';\nexport type X = LiveChecker;\nexport const y = readFileSync;\n",
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { layers: layersPlugin },
          rules: { 'layers/imports': 'error' },
        },
      ],
      { filename: path.join(srcDir, 'domain', 'upward.ts') },
    );
    expect(messages.map((m) => m.message)).toEqual([
      expect.stringContaining('src/domain (domain) may not import src/ports'),
      expect.stringContaining("may not use 'node:fs'"),
    ]);
  });
});
