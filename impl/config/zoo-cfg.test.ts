import { describe, expect, it } from 'vitest';
import { parseProperties } from './properties.ts';
import { parseServerLine } from './server-line.ts';
import { defaultConfig, isStandalone, knownFourLetterWords, parseZooCfg, type ZooKeeperConfig } from './zoo-cfg.ts';
import { loadConfig, readMyid } from './load.ts';

/** dataDir is required (as in ZooKeeper); a test about other keys gets one after its lines, which keeps their numbers. */
const withDataDir = (text: string) => (/^dataDir\s*[=:\s]/m.test(text) ? text : `${text}\ndataDir=/var/lib/zookeeper\n`);

function parsed(text: string) {
  const result = parseZooCfg(withDataDir(text));
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('\n'));
  return result.value;
}
const config = (text: string): ZooKeeperConfig => parsed(text).config;
function errorsOf(text: string): string[] {
  const result = parseZooCfg(withDataDir(text));
  if (result.ok) throw new Error(`expected errors for ${JSON.stringify(text)}`);
  return result.error.map((e) => e.message);
}

describe('the Java properties format', () => {
  it('reads key=value, key: value and key value, skipping # and ! comments and blank lines', () => {
    const { properties } = parseProperties('# comment\n  ! also a comment\n\na=1\nb : 2\nc   3\n  d=  spaced value  \n');
    expect(properties.map((p) => [p.key, p.value, p.line])).toEqual([
      ['a', '1', 4],
      ['b', '2', 5],
      ['c', '3', 6],
      ['d', 'spaced value', 7],
    ]);
  });

  it('joins continued lines and decodes escapes', () => {
    const { properties } = parseProperties('list=a,\\\n    b,\\\n    c\nescaped=tab\\there \\u0041\nkey\\=with\\:sep=v\n');
    expect(Object.fromEntries(properties.map((p) => [p.key, p.value]))).toEqual({ list: 'a,b,c', escaped: 'tab\there A', 'key=with:sep': 'v' });
  });

  it('lets a repeated key win and reports the earlier line', () => {
    const { properties, duplicates } = parseProperties('tickTime=1000\ntickTime=2000\n');
    expect(properties).toEqual([{ key: 'tickTime', value: '2000', line: 2 }]);
    expect(duplicates).toEqual([{ key: 'tickTime', value: '1000', line: 1 }]);
    expect(parsed('tickTime=1000\ntickTime=2000\n').warnings).toEqual(['line 1: tickTime is set again later; the later value wins']);
  });
});

describe('defaults', () => {
  it('with only dataDir: standalone on every interface, port 2181, ZooKeeper 3.8 defaults elsewhere', () => {
    const c = defaultConfig('/var/lib/zookeeper');
    expect(c).toEqual({
      tickTimeMs: 3000,
      dataDir: '/var/lib/zookeeper',
      dataLogDir: '/var/lib/zookeeper',
      clientPort: 2181,
      clientPortAddress: '0.0.0.0',
      maxClientCnxns: 60,
      maxCnxns: 0,
      sessionlessCnxnTimeoutMs: 10_000,
      minSessionTimeoutMs: 6000,
      maxSessionTimeoutMs: 60000,
      globalOutstandingLimit: 1000,
      snapCount: 100000,
      snapRetainCount: 3,
      purgeIntervalHours: 0,
      juteMaxBufferBytes: 1048575,
      fourLetterWordWhitelist: ['srvr'],
      forceSync: true,
      superDigest: undefined,
      initLimitTicks: 10,
      syncLimitTicks: 5,
      leaderServes: true,
      peerType: 'participant',
      cnxTimeoutMs: 5000,
      auth: { saslProvider: false, jaasPath: undefined, saslServerSection: undefined, superUsers: [], enforceAuthSchemes: [], saslAuthRequired: false },
      saslLogin: undefined,
      quorumAuth: { enableSasl: false, learnerRequireSasl: false, serverRequireSasl: false, learnerLoginContext: 'QuorumLearner', serverLoginContext: 'QuorumServer', cnxnThreadsSize: 20 },
      quorumLogins: undefined,
      servers: [],
      clientPortEnabled: true,
      clientTls: {
        secureClientPort: undefined,
        secureClientPortAddress: '0.0.0.0',
        portUnification: false,
        x509: { keyStore: undefined, trustStore: undefined, protocol: 'TLSv1.2', enabledProtocols: ['TLSv1.2'], cipherSuites: undefined, hostnameVerification: true, clientAuth: 'need', handshakeDetectionTimeoutMs: 5000 },
        x509AuthProvider: false,
        x509SuperUser: undefined,
      },
      quorumTls: {
        sslQuorum: false,
        x509: { keyStore: undefined, trustStore: undefined, protocol: 'TLSv1.2', enabledProtocols: ['TLSv1.2'], cipherSuites: undefined, hostnameVerification: true, clientAuth: 'need', handshakeDetectionTimeoutMs: 5000 },
      },
      initialConfiguration: 'dataDir=/var/lib/zookeeper\n',
      adminServer: { address: '0.0.0.0', port: 8080, commandUrl: '/commands', idleTimeoutMs: 30000, forceHttps: false, portUnification: false },
      prometheus: undefined,
      treeFeatures: { enforceQuota: false, extendedTypesEnabled: false, digestEnabled: true, containerCheckIntervalMs: 60000, containerMaxPerMinute: 10000, containerMaxNeverUsedIntervalMs: 0 },
      readOnlyModeEnabled: false,
      replicationEngine: 'zab',
    });
    expect(isStandalone(c)).toBe(true);
  });

  it('derives the session timeout bounds from tickTime (2 and 20 ticks) unless set', () => {
    expect(config('tickTime=2000')).toMatchObject({ minSessionTimeoutMs: 4000, maxSessionTimeoutMs: 40000 });
    expect(config('tickTime=2000\nminSessionTimeout=1000\nmaxSessionTimeout=90000')).toMatchObject({ minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 90000 });
  });

  it('puts the log in dataDir unless dataLogDir is set', () => {
    expect(config('dataDir=/var/zk')).toMatchObject({ dataDir: '/var/zk', dataLogDir: '/var/zk' });
    expect(config('dataDir=/var/zk\ndataLogDir=/fast/zk')).toMatchObject({ dataDir: '/var/zk', dataLogDir: '/fast/zk' });
  });
});

