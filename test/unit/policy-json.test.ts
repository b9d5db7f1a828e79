// policy.json as the MCO renders it (updatePolicyJSON) and as containers/image evaluates it
// (requirementsForImageRef). Golden files in test/fixtures/policy-json were written by Go's encoder (gen.go).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/domain/engine-error.ts';
import { evaluatePolicy, familiarString, policyNamespaces } from '../../src/domain/policy-eval.ts';
import {
  goJsonString,
  marshalIndentGo,
  policyJsonText,
  renderPolicyJson,
  TEMPLATE_POLICY_JSON,
} from '../../src/domain/policy-json.ts';
import type { PolicyJson } from '../../src/domain/policy-json.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { parsePullReference } from '../../src/domain/reference.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import type { RegistrySources } from '../../src/types/openshift.ts';
import { repoRoot } from '../helpers/shared-dir.ts';

const golden = (name: string): string =>
  readFileSync(join(repoRoot, 'test/fixtures/policy-json', `${name}.json`), 'utf8');

function policies(sources: RegistrySources | undefined, extra: Partial<PolicySet> = {}): PolicySet {
  return {
    icsps: [],
    idms: [],
    itms: [],
    ...(sources !== undefined
      ? {
          image: {
            apiVersion: 'config.openshift.io/v1',
            kind: 'Image',
            metadata: { name: 'cluster' },
            spec: { registrySources: sources },
          },
        }
      : {}),
    ...extra,
  } as PolicySet;
}

/** The MCO's order: registries.conf first (payload filter, its validation), then policy.json. */
function render(p: PolicySet) {
  const r = renderPolicyJson(p, renderPolicies(p).payloadFilter);
  return { ...r, text: policyJsonText(r) };
}

const RELEASE = 'quay.io/openshift-release-dev/ocp-release@sha256:' + 'a'.repeat(64);
const payloadMirror = {
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name: 'payload' },
  spec: {
    imageDigestMirrors: [
      { source: 'quay.io/openshift-release-dev/ocp-release', mirrors: ['mirror.local/ocp/release'] },
    ],
  },
};

