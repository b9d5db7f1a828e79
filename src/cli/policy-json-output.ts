// `icsp render --policies PATH --policy-json`: /etc/containers/policy.json exactly as the MCO writes it (the bytes,
// with no trailing newline, as json.MarshalIndent leaves them; the template when image.config sets neither list).
// The MCO renders registries.conf first: its refusals come first here too, and either refusal means no file.
import { policyJsonText, renderPolicyJson } from '../domain/policy-json.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { renderPolicies } from '../domain/render.ts';
import type { CliIo } from './io.ts';

export function writePolicyJson(policies: PolicySet, io: CliIo, json: boolean): void {
  const registries = renderPolicies(policies);
  const r = renderPolicyJson(policies, registries.payloadFilter);
  if (!r.rendered) io.stderr.write(`icsp: note: ${r.reason}\n`);
  if (registries.payloadFilter?.loggedError)
    io.stderr.write(`icsp: note: the MCO logs and skips: ${registries.payloadFilter.loggedError}\n`);
  if (json)
    io.stdout.write(
      JSON.stringify(
        {
          path: '/etc/containers/policy.json',
          rendered: r.rendered,
          policy: r.policy,
          inputs: r.inputs,
          text: policyJsonText(r),
        },
        null,
        2,
      ) + '\n',
    );
  else io.stdout.write(policyJsonText(r));
}
