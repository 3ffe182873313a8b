// `server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]`,
// the ensemble membership line (ZooKeeper's QuorumPeer.QuorumServer, format
// documented in zookeeperAdmin "Clustered (Multi-Server) Setup"). An IPv6 host
// is written in brackets, `[::1]:2888:3888`. ZooKeeper also accepts several
// `|`-separated addresses per server (multiAddress.enabled, off by default);
// we do not. Host names are kept as written: resolving them is the network
// layer's job and may legitimately fail at start-up and succeed later.

import { err, ok, type Result } from '../../lib/result.ts';

export type PeerType = 'participant' | 'observer';

export type ServerSpec = {
  /** The N of `server.N`: the server's id, matched against its `myid` file. */
  readonly id: number;
  readonly host: string;
  /** Followers connect to the leader on this port (ZooKeeper's 2888 by convention). */
  readonly quorumPort: number;
  /** Leader election talks on this port (3888 by convention). */
  readonly electionPort: number;
  readonly peerType: PeerType;
  /** From the `;` part (dynamic-configuration syntax); 0.0.0.0 when only a port is given. */
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
};

export function parseServerLine(id: number, value: string): Result<ServerSpec, string> {
  const wrongFormat = `server.${id}=${value}: expected host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]`;
  if (value.includes('|')) return err(`server.${id}=${value}: several addresses per server (multiAddress) are not supported`);
  const parts = value.split(';');
  if (parts.length > 2) return err(wrongFormat);
  const serverParts = hostAndPorts(parts[0]!.trim());
  if (serverParts === undefined || serverParts.length < 3 || serverParts.length > 4) return err(wrongFormat);
  const [host, quorumText, electionText, typeText] = serverParts as [string, string, string, string | undefined];
  if (host === '') return err(wrongFormat);
  // No host name or address contains white space; a typo here would otherwise surface only as a member nobody can reach.
  if (/\s/.test(host)) return err(`server.${id}=${value}: the host ${JSON.stringify(host)} contains white space`);
  const quorumPort = port(quorumText);
  const electionPort = port(electionText);
  if (quorumPort === undefined) return err(`server.${id}=${value}: quorum port ${JSON.stringify(quorumText)} is not a port number (1..65535)`);
  if (electionPort === undefined) return err(`server.${id}=${value}: election port ${JSON.stringify(electionText)} is not a port number (1..65535)`);
  if (quorumPort === electionPort) return err(`server.${id}=${value}: quorum and election ports must differ`);
  let peerType: PeerType = 'participant';
  if (typeText !== undefined) {
    const lower = typeText.toLowerCase();
    if (lower !== 'participant' && lower !== 'observer') return err(`server.${id}=${value}: unknown peer type ${JSON.stringify(typeText)}`);
    peerType = lower;
  }
  let clientAddress: string | undefined;
  let clientPort: number | undefined;
  if (parts.length === 2) {
    const clientParts = hostAndPorts(parts[1]!.trim());
    if (clientParts === undefined || clientParts.length > 2) return err(wrongFormat);
    clientAddress = clientParts.length === 2 ? clientParts[0]! : '0.0.0.0';
    if (/\s/.test(clientAddress)) return err(`server.${id}=${value}: the client address ${JSON.stringify(clientAddress)} contains white space`);
    clientPort = port(clientParts[clientParts.length - 1]!);
    if (clientPort === undefined) return err(`server.${id}=${value}: client port ${JSON.stringify(clientParts[clientParts.length - 1])} is not a port number (1..65535)`);
  }
  return ok({ id, host, quorumPort, electionPort, peerType, clientAddress, clientPort });
}

/** Splits `host:a:b`, keeping a bracketed IPv6 host whole (ZooKeeper's ConfigUtils.getHostAndPort). */
function hostAndPorts(text: string): string[] | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === '') return [host];
    if (!rest.startsWith(':')) return undefined;
    return [host, ...rest.slice(1).split(':')];
  }
  return text.split(':');
}

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n >= 1 && n <= 65535 ? n : undefined;
}
