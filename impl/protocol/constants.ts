// Numeric constants of the ZooKeeper client protocol, with ZooKeeper's names:
// ZooDefs.OpCode, KeeperException.Code, Watcher.Event.EventType/KeeperState,
// ZooDefs.Perms, CreateMode flags, Watcher.WatcherType, ZooDefs.AddWatchModes,
// and the reserved xids of ClientCnxn.

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

const opCodeNames = new Map<number, string>(Object.entries(OpCode).map(([name, code]) => [code, name]));
export function opCodeName(code: number): string {
  return opCodeNames.get(code) ?? `unknown(${code})`;
}

/** KeeperException.Code. */
export const ErrorCode = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const errorCodeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
export function errorCodeName(code: number): string {
  return errorCodeNames.get(code) ?? `unknown(${code})`;
}

/** Watcher.Event.EventType. */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Watcher.Event.KeeperState. */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** ZooDefs.Perms. */
export const Perms = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  CREATE: 1 << 2,
  DELETE: 1 << 3,
  ADMIN: 1 << 4,
  ALL: 0b11111,
} as const;

/** CreateMode's flag values as sent in CreateRequest.flags. */
export const CreateFlag = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** Watcher.WatcherType, the `type` of CheckWatchesRequest and RemoveWatchesRequest. */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
  Persistent: 4,
  PersistentRecursive: 5,
} as const;

/** ZooDefs.AddWatchModes, the `mode` of AddWatchRequest. */
export const AddWatchMode = {
  persistent: 0,
  persistentRecursive: 1,
} as const;

/** Reserved xids (ClientCnxn). */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** jute.maxbuffer's default: 0xfffff bytes (1 MiB - 1). */
export const juteMaxBufferDefault = 0xfffff;

/** ZooKeeper's EphemeralType.CONTAINER_EPHEMERAL_OWNER (Long.MIN_VALUE). */
export const containerEphemeralOwner = -(1n << 63n);
