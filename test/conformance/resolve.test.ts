// Every case of test/conformance/vectors/resolve.json (the repository's byte-for-byte copy of ../shared/conformance).
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/domain/engine-error.ts';
import { refMatchingPrefix } from '../../src/domain/prefix-match.ts';
import { parseLocation, parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { RegistryIndex, resolve, rewriteReference } from '../../src/domain/resolve.ts';
import { readVectors } from '../helpers/shared-dir.ts';

interface ResolveCase {
  name: string;
  registriesConf: string;
  registriesConfD?: Array<{ name: string; toml: string }>;
  reference: string;
  expected?: unknown;
  expectedError?: { stage: string; contains: string };
}
interface Vectors {
  cases: ResolveCase[];
  prefixMatchCases: Array<{ ref: string; prefix: string; expectedMatchLength: number }>;
  rewriteCases: Array<{
    reference: string;
    prefix: string;
    location: string;
    expected?: string;
    expectedError?: boolean;
    messageFromThisPort?: string;
  }>;
  parseLocationCases: Array<{ input: string; expected?: string; expectedError?: string }>;
  findRegistryCases: Array<{ ref: string; matched: { prefix: string; location: string } | null }>;
}

const v = readVectors<Vectors>('resolve.json');

function run(c: ResolveCase): unknown {
  const conf = parseRegistriesConf(c.registriesConf, c.registriesConfD ?? []);
  return resolve(conf, c.reference);
}

describe('resolve.json cases', () => {
  it('has cases to run', () => expect(v.cases.length).toBeGreaterThan(50));
  for (const c of v.cases) {
    it(c.name, () => {
      if (c.expectedError !== undefined) {
        let err: unknown;
        try {
          run(c);
        } catch (e) {
          err = e;
        }
        expect(err, 'expected an error').toBeInstanceOf(EngineError);
        expect((err as EngineError).stage).toBe(c.expectedError.stage);
        expect((err as EngineError).message).toContain(c.expectedError.contains);
      } else {
        expect(run(c)).toEqual(c.expected);
      }
    });
  }
});

describe('resolve.json prefixMatchCases', () => {
  for (const c of v.prefixMatchCases) {
    it(`${c.ref} ~ ${c.prefix}`, () => expect(refMatchingPrefix(c.ref, c.prefix)).toBe(c.expectedMatchLength));
  }
});

describe('resolve.json rewriteCases', () => {
  for (const c of v.rewriteCases) {
    it(`${c.reference} [${c.prefix} -> ${c.location}]`, () => {
      if (c.expectedError === true) {
        expect(() => rewriteReference(c.reference, c.prefix, c.location)).toThrow(c.messageFromThisPort ?? '');
      } else {
        expect(rewriteReference(c.reference, c.prefix, c.location)).toBe(c.expected);
      }
    });
  }
});

describe('resolve.json parseLocationCases', () => {
  for (const c of v.parseLocationCases) {
    it(c.input, () => {
      if (c.expectedError !== undefined) expect(() => parseLocation(c.input)).toThrow(c.expectedError);
      else expect(parseLocation(c.input)).toBe(c.expected);
    });
  }
});

describe('resolve.json findRegistryCases', () => {
  const find = v.cases.filter((c) => c.name.startsWith('find-registry:'));
  it('has the find-registry configuration', () => expect(find.length).toBeGreaterThan(0));
  const first = find[0]!;
  const index = new RegistryIndex(parseRegistriesConf(first.registriesConf, first.registriesConfD ?? []));
  for (const c of v.findRegistryCases) {
    it(c.ref, () => {
      const reg = index.find(c.ref);
      expect(reg === undefined ? null : { prefix: reg.prefix, location: reg.location }).toEqual(c.matched);
    });
  }
});
