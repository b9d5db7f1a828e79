// Wraps a containers/image pull error (podman's final `Error:` text: podman and CRI-O both get it from
// containers/image's copy) the ways CRI-O and the kubelet pass it on. Written from reading the sources, no code
// copied:
// - CRI-O server/image_pull.go: an error that errors.Is ECONNREFUSED becomes "RegistryUnavailable: <err>"; a
//   signature policy error "SignatureValidationFailed: <err>" (internal/storage WrapSignatureCRIErrorIfNeeded);
//   internal/storage/image.go turns the short-name "cannot prompt without a TTY" error into
//   "short name mode is enforcing, but image name X returns ambiguous list".
// - gRPC: the error reaches the kubelet as "rpc error: code = Unknown desc = <err>"; kubelets with the
//   cri-client (k8s.io/cri-client remote_image.go) strip that prefix for code Unknown, older ones keep it.
// - kubelet pkg/kubelet/images/image_manager.go: event reason Failed `Failed to pull image "X": <err>`; waiting
//   message = evalCRIPullErr(err) ("image pull failed for X because the registry is unavailable: ...");
//   back-off: event reason BackOff `Back-off pulling image "X"`, waiting message with the previous error appended
//   (`Back-off pulling image "X": ErrImagePull: <msg>`); inspect errors: reason InspectFailed
//   `Failed to inspect image "X": <err>`. kuberuntime adds a Failed event `Error: <reason>`.

export type KubeletGeneration = 'grpc-prefix' | 'cri-client';

export interface CriError {
  /** What CRI-O returns (before gRPC). */
  crio: string;
  /** The kubelet's waiting reason for a failed pull. */
  reason: 'ErrImagePull' | 'RegistryUnavailable' | 'SignatureValidationFailed';
}

/** CRI-O's own wrapping of the containers/image error. */
export function crioError(podmanError: string, image: string): CriError {
  if (/short-name resolution enforced but cannot prompt without a TTY/.test(podmanError)) {
    return {
      crio: `short name mode is enforcing, but image name ${image} returns ambiguous list`,
      reason: 'ErrImagePull',
    };
  }
  if (/Source image rejected: /.test(podmanError))
    return { crio: `SignatureValidationFailed: ${podmanError}`, reason: 'SignatureValidationFailed' };
  // errors.Is(err, ECONNREFUSED) sees only the %w chain: the primary (last) candidate's error, never the mirrors'
  const mirrors = podmanError.lastIndexOf(']): ');
  const primary = mirrors >= 0 ? podmanError.slice(mirrors) : podmanError;
  if (/connect: connection refused/.test(primary))
    return { crio: `RegistryUnavailable: ${podmanError}`, reason: 'RegistryUnavailable' };
  return { crio: podmanError, reason: 'ErrImagePull' };
}

function grpc(msg: string, gen: KubeletGeneration): string {
  return gen === 'grpc-prefix' ? `rpc error: code = Unknown desc = ${msg}` : msg;
}

/** evalCRIPullErr: the message the kubelet puts into state.waiting.message. */
function waitingMessage(c: CriError, image: string, gen: KubeletGeneration): string {
  const err = grpc(c.crio, gen);
  if (gen === 'cri-client' && c.reason === 'RegistryUnavailable') {
    return (
      `image pull failed for ${image} because the registry is ` +
      `unavailable${err.slice('RegistryUnavailable'.length)}`
    );
  }
  if (gen === 'cri-client' && c.reason === 'SignatureValidationFailed') {
    return (
      `image pull failed for ${image} because the signature validation ` +
      `failed${err.slice('SignatureValidationFailed'.length)}`
    );
  }
  return err;
}

export interface Wrapped {
  /** Event reason Failed, the pull error. */
  failedEvent: string;
  /** Event reason Failed, the container error (`Error: ErrImagePull`). */
  errorEvent: string;
  backOffEvent: string;
  waitingErrImagePull: { reason: string; message: string };
  waitingBackOff: { reason: string; message: string };
}

