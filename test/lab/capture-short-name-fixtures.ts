// Regenerates test/fixtures/podman-lab/short-name-* from real podman: `sudo npm run -s lab:capture-short-names`
// (root, the lab's Debian packages; see lab.ts). Each folder holds the registries.conf podman read, the exact
// command, podman's verbatim output and its exit code. test/unit/evidence/short-name-lab-fixtures.test.ts reads
// them where podman is not available.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from './lab.ts';
import { SHORT_NAME_SCENARIOS } from './short-name-scenarios.ts';

const OUT = join(import.meta.dirname, '..', 'fixtures', 'podman-lab');

const lab = await Lab.start();
try {
  mkdirSync(OUT, { recursive: true });
  for (const s of SHORT_NAME_SCENARIOS) {
    const dir = join(OUT, s.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const r = await lab.podmanPullConf(s.name, s.conf, s.ref);
    writeFileSync(join(dir, 'registries.conf'), s.conf);
    writeFileSync(
      join(dir, 'command.txt'),
      `CONTAINERS_REGISTRIES_CONF=${r.registriesConf} ${r.command.join(' ')}\n# ${s.title}\n`,
    );
    writeFileSync(join(dir, 'output.log'), readFileSync(r.logFile));
    writeFileSync(join(dir, 'outcome.json'), `${JSON.stringify({ image: s.ref, exitCode: r.exitCode }, null, 2)}\n`);
    process.stdout.write(`${s.name}: exit ${r.exitCode}\n`);
  }
} finally {
  await lab.stop();
}
