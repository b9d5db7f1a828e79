// `npm run bench`: every benchmark of the repository, each printing figures at two sizes and the ratio.
// Each *-bench.ts besides the engine's runs in its own process so memory figures are its own.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEngineBench } from './engine-bench.ts';

const here = dirname(fileURLToPath(import.meta.url));
let failed = false;

console.log('== engine (resolve, render)');
const engine = runEngineBench();
for (const l of engine.lines) console.log(`  ${l}`);
if (!engine.ok) {
  console.log('  FAIL: over a limit');
  failed = true;
}

for (const f of readdirSync(here)
  .filter((n) => n.endsWith('-bench.ts') && n !== 'engine-bench.ts')
  .sort()) {
  console.log(`== ${f.replace('-bench.ts', '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