export function wrapPullError(podmanError: string, image: string, gen: KubeletGeneration): Wrapped {
  const c = crioError(podmanError, image);
  const reason = gen === 'cri-client' ? c.reason : 'ErrImagePull';
  const msg = waitingMessage(c, image, gen);
  return {
    failedEvent: `Failed to pull image "${image}": ${grpc(c.crio, gen)}`,
    errorEvent: `Error: ${reason}`,
    backOffEvent: `Back-off pulling image "${image}"`,
    waitingErrImagePull: { reason, message: msg },
    waitingBackOff: {
      reason: 'ImagePullBackOff',
      message:
        gen === 'cri-client'
          ? `Back-off pulling image "${image}": ${reason}: ${msg}`
          : `Back-off pulling image "${image}"`,
    },
  };
}

/** CRI-O 1.34+: the short-name check also runs on ImageStatus, reported as InspectFailed. */
export function inspectFailedEvent(image: string, gen: KubeletGeneration): string {
  return (
    `Failed to inspect image "${image}": ` +
    `${grpc(`short name mode is enforcing, but image name ${image} returns ambiguous list`, gen)}`
  );
}

export interface PodShape {
  namespace: string;
  name: string;
  node: string;
  container: string;
  image: string;
}

/** `oc describe pod` as kubectl's describe printer lays it out (container state and the Events table). */
export function describePod(p: PodShape, w: Wrapped): string {
  const events: [string, string, string, string][] = [
    ['Normal', 'Scheduled', '2m', `Successfully assigned ${p.namespace}/${p.name} to ${p.node}`],
    ['Normal', 'Pulling', '90s (x3 over 2m)', `Pulling image "${p.image}"`],
    ['Warning', 'Failed', '89s (x3 over 2m)', w.failedEvent],
    ['Warning', 'Failed', '89s (x3 over 2m)', w.errorEvent],
    ['Normal', 'BackOff', '12s (x5 over 2m)', w.backOffEvent],
    ['Warning', 'Failed', '12s (x5 over 2m)', 'Error: ImagePullBackOff'],
  ];
  const rows = events.map(
    ([type, reason, age, msg]) =>
      `  ${type.padEnd(7)}  ${reason.padEnd(9)}  ${age.padEnd(17)}  ${'kubelet'.padEnd(17)}  ${msg}`,
  );
  return [
    `Name:             ${p.name}`,
    `Namespace:        ${p.namespace}`,
    'Priority:         0',
    `Node:             ${p.node}/10.0.0.21`,
    'Start Time:       Sun, 29 Nov 2026 09:12:40 +0000',
    `Labels:           app=${p.container}`,
    'Status:           Pending',
    'IP:               10.128.2.17',
    'Containers:',
    `  ${p.container}:`,
    '    Container ID:   ',
    `    Image:          ${p.image}`,
    '    Image ID:       ',
    '    Port:           8080/TCP',
    '    State:          Waiting',
    `      Reason:       ${w.waitingBackOff.reason}`,
    '    Ready:          False',
    '    Restart Count:  0',
    'Conditions:',
    '  Type              Status',
    '  Initialized       True ',
    '  Ready             False ',
    'Events:',
    '  Type     Reason     Age                From               Message',
    '  ----     ------     ----               ----               -------',
    ...rows,
    '',
  ].join('\n');
}

/** `oc get events -n NS` (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE). */
export function getEvents(p: PodShape, w: Wrapped): string {
  const rows: [string, string, string, string][] = [
    ['2m', 'Normal', 'Scheduled', `Successfully assigned ${p.namespace}/${p.name} to ${p.node}`],
    ['90s', 'Normal', 'Pulling', `Pulling image "${p.image}"`],
    ['89s', 'Warning', 'Failed', w.failedEvent],
    ['89s', 'Warning', 'Failed', w.errorEvent],
    ['12s', 'Normal', 'BackOff', w.backOffEvent],
    ['12s', 'Warning', 'Failed', 'Error: ImagePullBackOff'],
  ];
  const obj = `pod/${p.name}`;
  return [
    `LAST SEEN   TYPE      REASON      OBJECT${' '.repeat(Math.max(1, obj.length - 4))}MESSAGE`,
    ...rows.map(
      ([age, type, reason, msg]) => `${age.padEnd(10)}  ${type.padEnd(8)}  ${reason.padEnd(10)}  ${obj}   ${msg}`,
    ),
    '',
  ].join('\n');
}