describe('renderPolicyJson: what the MCO writes', () => {
  it('keeps the template, byte for byte, when neither list is set', () => {
    for (const s of [
      undefined,
      {},
      { insecureRegistries: ['x.example'] },
      { allowedRegistries: [], blockedRegistries: [] },
    ]) {
      const r = render(policies(s));
      expect(r.rendered).toBe(false);
      expect(r.text).toBe(TEMPLATE_POLICY_JSON);
      expect(r.text.endsWith('}')).toBe(true);
      expect(JSON.parse(r.text)).toEqual(r.policy);
    }
  });

  const cases: Array<{ name: string; sources: RegistrySources; golden: string }> = [
    {
      name: 'allowedRegistries: default reject, each entry accepted, 3+ slashes not in atomic',
      sources: {
        allowedRegistries: ['quay.io/myorg', 'registry.example.com:5000', '*.corp.example', 'a.example/b/c/d'],
      },
      golden: 'allowed',
    },
    {
      name: 'blockedRegistries: default accept, each entry rejected',
      sources: { blockedRegistries: ['block.com', '*.blocked-example.com', 'docker.io/library/busybox'] },
      golden: 'blocked',
    },
    {
      name: 'HTML-safe escaping and byte-order keys as Go writes them',
      sources: {
        allowedRegistries: ['a<b>&c.example', 'z.example/\u2028x', 'b.example/tab\there', 'é.example', 'Z.example'],
      },
      golden: 'escaping',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = render(policies(c.sources));
      expect(r.rendered).toBe(true);
      expect(r.text).toBe(golden(c.golden));
    });
  }

  it('blocking the payload registry behind a mirror: quay.io rejected, only the release repository accepted', () => {
    const p = policies({ blockedRegistries: ['quay.io'] }, {
      releaseImage: RELEASE,
      idms: [payloadMirror],
    } as Partial<PolicySet>);
    const r = render(p);
    expect(r.inputs).toEqual({ allowed: ['quay.io/openshift-release-dev/ocp-release'], blocked: ['quay.io'] });
    expect(r.text).toBe(golden('payload-mirror'));
    // component images of the payload live in another repository: still rejected
    expect(
      evaluatePolicy(
        r.policy,
        parsePullReference('quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:' + 'b'.repeat(64)),
      ).allowed,
    ).toBe(false);
    expect(evaluatePolicy(r.policy, parsePullReference(RELEASE)).allowed).toBe(true);
  });

  it('blocking the payload registry without a mirror: dropped from both files, policy.json stays the template', () => {
    const r = render(policies({ blockedRegistries: ['quay.io'] }, { releaseImage: RELEASE }));
    expect(r.rendered).toBe(false);
    expect(r.text).toBe(TEMPLATE_POLICY_JSON);
  });

  const refusals: Array<[string, PolicySet, string]> = [
    [
      'both lists',
      policies({ allowedRegistries: ['a.example'], blockedRegistries: ['b.example'] }),
      'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
    ],
    [
      'both lists, with a release image',
      policies({ allowedRegistries: ['a.example'], blockedRegistries: ['b.example'] }, { releaseImage: RELEASE }),
      'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
    ],
    [
      'user allowedRegistries next to a blocked payload registry with a mirror',
      policies({ allowedRegistries: ['a.example'], blockedRegistries: ['quay.io'] }, {
        releaseImage: RELEASE,
        idms: [payloadMirror],
      } as Partial<PolicySet>),
      'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
    ],
    [
      'the release repository blocked twice: allowed gets it twice',
      policies({ blockedRegistries: ['quay.io', 'quay.io/openshift-release-dev/ocp-release'] }, {
        releaseImage: RELEASE,
        idms: [payloadMirror],
      } as Partial<PolicySet>),
      'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
    ],
    [
      'a wildcard with a path in allowedRegistries',
      policies({ allowedRegistries: ['*.example.com/x'] }),
      'invalid entry for allowed registries "*.example.com/x"',
    ],
    [
      'a bare wildcard in allowedRegistries',
      policies({ allowedRegistries: ['foo*'] }),
      'invalid entry for allowed registries "foo*"',
    ],
  ];
  for (const [name, p, message] of refusals) {
    it(`refuses: ${name}`, () => {
      let err: unknown;
      try {
        render(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).stage).toBe('render');
      expect((err as EngineError).message).toBe(message);
    });
  }
});

describe('the Go encoder', () => {
  it('escapes as encoding/json does', () => {
    expect(goJsonString('a<b>&"\\\n\r\t\b\f\u0001\u2028\u2029é')).toBe(
      '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u2028\\u2029é"',
    );
  });
  it('writes empty maps and lists like MarshalIndent', () => {
    expect(marshalIndentGo({ default: [], transports: {} })).toBe('{\n  "default": [],\n  "transports": {}\n}');
  });
});

