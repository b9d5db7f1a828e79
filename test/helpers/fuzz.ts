// A small seeded fuzzer for the fuzz tests: a reproducible PRNG (mulberry32), mutations of valid samples and random
// values, and a time-bounded loop that names the seed and the case on failure. Re-run one failure with
// ICSP_FUZZ_SEED=<seed>. (No dependency: shrinking, fast-check's strength, matters less than speed here.)

export class Rng {
  private s: number;
  readonly seed: number;
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.s = this.seed;
  }
  /** [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  string(alphabet: string, max: number): string {
    let s = '';
    for (let i = this.int(max + 1); i > 0; i--) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

export function fuzzSeed(): number {
  const fromEnv = process.env['ICSP_FUZZ_SEED'];
  // Fixed by default so a CI run is repeatable; ICSP_FUZZ_SEED=<n> (or =random) explores other inputs.
  if (fromEnv === 'random') return (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : 20261129;
}

const SPECIAL = '&*!|>-:{}[],#\'"\n \t?%@`\\\u0000\u001b\u202e\u00e9\ud83d\ude00=.\r/';

/** Byte- and line-level mutations of a valid sample: what an edited, truncated or hostile file looks like. */
export function mutate(r: Rng, text: string, rounds = 1 + r.int(6)): string {
  let s = text;
  for (let k = 0; k < rounds; k++) {
    const at = r.int(s.length + 1);
    switch (r.int(9)) {
      case 0:
        s = s.slice(0, at) + r.string(SPECIAL, 4) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(20));
        break;
      case 2:
        s = s.slice(0, at) + r.pick(SPECIAL.split('')) + s.slice(at + 1);
        break;
      case 3: {
        const lines = s.split('\n');
        const i = r.int(lines.length);
        lines.splice(i, 0, ...Array.from({ length: 1 + r.int(3) }, () => lines[i] ?? ''));
        s = lines.join('\n');
        break;
      }
      case 4: {
        const lines = s.split('\n');
        lines.splice(r.int(lines.length), 1 + r.int(3));
        s = lines.join('\n');
        break;
      }
      case 5:
        s = s.slice(0, at);
        break;
      case 6:
        s =
          s.slice(0, at) +
          r.pick([
            ' &a ',
            ' *a',
            ' !!binary ',
            ' ~',
            ' null',
            ' []',
            ' {}',
            ' 1e999',
            ' -',
            ' ---\n',
            '\n...\n',
            ' !!str ',
            ' <<: *a',
          ]) +
          s.slice(at);
        break;
      case 7:
        s = s.slice(0, at) + s.slice(r.int(s.length), r.int(s.length)) + s.slice(at);
        break;
      default:
        s = s.replace(
          /: [^\n]*/,
          r.pick([': null', ': []', ': {}', ': 5', ': true', ': ""', ': [1, [2]]', ': {a: {b: c}}']),
        );
    }
  }
  return s;
}

/** A random JSON-ish value, biased toward the shapes of Kubernetes objects. */
export function randomValue(r: Rng, depth = 0): unknown {
  const kinds = [
    'ImageContentSourcePolicy',
    'ImageDigestMirrorSet',
    'ImageTagMirrorSet',
    'Image',
    'ClusterVersion',
    'List',
    'Other',
  ];
  switch (depth > 4 ? r.int(5) : r.int(9)) {
    case 0:
      return null;
    case 1:
      return r.int(3) === 0 ? -r.int(1e6) : r.int(1e6);
    case 2:
      return r.chance(0.5);
    case 3:
      return r.string('abcdefghij.-/:@_0123456789', 20);
    case 4:
      return r.pick([
        '',
        'quay.io/a/b',
        'cluster',
        'version',
        'NeverContactSource',
        'AllowContactingSource',
        'sha256:x',
      ]);
    case 5:
    case 6:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = [
        'apiVersion',
        'kind',
        'metadata',
        'spec',
        'items',
        'name',
        'source',
        'mirrors',
        'mirrorSourcePolicy',
        'repositoryDigestMirrors',
        'imageDigestMirrors',
        'imageTagMirrors',
        'registrySources',
        'blockedRegistries',
        'allowedRegistries',
        'insecureRegistries',
        'status',
        'desired',
        'image',
      ];
      for (let i = r.int(5); i > 0; i--) o[r.pick(keys)] = randomValue(r, depth + 1);
      if (depth === 0 || r.chance(0.3)) {
        o['kind'] = r.pick(kinds);
        o['apiVersion'] = r.pick(['operator.openshift.io/v1alpha1', 'config.openshift.io/v1', 'v1']);
      }
      return o;
    }
  }
}

