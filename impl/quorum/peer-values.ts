// The values a peer's election notification and LearnerInfo may carry, checked
// with zod where the bytes have been decoded (wire.ts reads the fields; this
// says which values are meaningful). A peer that sends others is broken or is
// not a member: the notification is dropped, the learner refused, and the
// reason logged with the field that was out of range (issue 15).
//
// The ranges are ZooKeeper's own: a server id is a non-negative long (and must
// fit a JavaScript number to be looked up in the configuration); a zxid is -1
// (nothing logged) or non-negative; an epoch is the high 32 bits of a zxid, so
// at most 2^32 - 1, or -1 before the first; the election round
// (logicalclock) counts up from 0. An observer votes with Long.MIN_VALUE for
// the leader, zxid and epoch (FastLeaderElection.getInitId and friends), so
// that value is accepted wherever it may appear.

import { z } from 'zod';
import { err, ok, type Result } from '../../lib/result.ts';
import type { LearnerInfoRead, NotificationMessage } from './wire.ts';

const longMin = -(2n ** 63n);
const epochMax = 2n ** 32n - 1n;

const observerOr = (schema: z.ZodType<bigint>) => z.union([z.literal(longMin), schema]);
const serverId = z.bigint().min(0n).max(BigInt(Number.MAX_SAFE_INTEGER), 'a server id past 2^53');
const zxid = z.bigint().min(-1n, 'a zxid below -1');
const epoch = z.bigint().min(-1n, 'an epoch below -1').max(epochMax, 'an epoch past 2^32 - 1');

const notificationValues = z.object({
  leader: observerOr(serverId),
  zxid: observerOr(zxid),
  electionEpoch: z.bigint().min(0n, 'a negative election round'),
  peerEpoch: observerOr(epoch),
});

const learnerInfoValues = z.object({
  serverid: serverId,
  protocolVersion: z.number().int().optional(),
  configVersion: z.bigint().min(0n, 'a negative config version').optional(),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`;
}

/** A decoded notification whose values are all in range, or which one is not. */
export function checkNotification(n: NotificationMessage): Result<NotificationMessage, string> {
  const parsed = notificationValues.safeParse(n);
  return parsed.success ? ok(n) : err(`notification out of range, ${firstIssue(parsed.error)}`);
}

/** The learner's server id from a FOLLOWERINFO/OBSERVERINFO, or why the LearnerInfo is refused. */
export function checkLearnerInfo(info: LearnerInfoRead): Result<number, string> {
  if (info.serverid === undefined) return err('LearnerInfo without a server id');
  const parsed = learnerInfoValues.safeParse({
    serverid: info.serverid,
    ...(info.protocolVersion === undefined ? {} : { protocolVersion: info.protocolVersion }),
    ...(info.configVersion === undefined ? {} : { configVersion: info.configVersion }),
  });
  return parsed.success ? ok(Number(parsed.data.serverid)) : err(`LearnerInfo out of range, ${firstIssue(parsed.error)}`);
}
