// The MCO's tolerance of a failed release-payload check (machine-config-operator main
// pkg/controller/container-runtime-config/helpers.go getValidBlockedAndAllowedRegistries and
// payloadRepoHasUnblockedMirror; container_runtime_config_controller.go syncImageConfig, "if err != nil && err !=
// errParsingReference { klog.V(2).Infof("%v, skipping....", err) }"): when the temporary registries.conf it builds to
// find the payload's mirrors cannot be built or resolved, the function returns no blocked and no allowed registries,
// the controller logs the error at V(2) and renders everything else. Only a release image that does not parse fails
// the sync. The same code is on release-4.13 through release-4.21 and main.

/** The answer's warning: what was dropped, why, and where the only trace is. */
export function mcoDroppedBlockedMessage(error: string, blocked: readonly string[]): string {
  const list = blocked.length > 0 ? blocked.join(', ') : '(none)';
  return (
    `The MCO's release-payload check failed (${error}). The MCO does not stop: it logs "${error}, skipping...." ` +
    `(machine-config-controller, verbosity 2) and renders without any image.config blockedRegistries, so ${list} ` +
    (`${blocked.length === 1 ? 'is' : 'are'} NOT blocked on the nodes ` +
      `(allowedRegistries are dropped from policy.json too). `) +
    ('Fix the mirror set that breaks the check (a wildcard source over a blocked host, or a ' +
      'mirror that does not map the payload repository to a full repository path).')
  );
}