export interface FuzzFailure {
  seed: number;
  iteration: number;
  input: string;
  problem: string;
}

/** Runs `one` with fresh cases until the time budget is spent; returns the number of cases run. */
export async function fuzzFor(
  budgetMs: number,
  seed: number,
  one: (r: Rng, iteration: number) => Promise<void>,
): Promise<number> {
  const r = new Rng(seed);
  const end = performance.now() + budgetMs;
  let i = 0;
  for (; performance.now() < end; i++) await one(r, i);
  return i;
}

/** Races a promise against a deadline: a hang becomes a failure that names the case. */
export async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`hang: ${what} did not finish within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const GROUPS: Record<string, string> = {
  ImageContentSourcePolicy: 'operator.openshift.io/v1alpha1',
  ImageDigestMirrorSet: 'config.openshift.io/v1',
  ImageTagMirrorSet: 'config.openshift.io/v1',
  Image: 'config.openshift.io/v1',
  ClusterVersion: 'config.openshift.io/v1',
};

/** A valid policy object of a random kind with one to three fields replaced by random values or removed. */
export function nearValidObject(r: Rng): Record<string, unknown> {
  const kind = r.pick(Object.keys(GROUPS));
  const rules = [{ source: 'quay.io/a', mirrors: ['m.example.com/a'], mirrorSourcePolicy: 'AllowContactingSource' }];
  const spec: Record<string, unknown> =
    kind === 'ImageContentSourcePolicy'
      ? { repositoryDigestMirrors: [{ source: 'quay.io/a', mirrors: ['m.example.com/a'] }] }
      : kind === 'ImageDigestMirrorSet'
        ? { imageDigestMirrors: rules }
        : kind === 'ImageTagMirrorSet'
          ? { imageTagMirrors: rules }
          : kind === 'Image'
            ? { registrySources: { blockedRegistries: ['b.example.com'], insecureRegistries: ['m.example.com'] } }
            : {};
  const o: Record<string, unknown> = {
    apiVersion: GROUPS[kind],
    kind,
    metadata: { name: kind === 'Image' ? 'cluster' : kind === 'ClusterVersion' ? 'version' : 'x' },
    spec,
  };
  if (kind === 'ClusterVersion')
    o['status'] = { desired: { image: 'quay.io/openshift-release-dev/ocp-release@sha256:' + 'a'.repeat(64) } };
  // Paths into the object; one to three of them get a random value (or disappear).
  const paths: string[][] = [
    ['spec'],
    ['metadata'],
    ['metadata', 'name'],
    ['status'],
    ['status', 'desired'],
    ['status', 'desired', 'image'],
  ];
  for (const k of Object.keys(spec)) {
    paths.push(['spec', k]);
    const v = spec[k];
    if (Array.isArray(v))
      paths.push(
        ['spec', k, '0'],
        ['spec', k, '0', 'source'],
        ['spec', k, '0', 'mirrors'],
        ['spec', k, '0', 'mirrors', '0'],
        ['spec', k, '0', 'mirrorSourcePolicy'],
      );
    else
      paths.push(
        ['spec', k, 'blockedRegistries'],
        ['spec', k, 'blockedRegistries', '0'],
        ['spec', k, 'allowedRegistries'],
      );
  }
  for (let n = 1 + r.int(3); n > 0; n--) {
    const path = r.pick(paths);
    let at: unknown = o;
    for (const p of path.slice(0, -1))
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[p] : undefined;
    if (typeof at !== 'object' || at === null) continue;
    const last = path.at(-1)!;
    if (r.chance(0.2)) delete (at as Record<string, unknown>)[last];
    else (at as Record<string, unknown>)[last] = randomValue(r, 3);
  }
  return o;
}
