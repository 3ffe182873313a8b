// The one interpreter of the peer core's effects (../quorum/peer/types.ts
// PeerEffect) for both role runs: what a leader run (leader-run.ts) and a
// learner run (learner-run.ts) do alike when the core asks for something,
// with the few things that differ between the roles handed to a RoleWorld.
//
// Alike in both roles, and carried out here:
// - the order: every effect but appendTxns is complete before the next one
//   starts (peer-driver.ts keeps the FIFO); an epoch file is fsynced before
//   the ACKEPOCH or NEWLEADER ACK behind it leaves, a TRUNC is done before
//   the proposals after it are logged;
// - the disk: acceptedEpoch and currentEpoch, the txn log (each txn's
//   durability comes back as LogSynced, one per group commit: SyncCoalescer),
//   TRUNC; a failure of any of them stops the process (as ZooKeeper's
//   SyncRequestProcessor does), since acknowledging anything after the disk
//   refused a write would be a lie;
// - the trace: the member's record of its steps (peer-trace.ts) reaches its
//   file before the disk changes, so what a restart finds was recorded;
// - the quorum packets: a message becomes a QuorumPacket the same way for
//   both roles (packetOf).
// Each role's own (its RoleWorld): where a message goes (the leader has a
// connection per learner and builds a SNAP's tree; a learner has its one
// connection to the leader), what a committed txn does (the leader releases
// the client writes it completes; a learner applies it to its tree), the
// bytes of a SNAP to install (a learner's, received with the SNAP packet),
// and what happens once an event has been stepped (a run starts serving at
// BROADCAST).
//
// A later protocol engine brings its own core and its own world; the order,
// the disk rules and the trace are what it would take from here.

import { assert, assertNever } from '../../lib/assert.ts';
import { toQuorumPacket, type PacketContext } from '../quorum/peer/packet.ts';
import type { Peer, PeerEffect, PeerEvent, PeerMessage, PeerTxn } from '../quorum/peer/types.ts';
import type { QuorumPacket } from '../quorum/wire.ts';
import { quorumVerifierText } from '../quorum/election-runner.ts';
import type { Result } from '../../lib/result.ts';
import { PeerDriver, SyncCoalescer } from './peer-driver.ts';
import { writesDisk } from './peer-trace.ts';
import type { RunContext } from './run-context.ts';

const textEncoder = new TextEncoder();

/** What a role run supplies: the part of the world that differs between leading and following. */
export interface RoleWorld {
  /** `send`: the message to core id `to`, if the role has a connection to it. */
  send(to: number, message: PeerMessage): void;
  /** `deliver`: a committed txn, in zxid order. */
  deliver(txn: PeerTxn): void;
  /**
   * `installSnapshot`: the serialised tree the core is installing, which the
   * role received with the SNAP; undefined when the role has given up on it
   * (the run is ending). Only a learner gets this effect.
   */
  snapshotToInstall?(zxid: bigint): Uint8Array | undefined;
  /** `goLooking`: the core's run of this role is over. */
  goLooking(reason: string): void;
  /** After each event the core stepped, its effects carried out as far as they go without waiting. */
  stepped(): void;
}

export class PeerInterpreter {
  private driver: PeerDriver;
  private readonly leading: boolean;
  private readonly packetContext: PacketContext;
  /** Our fsyncs, one LogSynced per group commit (SyncRequestProcessor's flush, then the ACK). */
  private readonly synced = new SyncCoalescer((zxid) => {
    if (!this.driver.isEnded) this.dispatch({ type: 'LogSynced', zxid });
  });

  constructor(
    private readonly context: RunContext,
    peer: Peer,
    private readonly role: RoleWorld,
  ) {
    this.leading = peer.role === 'LEADING';
    this.driver = this.driverFor(peer);
    const { membership } = context;
    this.packetContext = { sid: membership.myid, configVersion: 0n, quorumVerifier: textEncoder.encode(quorumVerifierText(membership.electionMembers)) };
    context.control?.attach(() => this.driver.peer);
  }

  /** The core's current state. */
  get peer(): Peer {
    return this.driver.peer;
  }

  /** Steps the core; its effects are carried out in order, then the role hears of the step. */
  dispatch(event: PeerEvent): void {
    this.driver.dispatch(event);
    this.role.stepped();
  }

  /**
   * A fresh core in place of the current one, whose queued effects are
   * dropped (a learner that registers again after its connection closed
   * before the leader said anything). Appends already under way report their
   * durability to the new core.
   */
  restart(peer: Peer): void {
    this.driver.end();
    this.driver = this.driverFor(peer);
  }

  /** No more events are stepped and queued effects are dropped (the run is over). */
  end(): void {
    this.driver.end();
  }

  /** The quorum packet of a message, as both roles send it. */
  packetOf(message: PeerMessage): QuorumPacket {
    return toQuorumPacket(message, this.packetContext);
  }

  private driverFor(peer: Peer): PeerDriver {
    const { trace, membership } = this.context;
    return new PeerDriver(
      peer,
      { apply: (effect) => this.apply(effect) },
      (error) => this.crash(error),
      (event, after) => trace.step(event, after, (id) => membership.sidOf(id)),
    );
  }

  /** One effect; a promise holds back the effects after it until it settles. A switch: it runs for every effect of every proposal. */
  private apply(effect: PeerEffect): Promise<void> | void {
    const { store } = this.context;
    if (writesDisk(effect)) this.context.trace.flush();
    switch (effect.type) {
      case 'persistAcceptedEpoch':
        return this.stopOnFailure(store.writeEpoch('acceptedEpoch', effect.epoch));
      case 'persistCurrentEpoch':
        return this.stopOnFailure(store.writeEpoch('currentEpoch', effect.epoch));
      case 'appendTxns':
        // Queued to the log at once, no wait: the core hears of each txn's durability through LogSynced.
        for (const txn of effect.txns) {
          void store.append(txn).then((result) => {
            if (!result.ok) this.context.fatal(result.error);
            else this.synced.durable(result.value);
          });
        }
        return;
      case 'truncateLog':
        assert(!this.leading, 'a leader never gets truncateLog');
        return this.stopOnFailure(store.truncateAfter(effect.zxid));
      case 'installSnapshot': {
        assert(this.role.snapshotToInstall !== undefined, 'a leader never gets installSnapshot');
        const blob = this.role.snapshotToInstall(effect.zxid);
        if (blob === undefined) return;
        return this.stopOnFailure(store.installSnapshot(effect.zxid, blob));
      }
      case 'send':
        this.role.send(effect.to, effect.message);
        return;
      case 'deliver':
        this.role.deliver(effect.txn);
        return;
      case 'goLooking':
        this.role.goLooking(effect.reason);
        return;
      default:
        return assertNever(effect, 'peer effect');
    }
  }

  /** A disk write that must be complete before the next effect; its failure stops the process. */
  private stopOnFailure(written: Promise<Result<void, string>>): Promise<void> {
    return written.then((result) => {
      if (!result.ok) this.context.fatal(result.error);
    });
  }

  private crash(error: unknown): void {
    const role = this.leading ? 'leader' : 'learner';
    this.context.fatal(`${role} run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
