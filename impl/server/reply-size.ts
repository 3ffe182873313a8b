// jute.maxbuffer on replies. A client refuses a frame longer than its own
// jute.maxbuffer: Apache ZooKeeper 3.8's Java client (ClientCnxnSocket.readLength,
// "Packet len N is out of range!", 0xfffff bytes by default since 3.8) drops the
// connection, its request fails with ConnectionLoss, and a retry asks for the
// same reply again. ZooKeeper's server serialises any reply, whatever its size
// (ServerCnxn.serialize has no check), so a getChildren of a znode with 100,000
// children loops that way forever.
//
// Ours does better: a read whose reply frame (ReplyHeader and record, the
// length the client compares) would pass the server's jute.maxbuffer is
// answered MarshallingError instead, on a connection that stays open, and the
// watch the request asked for is not set (the client registers a watch only
// for a reply without error, so one set here would fire at nobody). ZooKeeper's
// documentation asks for the same jute.maxbuffer on servers and clients; a
// client that accepts more gets it when the server's is raised as well.

/** The ReplyHeader's bytes (xid, zxid, err): part of the frame length a client checks, not of the record. */
const replyHeaderBytes = 16;

/** Whether a reply carrying `recordBytes` of record fits in a frame of `replyBytesMax` (the server's jute.maxbuffer). */
export function replyFits(recordBytes: number, replyBytesMax: number): boolean {
  return replyHeaderBytes + recordBytes <= replyBytesMax;
}

/** The record's length in a reply frame: what `replyFits` was given, for the log line. */
export function replyFrameBytes(recordBytes: number): number {
  return replyHeaderBytes + recordBytes;
}
