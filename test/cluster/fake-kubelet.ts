// A fake kubelet for the cluster tests. It registers Node objects whose kubelet endpoint is this
// HTTPS server on 127.0.0.1, so `pods/log` really travels client → kube-apiserver → kubelet; it
// moves pods bound to its nodes through Pending → Running → Succeeded/Failed via pods/status, as
// a kubelet does, and completes graceful deletions. What a container "does" is a pluggable
// behaviour (see PodBehaviour), e.g. canned output, an image pull failure, a hang, or a real
// podman run (test/lab) returning {logs, exitCode} asynchronously.
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, PatchStrategy, makeInformer, setHeaderOptions } from '@kubernetes/client-node';
import type {
  KubeConfig,
  V1Container,
  V1ContainerStatus,
  V1Node,
  V1Pod,
  V1PodCondition,
} from '@kubernetes/client-node';
import { apiStatus } from './kube.ts';

/** Handed to a behaviour for one container of one pod. */
export interface ContainerContext {
  pod: V1Pod;
  container: V1Container;
  /** Aborted when the pod is deleted (the container is "killed"). */
  signal: AbortSignal;
  /** Marks the container Running now; otherwise it starts when the behaviour resolves. */
  started(): void;
  /** Appends live log output (starts the container if needed); `follow` readers see it at once. */
  write(text: string): void;
}

/** What the container turns out to do. */
export type ContainerResult =
  /** Runs: prints `logs` (after anything written live), runs `durationMs`, exits with `exitCode`. */
  | { logs?: string; exitCode: number; durationMs?: number }
  /** Never starts: ErrImagePull, then ImagePullBackOff, with this message (pod stays Pending). The kubelet's
   * events are emitted as a kubelet does (image_manager.go, kuberuntime): Failed `Failed to pull image "X": <err>`
   * (`pullEvent` overrides that text, e.g. the rpc-error form of older kubelets), Failed `Error: ErrImagePull`,
   * BackOff `Back-off pulling image "X"`, Failed `Error: ImagePullBackOff`. */
  | { imagePullError: string; pullEvent?: string; waitingReason?: string }
  /** Starts, prints `logs`, and runs until the pod is deleted. */
  | { hang: true; logs?: string };

export type PodBehaviour = (ctx: ContainerContext) => ContainerResult | Promise<ContainerResult>;

export interface FakeKubeletOptions {
  /** Node names to register (e.g. worker-0). Existing Nodes of these names are replaced. */
  nodes: string[];
  /** Labels/annotations per node on top of the defaults (hostname, os, worker role). */
  nodeMetadata?: Record<string, { labels?: Record<string, string>; annotations?: Record<string, string> }>;
  /** Default behaviour: exit 0 with no output. Tests can also set it per pod with `behave`. */
  behaviour?: PodBehaviour;
  certFile: string;
  keyFile: string;
  /** Time a pod spends in ContainerCreating before its behaviour runs. */
  startDelayMs?: number;
  /** Time between ErrImagePull and ImagePullBackOff. */
  backOffDelayMs?: number;
}

interface LogChunk {
  time: Date;
  text: string;
}

interface ContainerState {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  logs: LogChunk[];
  /** Notified on new output and on termination (follow readers). */
  listeners: Set<() => void>;
}

interface PodState {
  uid: string;
  namespace: string;
  name: string;
  pod: V1Pod;
  startTime: Date;
  containers: ContainerState[];
  abort: AbortController;
  /** Serialises status writes so they reach the API server in order. */
  writes: Promise<void>;
  gone: boolean;
}

export class FakeKubelet {
  readonly port: number;
  private readonly core: CoreV1Api;
  private readonly pods = new Map<string, PodState>(); // by "ns/name"
  private readonly perPod = new Map<string, PodBehaviour>(); // by "ns/name"
  private readonly nodes: Set<string>;
  private stopped = false;

  private readonly server: Server;
  private readonly opts: FakeKubeletOptions;
  private readonly informer: ReturnType<typeof makeInformer<V1Pod>>;

