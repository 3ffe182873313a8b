// Which part of the pipeline handles each request type: the one list of
// ZooKeeper's opcodes by kind, read by the client dispatcher (requests.ts) and
// by the leader's handling of forwarded requests (local-path.ts), so that a
// new write or read type is added in one place. (reads.ts and writes.ts
// switch on the type again to decode each record; those are the records'
// tables, not this classification.)

import { OpCode } from '../protocol/constants.ts';

export type RequestKind = 'ping' | 'auth' | 'sasl' | 'createSession' | 'closeSession' | 'write' | 'sync' | 'read' | 'unknown';

export function requestKind(type: number): RequestKind {
  switch (type) {
    case OpCode.ping:
      return 'ping';
    case OpCode.auth:
      return 'auth';
    case OpCode.sasl:
      return 'sasl';
    case OpCode.createSession:
      return 'createSession';
    case OpCode.closeSession:
      return 'closeSession';
    // PrepRequestProcessor.pRequest's txn-making cases (reconfig is refused with an error txn).
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
    case OpCode.delete:
    case OpCode.setData:
    case OpCode.setACL:
    case OpCode.check:
    case OpCode.multi:
    case OpCode.reconfig:
      return 'write';
    // A read, but a learner forwards it to the leader (FollowerRequestProcessor).
    case OpCode.sync:
      return 'sync';
    // FinalRequestProcessor's read cases (reads.ts).
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getACL:
    case OpCode.getChildren:
    case OpCode.getChildren2:
    case OpCode.getAllChildrenNumber:
    case OpCode.setWatches:
    case OpCode.setWatches2:
    case OpCode.addWatch:
    case OpCode.checkWatches:
    case OpCode.removeWatches:
    case OpCode.getEphemerals:
    case OpCode.multiRead:
    case OpCode.whoAmI:
      return 'read';
    default:
      return 'unknown';
  }
}
