// Regenerates test/fixtures/podman-lab/policy-* from real podman: `sudo npm run -s lab:capture-policy` (root,
// the lab's Debian packages; see lab.ts). Each folder holds the policy objects, the registries.conf and
// policy.json the engine renders from them as the MCO would, the exact command, podman's verbatim output and
// its exit code. test/unit/evidence/policy-lab-fixtures.test.ts reads them where podman is not available.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { Lab } from './lab.ts';
import { nodeFiles, POLICY_SCENARIOS, scenarioPolicies } from './policy-scenarios.ts';

const OUT = join(import.meta.dirname, '..', 'fixtures', 'podman-lab');

const lab = await Lab.start();
try {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'image-digest.txt'), `${lab.digest}\n`);
  for (const s of POLICY_SCENARIOS) {
    const dir = join(OUT, s.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const p = scenarioPolicies(s);
    const files = nodeFiles(p);
    const ref = s.ref(lab.digest);
    const r = await lab.podmanPullNodeFiles(s.name, files, ref);
    writeFileSync(
      join(dir, 'policies.yaml'),
      [p.image, ...p.idms].map((o) => dump(o, { lineWidth: -1 })).join('---\n'),
    );
    writeFileSync(join(dir, 'registries.conf'), files.registriesConf);
    writeFileSync(join(dir, 'policy.json'), files.policyJson);
    writeFileSync(
      join(dir, 'command.txt'),
      `CONTAINERS_REGISTRIES_CONF=${r.registriesConf} ${r.command.join(' ')}\n# ` +
        `/etc/containers/policy.json = policy.json (this folder); ${s.title}\n`,
    );
    writeFileSync(join(dir, 'output.log'), readFileSync(r.logFile));
    writeFileSync(join(dir, 'outcome.json'), `${JSON.stringify({ image: ref, exitCode: r.exitCode }, null, 2)}\n`);
    process.stdout.write(`${s.name}: exit ${r.exitCode}\n`);
  }
} finally {
  await lab.stop();
}
