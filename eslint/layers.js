// The layer rule of docs/architecture.md, as data and as an ESLint rule ("layers/imports"). Every folder under
// src/ has an entry saying which other src/ folders it may import; the inner layers also list the packages they may
// use. Imports run inward only (domain <- ports <- use cases <- adapters <- composition roots) and the `may`
// relation has no circle (test/unit/architecture.test.ts checks both on the real import graph).
import path from 'node:path';

/**
 * folder under src/ -> { may: src/ folders it may import (besides itself), packages: allowed packages (absent:
 * any) }. `main` is the file src/main.ts.
 * @type {Record<string, { layer: string, may: string[], packages?: string[] }>}
 */
/** What a composition root may wire: every layer but the CLI's. */
const ROOTS_MAY = [
  'app',
  'rollout',
  'files',
  'cluster',
  'observability',
  'runtime',
  'slack',
  'settings',
  'ports',
  'domain',
  'types',
];

export const LAYERS = {
  types: { layer: 'domain', may: [], packages: [] },
  domain: { layer: 'domain', may: ['types'], packages: ['js-yaml', 'smol-toml', 'node:crypto', 'node:zlib'] },
  ports: { layer: 'ports', may: ['domain', 'types'], packages: ['pino'] },
  settings: { layer: 'ports', may: [], packages: [] },
  app: { layer: 'use cases', may: ['ports', 'domain', 'types'], packages: [] },
  rollout: { layer: 'use cases', may: ['ports', 'domain', 'types'], packages: [] },
  // the Node process itself (V8's heap), for the adapters and their worker threads
  runtime: { layer: 'adapters', may: [], packages: ['node:inspector/promises'] },
  files: { layer: 'adapters', may: ['settings', 'ports', 'domain', 'types'] },
  cluster: { layer: 'adapters', may: ['runtime', 'settings', 'ports', 'domain', 'types'] },
  observability: { layer: 'adapters', may: ['settings', 'ports', 'domain', 'types'] },
  slack: { layer: 'adapters', may: ['runtime', 'app', 'settings', 'ports', 'domain', 'types'] },
  cli: {
    layer: 'adapters (and the CLI entry)',
    may: ['app', 'rollout', 'files', 'cluster', 'observability', 'runtime', 'settings', 'ports', 'domain', 'types'],
  },
  composition: { layer: 'composition roots', may: ROOTS_MAY },
  main: { layer: 'composition roots', may: ['composition', ...ROOTS_MAY] },
};

/**
 * The src/ folder a file belongs to ('main' for src/main.ts), '' for a file directly in src/ that is not main.ts, null
 * outside src/.
 */
export function folderOf(file, srcDir) {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0] === 'main.ts' ? 'main' : '';
  return parts[0];
}

/** Why `fromFolder` may not import `spec` (resolved against `fromFile`), or null when it may. */
export function importProblem(fromFile, spec, srcDir) {
  const from = folderOf(fromFile, srcDir);
  if (from === null) return null;
  if (from === '' || LAYERS[from] === undefined) {
    return (
      `src/${from || path.basename(fromFile)} is in no layer: put the file in a ` +
      `folder listed in eslint/layers.js and docs/architecture.md`
    );
  }
  const rule = LAYERS[from];
  if (spec.startsWith('.')) {
    const to = folderOf(path.resolve(path.dirname(fromFile), spec), srcDir);
    if (to === null || to === from) return null;
    if (rule.may.includes(to)) return null;
    const allowed = rule.may.length ? rule.may.map((f) => `src/${f}`).join(', ') : 'nothing outside its folder';
    return (
      `src/${from} (${rule.layer}) may not import src/${to === 'main' ? 'main.ts' : to}: ` +
      `it may import ${allowed} (docs/architecture.md)`
    );
  }
  if (rule.packages === undefined) return null;
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  if (rule.packages.includes(pkg) || rule.packages.includes(spec)) return null;
  return (
    `src/${from} (${rule.layer}) may not use '${spec}': it stays free of I/O and frameworks ` +
    `(allowed: ${rule.packages.join(', ') || 'none'}; docs/architecture.md)`
  );
}

/** @type {import('eslint').ESLint.Plugin} */
export const layersPlugin = {
  rules: {
    imports: {
      meta: { type: 'problem', docs: { description: 'imports follow the layers of docs/architecture.md' }, schema: [] },
      create(context) {
        const srcDir = path.join(context.cwd, 'src');
        const check = (node, source) => {
          if (source === null || source === undefined || source.type !== 'Literal' || typeof source.value !== 'string')
            return;
          const problem = importProblem(context.filename, source.value, srcDir);
          if (problem !== null) context.report({ node: source, message: problem });
        };
        return {
          ImportDeclaration: (n) => check(n, n.source),
          ExportNamedDeclaration: (n) => check(n, n.source),
          ExportAllDeclaration: (n) => check(n, n.source),
          ImportExpression: (n) => check(n, n.source),
        };
      },
    },
  },
};
