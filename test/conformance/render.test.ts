// Every case of test/conformance/vectors/render.json (the repository's byte-for-byte copy of ../shared/conformance).
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/domain/engine-error.ts';
import { editRegistriesConfig, mirrorsAdjustedForNestedScope } from '../../src/domain/edit-registries.ts';
import { mirrorsContainsARealMirror } from '../../src/domain/mirror-sets.ts';
import { applyPayloadFilter } from '../../src/domain/payload-filter.ts';
import { mirrorSetInputs } from '../../src/domain/mirror-sets.ts';
import { renderPolicies, TEMPLATE_SEARCH_REGISTRIES } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { registriesToJson } from '../../src/domain/registries-json.ts';
import { isValidRegistriesConfScope, scopeIsNestedInsideScope } from '../../src/domain/scope.ts';
import { TopoGraph } from '../../src/domain/topo-sort.ts';
import { icspToIdms, dumpIdmsYaml } from '../../src/domain/icsp-migration.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import type {
  ImageConfig,
  ImageContentSourcePolicy,
  ImageDigestMirrorSet,
  ImageTagMirrorSet,
} from '../../src/types/openshift.ts';
import { readVectors } from '../helpers/shared-dir.ts';

interface RenderCase {
  name: string;
  icsps: ImageContentSourcePolicy[];
  idms: ImageDigestMirrorSet[];
  itms: ImageTagMirrorSet[];
  imageConfig?: ImageConfig;
  releaseImage?: string;
  expected?: { registries: unknown; toml: string; payloadFilter?: unknown; mcoValidationError?: string };
  expectedError?: { contains: string };
}
interface PayloadExpected {
  registriesBlocked?: unknown;
  policyBlocked?: unknown;
  allowedForPolicy?: unknown;
  errorLogged: boolean;
  loggedErrorThisPort?: string | null;
  /** Cases where upstream asserts less: what this port computes, and what must not be blocked. */
  computed?: {
    registriesBlocked: unknown;
    policyBlocked: unknown;
    allowedForPolicy: unknown;
    loggedError: string | null;
  };
  registriesBlockedMustNotContain?: string;
}
interface Vectors {
  cases: RenderCase[];
  payloadBlockCases: Array<{
    name: string;
    releaseImage: string;
    imageConfig: ImageConfig;
    idms: ImageDigestMirrorSet[];
    expected: PayloadExpected;
  }>;
  topoCases: Array<{ source: string; edges: Array<[string, string]>; expected: string[] }>;
  scopeNestingCases: Array<{ subScope: string; superScope: string; expected: boolean }>;
  scopeValidityCases: Array<{ scope: string; expected: boolean }>;
  realMirrorCases: Array<{ sourceRepo: string; mirrors: string[]; expected: boolean }>;
  nestedScopeAdjustCases: Array<{
    mirroredScope: string;
    subScope: string;
    mirrors: string[];
    expected?: string[];
    expectedError?: boolean;
  }>;
  icspToIdmsMigrationCases: Array<{ source: string; icsps?: ImageContentSourcePolicy[]; expectedYaml?: string }>;
}

const v = readVectors<Vectors>('render.json');

function policySet(c: RenderCase): PolicySet {
  const p: PolicySet = { icsps: c.icsps, idms: c.idms, itms: c.itms };
  if (c.imageConfig !== undefined) p.image = c.imageConfig;
  if (c.releaseImage !== undefined) p.releaseImage = c.releaseImage;
  return p;
}

describe('render.json cases', () => {
  it('has cases to run', () => expect(v.cases.length).toBeGreaterThan(30));
  for (const c of v.cases) {
    it(c.name, () => {
      if (c.expectedError !== undefined) {
        let err: unknown;
        try {
          renderPolicies(policySet(c));
        } catch (e) {
          err = e;
        }
        expect(err, 'expected the MCO to refuse this configuration').toBeInstanceOf(EngineError);
        expect((err as EngineError).stage).toBe('render');
        expect((err as EngineError).message).toContain(c.expectedError.contains);
        return;
      }
      const exp = c.expected!;
      if (exp.mcoValidationError !== undefined) {
        // Upstream tested EditRegistriesConfig directly; the full MCO pipeline refuses this input.
        expect(() => renderPolicies(policySet(c))).toThrow(exp.mcoValidationError);
        const { digest, tag } = mirrorSetInputs(policySet(c));
        const rs = c.imageConfig?.spec.registrySources ?? {};
        const regs = editRegistriesConfig(rs.insecureRegistries ?? [], rs.blockedRegistries ?? [], digest, tag);
        expect(registriesToJson(regs)).toEqual(exp.registries);
        expect(encodeRegistriesConf(TEMPLATE_SEARCH_REGISTRIES, regs)).toBe(exp.toml);
        return;
      }
      const r = renderPolicies(policySet(c));
      expect(registriesToJson(r.registries)).toEqual(c.expected!.registries);
      expect(encodeRegistriesConf(r.unqualifiedSearchRegistries, r.registries)).toBe(c.expected!.toml);
      if (c.expected!.payloadFilter !== undefined) expect(r.payloadFilter).toEqual(c.expected!.payloadFilter);
    });
  }
});

