// A fake-kubelet behaviour that really runs the debug pod's command: the bot's pod says
// `chroot /host /bin/bash -c CHECK_SCRIPT icsp-check IMAGE`; here "/host" is the podman lab's network and mount
// namespace (test/lab/lab.ts: real registries with TLS, real podman, the lab's /etc/containers), and each
// node's /etc/containers/registries.conf is a file the test writes, bind-mounted over the lab's one in a
// private mount namespace for that one run. Everything after `chroot /host` is executed exactly as the pod
// spec has it: the image reference arrives as its own argv element, as on a node.
import { spawn } from 'node:child_process';
import type { Lab } from '../lab/lab.ts';
import type { PodBehaviour } from './fake-kubelet.ts';

/** `nodeConf(node)` is the path of the file that plays the node's /etc/containers/registries.conf. */
export function podmanBehaviour(
  lab: Lab,
  nodeConf: (node: string) => string,
  ran?: (node: string, argv: string[]) => void,
): PodBehaviour {
  return ({ pod, container, signal, started, write }) =>
    new Promise((resolve) => {
      const cmd = container.command ?? [];
      if (cmd[0] !== 'chroot' || cmd[1] !== '/host' || cmd.length < 3) {
        resolve({ logs: `podman behaviour: not a node check command: ${JSON.stringify(cmd)}\n`, exitCode: 127 });
        return;
      }
      const node = pod.spec?.nodeName ?? '';
      const hostArgv = cmd.slice(2);
      ran?.(node, hostArgv);
      // Fixed wrapper text; the node's file and the pod's argv are arguments, never script text.
      const wrapper = [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$0" /etc/containers/registries.conf && exec "$@" 2>&1',
        nodeConf(node),
        ...hostArgv,
      ];
      const proc = spawn('nsenter', lab.nsArgs(wrapper), { stdio: ['ignore', 'pipe', 'pipe'] });
      started();
      proc.stdout.on('data', (b: Buffer) => write(b.toString()));
      proc.stderr.on('data', (b: Buffer) => write(b.toString()));
      const kill = (): void => {
        proc.kill('SIGKILL');
      };
      signal.addEventListener('abort', kill, { once: true });
      proc.on('close', (code, sig) => {
        signal.removeEventListener('abort', kill);
        resolve({ exitCode: code ?? (sig !== null ? 137 : 1) });
      });
    });
}
