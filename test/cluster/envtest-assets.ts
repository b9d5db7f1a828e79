// KUBEBUILDER_ASSETS mode: run the envtest-style `etcd` and `kube-apiserver` binaries from that
// directory instead of building test/controlplane. Certificates come from the openssl CLI, with
// the same layout and kube-apiserver flags as the Go binary (test/controlplane/run.go).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ReadyInfo, StartOptions } from './control-plane.ts';
import { spawnLogged, track, waitFor } from './processes.ts';

// Same as admissionConfig in test/controlplane/run.go: unlabelled namespaces enforce "restricted".
const admissionConfig =
  `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: restricted, enforce-version: latest, audit: restricted, audit-version: latest,` +
  ` warn: restricted, warn-version: latest}
`;

/**
 * Foreign binaries cannot watch their parent: this wrapper stops them when our stdin pipe closes
 * (whatever happened to us): SIGTERM, and SIGKILL 10 s later (kube-apiserver may hang in its
 * shutdown once etcd is gone). Then it deletes $CLEANUP_DIR if set.
 */
const watchParent = [
  '-c',
  'exec 3<&0; "$@" </dev/null & c=$!; trap \'kill -TERM $c 2>/dev/null\' TERM INT; ' +
    '(cat <&3 >/dev/null; kill -TERM $c 2>/dev/null; sleep 10; kill -KILL $c 2>/dev/null) & ' +
    'wait $c; while kill -0 $c 2>/dev/null; do wait $c; done; [ -z "$CLEANUP_DIR" ] || rm -rf "$CLEANUP_DIR"',
  'watch-parent',
];

export async function startFromAssets(
  assets: string,
  dir: string,
  logFile: string,
  opts: StartOptions,
): Promise<{ info: ReadyInfo; children: ChildProcess[] }> {
  const pki = writeCertificates(join(dir, 'pki'));
  const psa = join(dir, 'admission-config.yaml');
  writeFileSync(psa, admissionConfig);
  const [clientPort, peerPort, apiPort] = await freePorts(3);
  const etcdURL = `http://127.0.0.1:${clientPort}`;
  const peerURL = `http://127.0.0.1:${peerPort}`;
  const apiURL = `https://127.0.0.1:${apiPort}`;

  const etcd = track(
    spawnLogged(
      'bash',
      [
        ...watchParent,
        join(assets, 'etcd'),
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdURL}`,
        `--advertise-client-urls=${etcdURL}`,
        `--listen-peer-urls=${peerURL}`,
        `--initial-advertise-peer-urls=${peerURL}`,
        `--initial-cluster=default=${peerURL}`,
        '--unsafe-no-fsync=true',
        '--log-level=error',
      ],
      logFile,
      { CLEANUP_DIR: dir },
    ),
  );
  const apiserver = track(
    spawnLogged(
      'bash',
      [
        ...watchParent,
        join(assets, 'kube-apiserver'),
        `--etcd-servers=${etcdURL}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        '--service-cluster-ip-range=10.0.0.0/24',
        `--service-account-issuer=${apiURL}`,
        `--service-account-key-file=${pki.saKey}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        `--api-audiences=${apiURL}`,
        `--admission-control-config-file=${psa}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--min-request-timeout=${opts.minRequestTimeoutSeconds ?? 1800}`,
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      logFile,
    ),
  );
  const info: ReadyInfo = {
    apiServerURL: apiURL,
    etcdURL,
    caFile: pki.caCert,
    adminCertFile: pki.adminCert,
    adminKeyFile: pki.adminKey,
    kubeletCertFile: pki.kubeletCert,
    kubeletKeyFile: pki.kubeletKey,
    version: '',
  };
  await waitFor(
    async () => (await get(info, '/readyz')).status === 200,
    [etcd, apiserver],
    logFile,
    opts.readyTimeoutMs ?? 120_000,
  );
  info.version = (JSON.parse((await get(info, '/version')).body) as { gitVersion: string }).gitVersion;
  return { info, children: [apiserver, etcd] };
}

function get(info: ReadyInfo, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = request(
      info.apiServerURL + path,
      {
        ca: readFileSync(info.caFile),
        cert: readFileSync(info.adminCertFile),
        key: readFileSync(info.adminKeyFile),
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (body += c))
          .on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', () => done({ status: 0, body: '' }));
    req.end();
  });
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((done) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => done(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

function writeCertificates(d: string) {
  mkdirSync(d, { recursive: true });
  const f = (name: string) => join(d, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ecKey = (out: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out);
  ecKey(f('ca.key'));
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    f('ca.key'),
    '-subj',
    '/CN=icsp-bot-test-ca',
    '-days',
    '7',
    '-out',
    f('ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,digitalSignature',
  );
  const leaf = (name: string, subj: string, ext: string) => {
    ecKey(f(`${name}.key`));
    ssl('req', '-new', '-key', f(`${name}.key`), '-subj', subj, '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.crt`),
    );
  };
  const server = 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n';
  leaf(
    'apiserver',
    '/CN=kube-apiserver',
    `${server}subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,` +
      `DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1\n`,
  );
  leaf(
    'admin',
    '/O=system:masters/CN=icsp-test-admin',
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  leaf('kubelet', '/CN=fake-kubelet', `${server}subjectAltName=DNS:localhost,IP:127.0.0.1\n`);
  ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('sa.key'));
  return {
    caCert: f('ca.crt'),
    servingCert: f('apiserver.crt'),
    servingKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    kubeletCert: f('kubelet.crt'),
    kubeletKey: f('kubelet.key'),
    saKey: f('sa.key'),
  };
}