describe('render.json payloadBlockCases', () => {
  for (const c of v.payloadBlockCases) {
    it(c.name, () => {
      const rs = c.imageConfig.spec.registrySources ?? {};
      const p: PolicySet = { icsps: [], idms: c.idms, itms: [] };
      const r = applyPayloadFilter(
        c.releaseImage,
        rs.insecureRegistries ?? [],
        rs.blockedRegistries ?? [],
        rs.allowedRegistries ?? [],
        mirrorSetInputs(p).digest,
      );
      const e = c.expected;
      expect(r.loggedError !== null).toBe(e.errorLogged);
      if (e.registriesBlockedMustNotContain !== undefined)
        expect(r.registriesBlocked ?? []).not.toContain(e.registriesBlockedMustNotContain);
      if (e.computed !== undefined) {
        expect(r).toEqual(e.computed);
      } else {
        expect(r).toEqual({
          registriesBlocked: e.registriesBlocked,
          policyBlocked: e.policyBlocked,
          allowedForPolicy: e.allowedForPolicy,
          loggedError: e.loggedErrorThisPort,
        });
      }
    });
  }
});

describe('render.json topoCases (every rotation of the edge list)', () => {
  for (const c of v.topoCases) {
    it(c.source, () => {
      const n = Math.max(1, c.edges.length);
      for (let rot = 0; rot < n; rot++) {
        const g = new TopoGraph();
        for (const [a, b] of [...c.edges.slice(rot), ...c.edges.slice(0, rot)]) g.addEdge(a, b);
        expect(g.sorted()).toEqual(c.expected);
      }
    });
  }
});

describe('render.json scope tables', () => {
  for (const c of v.scopeNestingCases) {
    it(`nested ${c.subScope} in ${c.superScope}`, () =>
      expect(scopeIsNestedInsideScope(c.subScope, c.superScope)).toBe(c.expected));
  }
  for (const c of v.scopeValidityCases) {
    it(`valid scope ${JSON.stringify(c.scope)}`, () => expect(isValidRegistriesConfScope(c.scope)).toBe(c.expected));
  }
  for (const c of v.realMirrorCases) {
    it(`real mirror ${c.sourceRepo} [${c.mirrors.join(',')}]`, () =>
      expect(mirrorsContainsARealMirror(c.sourceRepo, c.mirrors)).toBe(c.expected));
  }
  for (const c of v.nestedScopeAdjustCases) {
    it(`adjust ${c.mirroredScope} -> ${c.subScope}`, () => {
      if (c.expectedError === true)
        expect(() => mirrorsAdjustedForNestedScope(c.mirroredScope, c.subScope, c.mirrors)).toThrow(EngineError);
      else expect(mirrorsAdjustedForNestedScope(c.mirroredScope, c.subScope, c.mirrors)).toEqual(c.expected);
    });
  }
});

describe('render.json icspToIdmsMigrationCases', () => {
  for (const c of v.icspToIdmsMigrationCases) {
    it(c.source, () => {
      const icsps = c.icsps ?? [
        {
          apiVersion: 'operator.openshift.io/v1alpha1',
          kind: 'ImageContentSourcePolicy',
          metadata: { name: 'a' },
          spec: { repositoryDigestMirrors: [{ source: 's.example.com', mirrors: ['m.example.com'] }] },
        },
        {
          apiVersion: 'operator.openshift.io/v1alpha1',
          kind: 'ImageContentSourcePolicy',
          metadata: { name: 'b' },
          spec: { repositoryDigestMirrors: [{ source: 't.example.com', mirrors: ['n.example.com'] }] },
        },
      ];
      const out = dumpIdmsYaml(icsps.map(icspToIdms));
      if (c.expectedYaml !== undefined) expect(out).toBe(c.expectedYaml);
      else {
        // The case without a table: one document per ICSP, joined by "---", no mirrorSourcePolicy.
        expect(out.split('---\n')).toHaveLength(icsps.length);
        expect(out).not.toContain('mirrorSourcePolicy');
      }
    });
  }
});