  private constructor(
    kc: KubeConfig,
    server: Server,
    opts: FakeKubeletOptions,
    informer: ReturnType<typeof makeInformer<V1Pod>>,
  ) {
    this.server = server;
    this.opts = opts;
    this.informer = informer;
    this.port = (server.address() as { port: number }).port;
    this.core = kc.makeApiClient(CoreV1Api);
    this.nodes = new Set(opts.nodes);
  }

  /** Starts the HTTPS server, registers the Nodes and begins to watch pods (as cluster admin). */
  static async start(adminKc: KubeConfig, opts: FakeKubeletOptions): Promise<FakeKubelet> {
    // The server exists before the kubelet object that answers its requests.
    const ref: { kubelet?: FakeKubelet } = {};
    const server = createServer({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) }, (req, res) => {
      if (ref.kubelet) ref.kubelet.serve(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const core = adminKc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(adminKc, '/api/v1/pods', () => core.listPodForAllNamespaces());
    const k = new FakeKubelet(adminKc, server, opts, informer);
    ref.kubelet = k;
    await k.registerNodes();
    informer.on('add', (p) => k.observe(p));
    informer.on('update', (p) => k.observe(p));
    informer.on('delete', (p) => k.forget(p));
    informer.on('error', () => {
      // The informer stops on errors other than 410; start it again, as a kubelet would.
      if (!k.stopped) setTimeout(() => void informer.start().catch(() => undefined), 500);
    });
    await informer.start();
    return k;
  }

  /** Sets what the containers of pod ns/name do; call before the pod is created. */
  behave(namespace: string, name: string, behaviour: PodBehaviour): void {
    this.perPod.set(`${namespace}/${name}`, behaviour);
  }

  /**
   * The kubelet's retry of a pull that failed now succeeds (the mirror was fixed): for each container of pod
   * ns/name still waiting on its image, the events a kubelet records (Pulling, Pulled with its image_manager.go
   * wording, Created, Started), then the container Running in pods/status. Resolves once the status is written.
   */
  async pullSucceeds(namespace: string, name: string): Promise<void> {
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p) throw new Error(`fake kubelet: pod ${namespace}/${name} is not on its nodes`);
    for (const c of p.containers) {
      if (c.state !== 'waiting') continue;
      await this.event(p, c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
      await this.event(
        p,
        c,
        'Normal',
        'Pulled',
        `Successfully pulled image "${c.image}" in 1.234s (1.234s including waiting). Image size: 28437891 bytes.`,
      );
      c.state = 'running';
      c.startedAt = new Date();
      c.waitingMessage = undefined;
      await this.event(p, c, 'Normal', 'Created', `Created container: ${c.name}`);
      await this.event(p, c, 'Normal', 'Started', `Started container ${c.name}`);
    }
    this.writeStatus(p);
    await p.writes;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
    for (const p of this.pods.values()) {
      p.abort.abort();
      p.gone = true;
      for (const c of p.containers) notify(c);
    }
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
    for (const name of this.nodes) {
      await this.core.deleteNode({ name }).catch(() => undefined);
    }
  }

  private async registerNodes(): Promise<void> {
    const now = rfc3339(new Date());
    for (const name of this.opts.nodes) {
      const extra = this.opts.nodeMetadata?.[name] ?? {};
      await this.core.deleteNode({ name, gracePeriodSeconds: 0 }).catch(() => undefined);
      const node: V1Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          // kubernetes.io/hostname as on a real node: harmless only because the API server
          // prefers InternalIP (--kubelet-preferred-address-types), as the tests then prove.
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node-role.kubernetes.io/worker': '',
            ...extra.labels,
          },
          annotations: { ...extra.annotations },
        },
      };
      await this.core.createNode({ body: node });
      const status = {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: this.port } },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        capacity: { cpu: '4', memory: '16Gi', pods: '250', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '3500m', memory: '15Gi', pods: '250', 'ephemeral-storage': '90Gi' },
        nodeInfo: {
          machineID: name,
          systemUUID: name,
          bootID: name,
          kernelVersion: '5.14.0',
          osImage: 'Red Hat Enterprise Linux CoreOS (fake kubelet)',
          containerRuntimeVersion: 'cri-o://1.33.0',
          kubeletVersion: 'v1.33.0-fake',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      };
      await this.core.patchNodeStatus(
        { name, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }

  // ---- pod lifecycle ----

  private observe(pod: V1Pod): void {
    if (this.stopped || !pod.spec?.nodeName || !this.nodes.has(pod.spec.nodeName)) return;
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    let p = this.pods.get(key);
    if (p && p.uid !== pod.metadata?.uid) {
      this.forget(p.pod);
      p = undefined;
    }
    if (!p) {
      // Finished before this kubelet started (an earlier one ran it): never run a pod twice.
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return;
      p = this.admit(key, pod);
    } else {
      p.pod = pod;
    }
    if (pod.metadata?.deletionTimestamp && !p.abort.signal.aborted) void this.kill(p);
  }

  private forget(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const p = this.pods.get(key);
    if (!p || p.uid !== pod.metadata?.uid) return;
    p.gone = true;
    p.abort.abort();
    for (const c of p.containers) notify(c);
    this.pods.delete(key);
  }

  private admit(key: string, pod: V1Pod): PodState {
    const p: PodState = {
      uid: pod.metadata?.uid ?? '',
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      pod,
      startTime: new Date(),
      containers: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        state: 'waiting',
        waitingReason: 'ContainerCreating',
        logs: [],
        listeners: new Set(),
      })),
      abort: new AbortController(),
      writes: Promise.resolve(),
      gone: false,
    };
    this.pods.set(key, p);
    this.writeStatus(p);
    const behaviour = this.perPod.get(key) ?? this.opts.behaviour ?? (() => ({ exitCode: 0 }));
    void sleep(this.opts.startDelayMs ?? 50).then(() =>
      Promise.all(
        p.containers.map((c, i) => this.runContainer(p, c, pod.spec?.containers?.[i] as V1Container, behaviour)),
      ),
    );
    return p;
  }

  private async runContainer(
    p: PodState,
    c: ContainerState,
    spec: V1Container,
    behaviour: PodBehaviour,
  ): Promise<void> {
    if (p.abort.signal.aborted) return;
    const start = (): void => {
      if (c.state !== 'waiting' || p.abort.signal.aborted) return;
      c.state = 'running';
      c.startedAt = new Date();
      this.writeStatus(p);
    };
    const write = (text: string): void => {
      if (c.state === 'terminated' || p.abort.signal.aborted) return;
      start();
      c.logs.push({ time: new Date(), text });
      notify(c);
    };
    let result: ContainerResult;
    try {
      result = await behaviour({ pod: p.pod, container: spec, signal: p.abort.signal, started: start, write });
    } catch (err) {
      result = { logs: `fake kubelet: behaviour failed: ${String(err)}\n`, exitCode: 128 };
    }
    if (p.abort.signal.aborted) return;
    if ('imagePullError' in result) {
      const reason = result.waitingReason ?? 'ErrImagePull';
      c.waitingReason = reason;
      c.waitingMessage = result.imagePullError;
      this.writeStatus(p);
      await this.event(
        p,
        c,
        'Warning',
        'Failed',
        result.pullEvent ?? `Failed to pull image "${c.image}": ${result.imagePullError}`,
      );
      await this.event(p, c, 'Warning', 'Failed', `Error: ${reason}`);
      await sleep(this.opts.backOffDelayMs ?? 300);
      // deleted, or the retry already pulled (pullSucceeds)
      if (p.abort.signal.aborted || c.state !== 'waiting') return;
      c.waitingReason = 'ImagePullBackOff';
      c.waitingMessage = `Back-off pulling image "${c.image}": ${reason}: ${result.imagePullError}`;
      this.writeStatus(p);
      await this.event(p, c, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      await this.event(p, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      return;
    }
    start();
    if (result.logs) write(result.logs);
    if ('hang' in result) return;
    if (result.durationMs) await sleep(result.durationMs, undefined, { signal: p.abort.signal }).catch(() => undefined);
    if (p.abort.signal.aborted) return;
    this.terminate(c, result.exitCode);
    this.writeStatus(p);
  }

  /** A core/v1 Event as the kubelet's recorder writes it (source kubelet, the container's fieldPath). */
  private async event(p: PodState, c: ContainerState, type: string, reason: string, message: string): Promise<void> {
    if (this.stopped || p.abort.signal.aborted) return;
    const now = new Date();
    const node = p.pod.spec?.nodeName ?? '';
    await this.core
      .createNamespacedEvent({
        namespace: p.namespace,
        body: {
          metadata: {
            name: `${p.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
            namespace: p.namespace,
          },
          involvedObject: {
            kind: 'Pod',
            apiVersion: 'v1',
            namespace: p.namespace,
            name: p.name,
            uid: p.uid,
            fieldPath: `spec.containers{${c.name}}`,
          },
          reason,
          message,
          type,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'kubelet', host: node },
          reportingComponent: 'kubelet',
          reportingInstance: node,
        },
      })
      .catch(() => undefined);
  }

  private terminate(c: ContainerState, exitCode: number): void {
    if (c.state === 'waiting') c.startedAt = undefined;
    c.state = 'terminated';
    c.exitCode = exitCode;
    c.finishedAt = new Date();
    notify(c);
  }

  /** Graceful deletion: stop the containers, report it, then delete for good (grace 0, by UID). */
  private async kill(p: PodState): Promise<void> {
    p.abort.abort();
    for (const c of p.containers) if (c.state !== 'terminated') this.terminate(c, c.state === 'running' ? 137 : 0);
    this.writeStatus(p);
    await p.writes;
    await this.core
      .deleteNamespacedPod({
        name: p.name,
        namespace: p.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: p.uid } },
      })
      .catch((err: unknown) => {
        if (apiStatus(err)?.code !== 404 && apiStatus(err)?.code !== 409) throw err;
      });
  }

  private writeStatus(p: PodState): void {
    const status = podStatus(p);
    p.writes = p.writes.then(async () => {
      if (p.gone || this.stopped) return;
      try {
        await this.core.patchNamespacedPodStatus(
          { name: p.name, namespace: p.namespace, body: { metadata: { uid: p.uid }, status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (err) {
        // Gone (404) or replaced by a pod with another UID (409): nothing to report to.
        const code = apiStatus(err)?.code;
        if (code !== 404 && code !== 409) console.error(`fake kubelet: status of ${p.namespace}/${p.name}:`, err);
      }
    });
  }

  // ---- GET /containerLogs/{namespace}/{pod}/{container} ----

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const [ns, podName, containerName] = m.slice(1).map(decodeURIComponent) as [string, string, string];
    const p = this.pods.get(`${ns}/${podName}`);
    if (!p) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`pod "${podName}" does not exist\n`);
      return;
    }
    const c = p.containers.find((x) => x.name === containerName);
    if (!c) {
      res
        .writeHead(404, { 'Content-Type': 'text/plain' })
        .end(`container "${containerName}" not found in pod "${podName}"\n`);
      return;
    }
    if (c.state === 'waiting' || !c.startedAt) {
      // The kubelet's wording; the API server turns a 400 into a BadRequest Status with it.
      const why =
        c.waitingReason === 'ErrImagePull' || c.waitingReason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : c.waitingReason;
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end(`container "${containerName}" in pod "${podName}" is waiting to start: ${why}`);
      return;
    }
    streamLogs(url.searchParams, p, c, req, res);
  }
}

function streamLogs(
  q: URLSearchParams,
  p: PodState,
  c: ContainerState,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const follow = q.get('follow') === 'true';
  const timestamps = q.get('timestamps') === 'true';
  const tailLines = q.has('tailLines') ? Number(q.get('tailLines')) : undefined;
  let bytesLeft = q.has('limitBytes') ? Number(q.get('limitBytes')) : Infinity;
  const since = q.has('sinceTime')
    ? new Date(q.get('sinceTime') ?? '')
    : q.has('sinceSeconds')
      ? new Date(Date.now() - Number(q.get('sinceSeconds')) * 1000)
      : undefined;

  res.writeHead(200, { 'Content-Type': 'text/plain' });
  const render = (chunks: LogChunk[], tail?: number): string => {
    let lines = chunks
      .filter((ch) => !since || ch.time >= since)
      .flatMap((ch) => splitLines(ch.text).map((l) => ({ time: ch.time, l })));
    if (tail !== undefined) lines = tail <= 0 ? [] : lines.slice(-tail);
    return lines.map(({ time, l }) => (timestamps ? `${time.toISOString()} ${l}` : l)).join('');
  };
  const send = (text: string): void => {
    if (bytesLeft <= 0 || !text) return;
    const buf = Buffer.from(text);
    const part = buf.subarray(0, Math.min(buf.length, bytesLeft));
    bytesLeft -= part.length;
    res.write(part);
  };
  let sent = c.logs.length;
  send(render(c.logs, tailLines));
  const finished = (): boolean => c.state === 'terminated' || p.gone || bytesLeft <= 0;
  if (!follow || finished()) {
    res.end();
    return;
  }
  const listener = (): void => {
    send(render(c.logs.slice(sent)));
    sent = c.logs.length;
    if (finished()) done();
  };
  const done = (): void => {
    c.listeners.delete(listener);
    res.end();
  };
  c.listeners.add(listener);
  req.on('close', () => c.listeners.delete(listener));
}

/** Lines with their newline kept; a trailing partial line is a line too (as a runtime would log it). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function notify(c: ContainerState): void {
  for (const l of [...c.listeners]) l();
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The status a kubelet would report for the pod's current container states (restartPolicy Never). */
function podStatus(p: PodState): Record<string, unknown> {
  const cs = p.containers;
  const allDone = cs.every((c) => c.state === 'terminated');
  const anyStarted = cs.some((c) => c.startedAt);
  const phase = allDone
    ? cs.every((c) => c.exitCode === 0)
      ? 'Succeeded'
      : 'Failed'
    : anyStarted
      ? 'Running'
      : 'Pending';
  const ready = cs.every((c) => c.state === 'running');
  const now = rfc3339(new Date());
  const cond = (type: string, ok: boolean, reason?: string): V1PodCondition => ({
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: now as unknown as Date,
    ...(ok || !reason ? {} : { reason }),
  });
  const hostNetwork = p.pod.spec?.hostNetwork === true;
  const podIP = hostNetwork ? '127.0.0.1' : `10.128.${(hashCode(p.uid) >> 8) & 255}.${(hashCode(p.uid) & 253) + 2}`;
  const statuses: V1ContainerStatus[] = cs.map(
    (c) =>
      ({
        name: c.name,
        image: c.image,
        imageID: c.startedAt ? `${c.image.split('@')[0]}@sha256:${'0'.repeat(64)}` : '',
        containerID: c.startedAt ? `cri-o://${p.uid.replace(/-/g, '')}${c.name}` : undefined,
        ready: c.state === 'running',
        started: c.state === 'running',
        restartCount: 0,
        state:
          c.state === 'waiting'
            ? { waiting: { reason: c.waitingReason, ...(c.waitingMessage ? { message: c.waitingMessage } : {}) } }
            : c.state === 'running'
              ? { running: { startedAt: rfc3339(c.startedAt ?? new Date()) } }
              : {
                  terminated: {
                    exitCode: c.exitCode ?? 0,
                    reason: c.exitCode === 0 ? 'Completed' : 'Error',
                    ...(c.startedAt ? { startedAt: rfc3339(c.startedAt) } : {}),
                    finishedAt: rfc3339(c.finishedAt ?? new Date()),
                  },
                },
      }) as unknown as V1ContainerStatus,
  );
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', true),
      cond('Initialized', true),
      cond('Ready', ready, allDone ? 'PodCompleted' : 'ContainersNotReady'),
      cond('ContainersReady', ready, allDone ? 'PodCompleted' : 'ContainersNotReady'),
      cond('PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: rfc3339(p.startTime),
    containerStatuses: statuses,
  };
}

function hashCode(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return Math.abs(h);
}
