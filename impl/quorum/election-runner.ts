// Fast Leader Election on real sockets and real timers: the sans-IO core of
// election.ts driven by the connection manager of cnx-manager.ts. This is the
// only place where election effects meet the world, so it is also where the
// wire form of a notification (wire.ts, FastLeaderElection.ToSend) is mapped
// to and from the core's ElectionVote.
//
// Timers follow the core's contract: setting a named timer replaces the
// pending one, cancelling it means it never fires.

import { assertNever } from '../../lib/assert.ts';
import { QuorumCnxManager, type CnxManagerOptions, type ElectionAddress } from './cnx-manager.ts';
import {
  electionConfig,
  startElection,
  step,
  type ElectionConfig,
  type ElectionEffect,
  type ElectionEvent,
  type ElectionInputs,
  type ElectionState,
  type ElectionTimer,
  type ElectionVote,
} from './election.ts';
import { encodeNotification, notificationVersionCurrent, type NotificationMessage } from './wire.ts';

export interface EnsembleMember extends ElectionAddress {
  readonly quorumPort: number;
  readonly peerType: 'participant' | 'observer';
}

export interface ElectionOutcome {
  readonly leader: bigint;
  readonly zxid: bigint;
  readonly epoch: bigint;
  readonly round: bigint;
  readonly state: 'LEADING' | 'FOLLOWING' | 'OBSERVING';
}

export interface ElectionRunnerOptions {
  readonly myid: number;
  readonly members: readonly EnsembleMember[];
  readonly cnxTimeoutMs: number;
  readonly timing?: Partial<Pick<ElectionConfig, 'finalizeWaitMs' | 'notificationIntervalMsMin' | 'notificationIntervalMsMax'>>;
  readonly onElected: (outcome: ElectionOutcome) => void;
  readonly log?: CnxManagerOptions['log'];
  readonly sockets?: CnxManagerOptions['sockets'];
  /** SASL between members (quorum.auth.enableSasl). */
  readonly auth?: CnxManagerOptions['auth'];
  /** quorum.cnxn.threads.size: accepted election connections that may be waiting for their initial message at once. */
  readonly handshakingMax?: number;
}

export class ElectionRunner {
  readonly config: ElectionConfig;
  readonly cnx: QuorumCnxManager;
  private state: ElectionState | undefined;
  private readonly timers = new Map<ElectionTimer, NodeJS.Timeout>();
  private readonly configText: string;
  private closed = false;

  constructor(readonly options: ElectionRunnerOptions) {
    const voters = options.members.filter((m) => m.peerType === 'participant').map((m) => m.sid);
    this.config = electionConfig(options.myid, voters, options.timing);
    this.configText = quorumVerifierText(options.members);
    this.cnx = new QuorumCnxManager({
      myid: options.myid,
      servers: options.members,
      cnxTimeoutMs: options.cnxTimeoutMs,
      onNotification: (from, n) => this.dispatch({ type: 'NotificationReceived', from, notification: fromWire(n) }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.sockets === undefined ? {} : { sockets: options.sockets }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.handshakingMax === undefined ? {} : { handshakingMax: options.handshakingMax }),
    });
  }

  /** Binds the election port. */
  listen(): Promise<void> {
    return this.cnx.start();
  }

  /** The first lookForLeader of this process. */
  startElection(inputs: ElectionInputs): void {
    const { state, effects } = startElection(this.config, inputs);
    this.state = state;
    this.apply(effects);
  }

  /** Back to LOOKING (the leader is gone, or the quorum is lost). */
  startLooking(inputs: ElectionInputs): void {
    this.dispatch({ type: 'StartLooking', inputs });
  }

  /** The core's state, for tests and the admin commands. */
  get election(): ElectionState | undefined {
    return this.state;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.cnx.close();
  }

  private dispatch(event: ElectionEvent): void {
    if (this.closed || this.state === undefined) return;
    const { state, effects } = step(this.state, event);
    this.state = state;
    this.apply(effects);
  }

  private apply(effects: readonly ElectionEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'sendNotification':
          this.cnx.send(effect.to, encodeNotification(toWire(effect.notification, this.configText)));
          break;
        case 'setTimer': {
          this.clearTimer(effect.timer);
          const timer = effect.timer;
          this.timers.set(timer, setTimeout(() => {
            this.timers.delete(timer);
            this.dispatch({ type: timer === 'notification' ? 'NotificationTimeout' : 'FinalizeWait' });
          }, effect.delayMs));
          break;
        }
        case 'cancelTimer':
          this.clearTimer(effect.timer);
          break;
        case 'elected':
          this.options.onElected({ leader: effect.vote.leader, zxid: effect.vote.zxid, epoch: effect.vote.epoch, round: effect.round, state: effect.state });
          break;
        default:
          assertNever(effect, 'election effect');
      }
    }
  }

  private clearTimer(timer: ElectionTimer): void {
    const pending = this.timers.get(timer);
    if (pending !== undefined) clearTimeout(pending);
    this.timers.delete(timer);
  }
}

/** ElectionVote -> FastLeaderElection.ToSend (peerEpoch is the vote's epoch, electionEpoch the round). */
export function toWire(n: ElectionVote, config: string): NotificationMessage {
  return { state: n.state, leader: n.vote.leader, zxid: n.vote.zxid, electionEpoch: n.round, peerEpoch: n.vote.epoch, version: notificationVersionCurrent, config };
}

export function fromWire(n: NotificationMessage): ElectionVote {
  return { vote: { leader: n.leader, zxid: n.zxid, epoch: n.peerEpoch }, round: n.electionEpoch, state: n.state, version: n.version };
}

/** QuorumMaj.toString as ZooKeeper sends it in notifications: one `server.N=` line per member, then `version=0`. */
export function quorumVerifierText(members: readonly EnsembleMember[]): string {
  const lines = [...members]
    .sort((a, b) => a.sid - b.sid)
    .map((m) => `server.${m.sid}=${hostText(m.host)}:${m.quorumPort}:${m.electionPort}:${m.peerType}`);
  return [...lines, 'version=0'].join('\n');
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