describe('each key', () => {
  const cases: [string, Partial<ZooKeeperConfig>][] = [
    ['tickTime=2000', { tickTimeMs: 2000 }],
    ['dataDir=/tmp/zookeeper', { dataDir: '/tmp/zookeeper' }],
    ['dataLogDir=/tmp/zklog', { dataLogDir: '/tmp/zklog' }],
    ['clientPort=2182', { clientPort: 2182 }],
    ['clientPort=0', { clientPort: 0 }],
    ['clientPortAddress=0.0.0.0', { clientPortAddress: '0.0.0.0' }],
    ['clientPortAddress=::1', { clientPortAddress: '::1' }],
    ['maxClientCnxns=0', { maxClientCnxns: 0 }],
    ['globalOutstandingLimit=5000', { globalOutstandingLimit: 5000 }],
    ['snapCount=50000', { snapCount: 50000 }],
    ['preAllocSize=16', { preAllocBytes: 16 * 1024 }],
    ['autopurge.snapRetainCount=5', { snapRetainCount: 5 }],
    ['autopurge.purgeInterval=24', { purgeIntervalHours: 24 }],
    ['jute.maxbuffer=4194304', { juteMaxBufferBytes: 4194304 }],
    ['jute.maxbuffer=0x400000', { juteMaxBufferBytes: 4194304 }],
    ['forceSync=no', { forceSync: false }],
    ['forceSync=YES', { forceSync: true }],
    ['DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=', { superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=' }],
    ['initLimit=20', { initLimitTicks: 20 }],
    ['syncLimit=2', { syncLimitTicks: 2 }],
    ['leaderServes=no', { leaderServes: false }],
    ['peerType=observer', { peerType: 'observer' }],
    ['cnxTimeout=10000', { cnxTimeoutMs: 10000 }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => {
      const result = parsed(line);
      expect(result.config).toMatchObject(expected);
      expect(result.warnings).toEqual([]);
    });
  }

  it('4lw.commands.whitelist: comma separated, trimmed, srvr always, * for every known word', () => {
    expect(config('4lw.commands.whitelist=stat, ruok, conf, isro').fourLetterWordWhitelist).toEqual(['conf', 'isro', 'ruok', 'srvr', 'stat']);
    expect(config('4lw.commands.whitelist=').fourLetterWordWhitelist).toEqual(['srvr']);
    expect(config('4lw.commands.whitelist=*').fourLetterWordWhitelist).toEqual([...knownFourLetterWords]);
    expect(parsed('4lw.commands.whitelist=ruok,dance').warnings).toEqual(['4lw.commands.whitelist: unknown four-letter word "dance"; ignored']);
  });

  it('raises snapRetainCount below 3 to 3 and snapCount below 2 to 2, with warnings, as ZooKeeper does', () => {
    const result = parsed('autopurge.snapRetainCount=1\nsnapCount=1');
    expect(result.config).toMatchObject({ snapRetainCount: 3, snapCount: 2 });
    expect(result.warnings).toEqual(['snapCount 1 is below 2; using 2', 'autopurge.snapRetainCount 1 is below 3; using 3']);
  });
});

describe('errors and warnings', () => {
  it('names the key, the value and what was expected', () => {
    expect(errorsOf('tickTime=fast')).toEqual(['line 1: invalid tickTime="fast": expected a non-negative integer']);
    expect(errorsOf('\ntickTime=0')).toEqual(['line 2: invalid tickTime="0": expected a positive integer']);
    expect(errorsOf('clientPort=70000')).toEqual(['line 1: invalid clientPort="70000": expected a port number (0..65535)']);
    expect(errorsOf('forceSync=maybe')).toEqual(['line 1: invalid forceSync="maybe": expected yes or no']);
    expect(errorsOf('peerType=leader')).toEqual(['line 1: invalid peerType="leader": expected participant or observer']);
    expect(errorsOf('jute.maxbuffer=1MB')[0]).toBe('line 1: invalid jute.maxbuffer="1MB": expected a positive integer (decimal or 0x hex)');
    expect(errorsOf('DigestAuthenticationProvider.superDigest=super:secret')[0]).toMatch(/^line 1: invalid DigestAuthenticationProvider.superDigest="super:secret": expected user:base64/);
    expect(errorsOf('maxClientCnxns=-1')).toEqual(['line 1: invalid maxClientCnxns="-1": expected a non-negative integer']);
    expect(errorsOf('dataDir=')).toEqual(['line 1: invalid dataDir="": expected a non-empty path']);
  });

  it('reports every error of a file at once', () => {
    const result = parseZooCfg('tickTime=x\nclientPort=y\nsnapCount=10\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.map((e) => [e.key, e.value, e.line])).toEqual([['tickTime', 'x', 1], ['clientPort', 'y', 2], ['dataDir', '', undefined]]);
  });

  it('refuses a minSessionTimeout above maxSessionTimeout', () => {
    expect(errorsOf('minSessionTimeout=50000\nmaxSessionTimeout=40000')).toEqual(['minSessionTimeout (50000 ms) must not be larger than maxSessionTimeout (40000 ms)']);
    // Derived bound: 20 ticks of 1000 ms is below 30000.
    expect(errorsOf('tickTime=1000\nminSessionTimeout=30000')).toEqual(['minSessionTimeout (30000 ms) must not be larger than maxSessionTimeout (20000 ms)']);
  });

  it('warns about unknown keys and about ZooKeeper keys it does not support, without failing', () => {
    const result = parsed('tickTime=2000\nfoo=bar\nadmin.enableServer=false\nmetricsProvider.maxQueueSize=10\n');
    expect(result.warnings).toEqual([
      'line 2: unknown key foo; ignored',
      'line 4: metricsProvider.maxQueueSize is a ZooKeeper setting this server does not implement; ignored: the Prometheus provider records in the request path, without worker threads or a queue to tune',
    ]);
  });

  it('reads the AdminServer and metrics provider keys with ZooKeeper\'s defaults', () => {
    const defaults = parsed('');
    expect(defaults.config.adminServer).toEqual({ address: '0.0.0.0', port: 8080, commandUrl: '/commands', idleTimeoutMs: 30000, forceHttps: false, portUnification: false });
    expect(defaults.config.prometheus).toBeUndefined();
    expect(parsed('admin.enableServer=false').config.adminServer).toBeUndefined();
    const set = parsed(
      'admin.serverAddress=127.0.0.1\nadmin.serverPort=9090\nadmin.commandURL=/cmds\nadmin.idleTimeout=1000\n' +
        'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.exportJvmInfo=false\n',
    );
    expect(set.config.adminServer).toEqual({ address: '127.0.0.1', port: 9090, commandUrl: '/cmds', idleTimeoutMs: 1000, forceHttps: false, portUnification: false });
    expect(set.config.prometheus).toEqual({ host: '127.0.0.1', port: 7000, exportJvmInfo: false });
    expect(errorsOf('metricsProvider.className=com.example.MyProvider')[0]).toMatch(/invalid metricsProvider\.className.*PrometheusMetricsProvider or .*DefaultMetricsProvider/);
    expect(errorsOf('admin.serverPort=80800')[0]).toMatch(/invalid admin\.serverPort/);
  });

  it('reads the sample zoo.cfg ZooKeeper ships without a warning', () => {
    const sample = [
      '# The number of milliseconds of each tick',
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      'dataDir=/tmp/zookeeper',
      'clientPort=2181',
      '#maxClientCnxns=60',
      '#autopurge.snapRetainCount=3',
      '#autopurge.purgeInterval=1',
    ].join('\n');
    const result = parsed(sample);
    expect(result.warnings).toEqual([]);
    expect(result.config).toMatchObject({ tickTimeMs: 2000, initLimitTicks: 10, syncLimitTicks: 5, dataDir: '/tmp/zookeeper', clientPort: 2181 });
  });
});

describe('server.N lines', () => {
  it('parses host:quorumPort:electionPort with the optional role and client address', () => {
    expect(parseServerLine(1, 'zk1.example.com:2888:3888')).toEqual({
      ok: true,
      value: { id: 1, host: 'zk1.example.com', quorumPort: 2888, electionPort: 3888, peerType: 'participant', clientAddress: undefined, clientPort: undefined },
    });
    expect(parseServerLine(4, '10.0.0.4:2888:3888:observer')).toMatchObject({ ok: true, value: { peerType: 'observer' } });
    expect(parseServerLine(2, '127.0.0.1:2888:3888:participant;2181')).toMatchObject({ ok: true, value: { clientAddress: '0.0.0.0', clientPort: 2181 } });
    expect(parseServerLine(3, '127.0.0.1:2888:3888;127.0.0.1:2183')).toMatchObject({ ok: true, value: { clientAddress: '127.0.0.1', clientPort: 2183 } });
    expect(parseServerLine(5, '[::1]:2888:3888;[::1]:2181')).toMatchObject({ ok: true, value: { host: '::1', clientAddress: '::1', clientPort: 2181 } });
  });

  it('rejects malformed lines with the line in the message', () => {
    const bad = (value: string) => {
      const r = parseServerLine(1, value);
      return r.ok ? 'accepted' : r.error;
    };
    expect(bad('zk 1.example.com:2888:3888')).toBe('server.1=zk 1.example.com:2888:3888: the host "zk 1.example.com" contains white space');
    expect(bad('zk1:2888:3888;10.0.0 .1:2181')).toBe('server.1=zk1:2888:3888;10.0.0 .1:2181: the client address "10.0.0 .1" contains white space');
    expect(bad('host:2888')).toBe('server.1=host:2888: expected host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]');
    expect(bad('host:2888:3888:leader')).toBe('server.1=host:2888:3888:leader: unknown peer type "leader"');
    expect(bad('host:2888:2888')).toBe('server.1=host:2888:2888: quorum and election ports must differ');
    expect(bad('host:x:3888')).toBe('server.1=host:x:3888: quorum port "x" is not a port number (1..65535)');
    expect(bad('host:2888:99999')).toBe('server.1=host:2888:99999: election port "99999" is not a port number (1..65535)');
    expect(bad('host:2888:3888;a:b:c')).toMatch(/expected host:quorumPort/);
    expect(bad('a:2888:3888|b:2888:3888')).toBe('server.1=a:2888:3888|b:2888:3888: several addresses per server (multiAddress) are not supported');
  });

  it('collects an ensemble from zoo.cfg, sorted by id, and requires initLimit and syncLimit', () => {
    const text = 'tickTime=2000\ninitLimit=10\nsyncLimit=5\nserver.3=c:2890:3890\nserver.1=a:2888:3888\nserver.2=b:2889:3889:observer\n';
    const c = config(text);
    expect(c.servers.map((s) => [s.id, s.host, s.quorumPort, s.electionPort, s.peerType])).toEqual([
      [1, 'a', 2888, 3888, 'participant'],
      [2, 'b', 2889, 3889, 'observer'],
      [3, 'c', 2890, 3890, 'participant'],
    ]);
    expect(isStandalone(c)).toBe(false);
    expect(errorsOf('server.1=a:2888:3888\nserver.2=b:2888:3888\n')).toEqual([
      'initLimit is not set (required with server.N lines)',
      'syncLimit is not set (required with server.N lines)',
    ]);
    expect(errorsOf('initLimit=5\nsyncLimit=2\nserver.x=a:1:2')).toEqual(['line 3: invalid server.x: the server id after "server." must be a non-negative integer']);
  });
});

describe('loading a file and myid', () => {
  const files = (entries: Record<string, string>) => async (path: string) => {
    const text = entries[path];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };
  const ensemble = 'dataDir=/zk\ninitLimit=10\nsyncLimit=5\nserver.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888:observer\n';

  it('refuses a zoo.cfg without dataDir, as ZooKeeper does ("dataDir is not set")', async () => {
    const loaded = await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': 'tickTime=2000\nclientPort=2181\n' }));
    expect(loaded).toMatchObject({ ok: false, error: [{ key: 'dataDir', message: 'dataDir is not set: ZooKeeper has no default for it either; add dataDir=/path/to/data to zoo.cfg' }] });
    expect(await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': 'dataDir=/zk\n' }))).toMatchObject({ ok: true, value: { myid: undefined, path: '/etc/zoo.cfg', warnings: [], config: { clientPort: 2181, clientPortAddress: '0.0.0.0', dataDir: '/zk' } } });
  });

  it('reads myid for an ensemble member and checks it names a server line', async () => {
    expect(await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': ensemble, '/zk/myid': '2\n' }))).toMatchObject({ ok: true, value: { myid: 2 } });
    const missing = await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': ensemble }));
    expect(missing).toMatchObject({ ok: false, error: [{ key: 'myid', message: '/zk/myid is missing: an ensemble member must know its server id' }] });
    const stranger = await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': ensemble, '/zk/myid': '7' }));
    expect(stranger).toMatchObject({ ok: false, error: [{ message: 'myid 7 matches no server.N line (servers: 1, 2, 3)' }] });
  });

  it('believes the server line over peerType, with a warning, as ZooKeeper does', async () => {
    const loaded = await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': ensemble, '/zk/myid': '3' }));
    expect(loaded).toMatchObject({ ok: true, value: { config: { peerType: 'observer' }, warnings: ['peerType participant does not match server.3 (observer); using observer'] } });
  });

  it('with extendedTypesEnabled, refuses a myid above 254 (EphemeralType.validateServerId)', async () => {
    const big = ensemble.replace('server.3=c:2888:3888:observer', 'server.255=c:2888:3888') + 'extendedTypesEnabled=true\n';
    expect(await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': big, '/zk/myid': '255' }))).toMatchObject({
      ok: false,
      error: [{ key: 'myid', message: 'extendedTypesEnabled is true but Server ID is too large. Cannot be larger than 254 (myid 255)' }],
    });
    expect(await loadConfig('/etc/zoo.cfg', files({ '/etc/zoo.cfg': big, '/zk/myid': '2' }))).toMatchObject({ ok: true, value: { config: { treeFeatures: { extendedTypesEnabled: true } } } });
  });

  it('reads the tree features\' keys, booleans as true or false only', () => {
    expect(config('enforceQuota=true\nextendedTypesEnabled=TRUE\ndigest.enabled=false\nznode.container.checkIntervalMs=500\nznode.container.maxPerMinute=60\nznode.container.maxNeverUsedIntervalMs=1000').treeFeatures).toEqual({
      enforceQuota: true,
      extendedTypesEnabled: true,
      digestEnabled: false,
      containerCheckIntervalMs: 500,
      containerMaxPerMinute: 60,
      containerMaxNeverUsedIntervalMs: 1000,
    });
    expect(errorsOf('enforceQuota=yes')).toEqual(['line 1: invalid enforceQuota="yes": expected true or false']);
  });

  it('reports a myid that is not a number, and a missing zoo.cfg', async () => {
    expect(await readMyid('/zk', files({ '/zk/myid': 'one' }))).toEqual({ ok: false, error: '/zk/myid must hold a server id (a non-negative integer), holds "one"' });
    expect(await readMyid('/zk', files({}))).toEqual({ ok: true, value: undefined });
    expect(await loadConfig('/nope.cfg', files({}))).toMatchObject({ ok: false, error: [{ message: 'cannot read /nope.cfg: ENOENT' }] });
  });
});

describe('handing the settings to storage', () => {
  it('maps the storage keys one to one', async () => {
    const { storageOptionsFrom } = await import('./storage-options.ts');
    const c = config('dataDir=/d\ndataLogDir=/l\nforceSync=no\nsnapCount=500\nautopurge.snapRetainCount=4\nautopurge.purgeInterval=6');
    expect(storageOptionsFrom(c)).toEqual({ dataDir: '/d', dataLogDir: '/l', forceSync: false, snapCount: 500, snapRetainCount: 4, purgeIntervalHours: 6 });
    expect(storageOptionsFrom(config('dataDir=/d\npreAllocSize=0'))).toMatchObject({ preAllocBytes: 0 });
  });
});