describe('evaluatePolicy: the scope that decides (most specific first)', () => {
  const accept = [{ type: 'insecureAcceptAnything' as const }];
  const reject = [{ type: 'reject' as const }];
  const allowOnly = (...scopes: string[]): PolicyJson => ({
    default: reject,
    transports: { docker: Object.fromEntries(scopes.map((s) => [s, accept])) },
  });
  const table: Array<[string, PolicyJson, string, string | null, boolean]> = [
    ['host covers every repository', allowOnly('quay.io'), 'quay.io/a/b:1', 'quay.io', true],
    ['repository scope', allowOnly('quay.io/myorg'), 'quay.io/myorg/app:1', 'quay.io/myorg', true],
    ['whole path components only', allowOnly('quay.io/myorg'), 'quay.io/myorgx/app:1', null, false],
    [
      'host without port does not cover host:port',
      allowOnly('registry.example.com'),
      'registry.example.com:5000/a:1',
      null,
      false,
    ],
    [
      'host:port scope',
      allowOnly('registry.example.com:5000'),
      'registry.example.com:5000/a:1',
      'registry.example.com:5000',
      true,
    ],
    ['wildcard covers a subdomain', allowOnly('*.corp.example'), 'a.b.corp.example/x:1', '*.corp.example', true],
    [
      'wildcard covers a subdomain with a port (port stripped)',
      allowOnly('*.corp.example'),
      'a.corp.example:8443/x:1',
      '*.corp.example',
      true,
    ],
    ['wildcard does not cover the domain itself', allowOnly('*.corp.example'), 'corp.example/x:1', null, false],
    ['exact identity with tag', allowOnly('quay.io/a/b:1'), 'quay.io/a/b:1', 'quay.io/a/b:1', true],
    ['exact identity with another tag misses', allowOnly('quay.io/a/b:1'), 'quay.io/a/b:2', null, false],
    [
      'normalised names: busybox is docker.io/library/busybox',
      allowOnly('docker.io/library'),
      'busybox',
      'docker.io/library',
      true,
    ],
    ['docker.io scope covers a short name', allowOnly('docker.io'), 'nginx:1.27', 'docker.io', true],
    [
      'most specific wins: repository reject beats host accept',
      { default: accept, transports: { docker: { 'quay.io': accept, 'quay.io/bad': reject } } },
      'quay.io/bad/x:1',
      'quay.io/bad',
      false,
    ],
    [
      'most specific wins: repository accept beats host reject',
      { default: accept, transports: { docker: { 'quay.io': reject, 'quay.io/ok/x': accept } } },
      'quay.io/ok/x:1',
      'quay.io/ok/x',
      true,
    ],
    [
      'transport default "" before the global default',
      { default: reject, transports: { docker: { '': accept } } },
      'a.example/x:1',
      '',
      true,
    ],
    [
      'no docker transport: global default',
      { default: reject, transports: { 'docker-daemon': { '': accept } } },
      'a.example/x:1',
      null,
      false,
    ],
    [
      'atomic scopes do not apply to docker pulls',
      { default: reject, transports: { atomic: { 'a.example': accept } } },
      'a.example/x:1',
      null,
      false,
    ],
  ];
  for (const [name, policy, ref, scope, allowed] of table) {
    it(name, () => {
      const d = evaluatePolicy(policy, parsePullReference(ref));
      expect(d.scope).toBe(scope);
      expect(d.allowed).toBe(allowed);
      expect(d.message === null).toBe(allowed);
    });
  }

  it('namespaces in containers/image order', () => {
    expect(policyNamespaces(parsePullReference('a.eu.corp.example:5000/ns/app:1'))).toEqual([
      'a.eu.corp.example:5000/ns/app',
      'a.eu.corp.example:5000/ns',
      'a.eu.corp.example:5000',
      '*.eu.corp.example',
      '*.corp.example',
      '*.example',
    ]);
  });

  it('the rejection message uses the familiar name', () => {
    const d = evaluatePolicy(allowOnly('quay.io'), parsePullReference('busybox'));
    expect(d.message).toBe('Running image docker://busybox:latest is rejected by policy.');
    expect(familiarString(parsePullReference('docker.io/library/a/b:1'))).toBe('library/a/b:1');
    expect(familiarString(parsePullReference('myorg/app@sha256:' + 'c'.repeat(64)))).toBe(
      `myorg/app@sha256:${'c'.repeat(64)}`,
    );
  });

  it('an empty requirement list is refused', () => {
    const d = evaluatePolicy({ default: [], transports: {} }, parsePullReference('a.example/x:1'));
    expect(d.allowed).toBe(false);
    expect(d.message).toBe('List of verification policy requirements must not be empty');
  });
});
