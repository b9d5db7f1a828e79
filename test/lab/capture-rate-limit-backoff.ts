// Regenerates test/fixtures/podman-lab/rate-limited-backoff-* from real podman: `sudo npm run -s
// lab:capture-rate-limit` (root, the lab's Debian packages; see lab.ts). The lab's 429 stand-in
// (rate-limited-registry.ts) answers every manifest request with 429 TOOMANYREQUESTS and *no* Retry-After header,
// as Docker Hub's limit does, so containers/image backs off between its 5 attempts per request (2, 4, 8, 16 s) and
// podman repeats a walk whose last candidate was rate-limited (3 retries, 1 s apart). That takes ~30 s for a mirror
// and ~2 minutes for a source, too slow for every lab run: the lab test (event-corpus.lab.test.ts) uses
// Retry-After: 0 and these captures keep the real back-off. Each folder: registries.conf, command.txt, output.log
// (verbatim), registry-side.log (the stand-in's requests with their times) and outcome.json (exit code, seconds).
// The -html / -harbor / -ping captures use the stand-in's other modes (rate-limited-registry.ts MODES): a 429 with
// nginx's HTML page (Quay), Harbor's JSON, a 429 on the /v2/ ping. Arguments: capture only the named folders.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER, Lab, MRATE, SRC } from './lab.ts';
import type { RateLimitMode } from './rate-limited-registry.ts';

const OUT = join(import.meta.dirname, '..', 'fixtures', 'podman-lab');

const lab = await Lab.start();
lab.captureTimeoutMs = 300_000;
try {
  const mirrorConf =
    `\n[[registry]]\n  prefix = ""\n  location = "${SRC}/repo"\n  blocked = true\n\n` +
    `  [[registry.mirror]]\n    location = "${MRATE}/mirror/repo"\n    pull-from-mirror = "digest-only"\n`;
  const sourceRef = `${MRATE}/library/exampleimage:latest`;
  const all: { name: string; title: string; conf: string; ref: string; mode?: RateLimitMode }[] = [
    {
      name: 'rate-limited-backoff-mirror',
      title:
        'digest pull; the IDMS mirror answers 429 without Retry-After; ' + 'the source is blocked (NeverContactSource)',
      conf:
        `\n[[registry]]\n  prefix = ""\n  location = "${SRC}/repo"\n  blocked = true\n\n` +
        `  [[registry.mirror]]\n    location = "${MRATE}/mirror/repo"\n    pull-from-mirror = "digest-only"\n`,
      ref: `${SRC}/repo/exampleimage@${lab.digest}`,
    },
    {
      name: 'rate-limited-backoff-source',
      title: 'tag pull, no mirror; the source answers 429 without Retry-After',
      conf: '',
      ref: `${MRATE}/library/exampleimage:latest`,
    },
    {
      name: 'rate-limited-backoff-html-source',
      title: "tag pull, no mirror; the source answers manifests with 429 and nginx's HTML page (Quay's nginx)",
      conf: '',
      ref: sourceRef,
      mode: 'manifest-html',
    },
    {
      name: 'rate-limited-backoff-harbor-source',
      title: "tag pull, no mirror; the source (a Harbor proxy cache) answers manifests with 429 and Harbor's JSON",
      conf: '',
      ref: sourceRef,
      mode: 'manifest-harbor',
    },
    {
      name: 'rate-limited-backoff-ping-source',
      title: 'tag pull, no mirror; the source answers every request, /v2/ and /v1/_ping included, with 429',
      conf: '',
      ref: sourceRef,
      mode: 'all-json',
    },
    {
      name: 'rate-limited-backoff-ping-v1-source',
      title: "tag pull, no mirror; /v2/ answers 429 with nginx's HTML page, /v1/_ping 200 (Quay's nginx)",
      conf: '',
      ref: sourceRef,
      mode: 'ping-html',
    },
    {
      name: 'rate-limited-backoff-ping-mirror',
      title: 'digest pull; the IDMS mirror answers every request with 429, the /v2/ ping included; source blocked',
      conf: mirrorConf,
      ref: `${SRC}/repo/exampleimage@${lab.digest}`,
      mode: 'all-json',
    },
  ];
  const only = process.argv.slice(2);
  const scenarios = only.length > 0 ? all.filter((s) => only.includes(s.name)) : all;
  for (const s of scenarios) {
    const dir = join(OUT, s.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const requests = await lab.startRateLimited(null, s.mode);
    const started = Date.now();
    const r = await lab.podmanPull(s.name, s.conf, s.ref);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    writeFileSync(join(dir, 'registries.conf'), HEADER + s.conf);
    writeFileSync(
      join(dir, 'command.txt'),
      `CONTAINERS_REGISTRIES_CONF=${r.registriesConf} ${r.command.join(' ')}\n# ${s.title}\n`,
    );
    writeFileSync(join(dir, 'output.log'), r.log);
    writeFileSync(join(dir, 'registry-side.log'), readFileSync(requests));
    writeFileSync(
      join(dir, 'outcome.json'),
      `${JSON.stringify({ image: s.ref, exitCode: r.exitCode, seconds, mode: s.mode ?? 'manifest-json' }, null, 2)}\n`,
    );
    process.stdout.write(`${s.name}: exit ${r.exitCode} after ${seconds} s\n`);
  }
} finally {
  await lab.stop();
}
