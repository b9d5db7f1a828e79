// Leader election on a coordination.k8s.io Lease in the bot's namespace, so exactly one replica posts rollout
// notices. Acquire when the lease is free or expired (renewTime + leaseDurationSeconds in the past), renew while
// holding it; every write carries the resourceVersion read, so two replicas cannot both win a race (409). A
// leader that cannot renew within the lease duration steps down before anyone else may take over.
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { silentLog } from '../ports/logger.ts';
import type { LogSink } from '../ports/logger.ts';

export interface LeaderLeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often to try to acquire or renew (default a third of the lease duration). */
  retryPeriodMs?: number;
  now?: () => number;
  /** Failed acquire/renew/release (one line each); default: silent. */
  logger?: LogSink;
}

export class LeaderLease {
  private readonly api: CoordinationV1Api;
  private readonly opts: Required<LeaderLeaseOptions>;
  private timer: NodeJS.Timeout | undefined;
  private leader = false;
  private lastRenew = 0;
  private readonly listeners: Array<(leader: boolean) => void> = [];
  private running = false;
  private held: V1Lease | undefined;
  /** API requests made (for the idle-request figure of the bench). */
  requests = 0;

  constructor(kc: KubeConfig, opts: LeaderLeaseOptions) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    const duration = opts.leaseDurationSeconds ?? 15;
    this.opts = {
      leaseDurationSeconds: duration,
      retryPeriodMs: Math.max(200, Math.floor((duration * 1000) / 3)),
      now: Date.now,
      logger: silentLog,
      ...opts,
    };
  }

  get isLeader(): boolean {
    // Step down on our own clock before the lease can expire for the others.
    if (this.leader && this.opts.now() - this.lastRenew > this.opts.leaseDurationSeconds * 1000) this.setLeader(false);
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  private setLeader(v: boolean): void {
    if (v === this.leader) return;
    this.leader = v;
    for (const l of this.listeners) l(v);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.tick();
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.tick().finally(() => {
          if (this.running) loop();
        });
      }, this.opts.retryPeriodMs);
    };
    loop();
  }

  /** Stops renewing; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (!this.leader) return;
    this.setLeader(false);
    try {
      const lease = await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
      if (lease.spec?.holderIdentity === this.opts.identity) {
        const spec = lease.spec;
        lease.spec = {
          ...spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          ...(spec.acquireTime ? { acquireTime: new V1MicroTime(spec.acquireTime) } : {}),
          ...(spec.renewTime ? { renewTime: new V1MicroTime(spec.renewTime) } : {}),
        };
        await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
      }
    } catch (e) {
      this.opts.logger.warn(
        { lease: `${this.opts.namespace}/${this.opts.name}`, err: describeKubeError(e, 'release the Lease') },
        'leader lease: release failed',
      );
    }
  }

  private async tick(): Promise<void> {
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    // MicroTime fields need six fractional digits: a plain Date is refused by the API server (400).
    const now = new V1MicroTime(this.opts.now());
    try {
      // While holding, renew from the lease last written (one PUT per period); a 409 sends us back to reading it.
      let lease: V1Lease | undefined = this.leader ? this.held : undefined;
      this.held = undefined;
      if (lease === undefined) {
        try {
          this.requests++;
          lease = await this.api.readNamespacedLease({ name, namespace });
        } catch (e) {
          if (kubeStatus(e)?.code !== 404) throw e;
        }
      }
      if (lease === undefined) {
        this.requests++;
        this.held = await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        this.lastRenew = now.getTime();
        this.setLeader(true);
        return;
      }
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
      const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
      if (holder !== identity && holder !== '' && !expired) {
        this.setLeader(false);
        return;
      }
      const taking = holder !== identity;
      lease.spec = {
        ...spec,
        ...(spec.acquireTime ? { acquireTime: new V1MicroTime(spec.acquireTime) } : {}),
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        ...(taking ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      };
      this.requests++;
      this.held = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.lastRenew = now.getTime();
      this.setLeader(true);
    } catch (e) {
      if (kubeStatus(e)?.code === 409) {
        // Someone else wrote first: not the leader this round.
        this.setLeader(false);
        return;
      }
      this.opts.logger.warn(
        { lease: `${namespace}/${name}`, err: describeKubeError(e, `acquire or renew Lease ${namespace}/${name}`) },
        'leader lease: acquire or renew failed',
      );
      void this.isLeader; // steps down if the lease has run out
    }
  }
}
