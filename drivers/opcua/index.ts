// The built-in `opcua` driver: reads the nodes a manifest lists from an OPC UA server, with
// node-opcua's client. node-opcua (33 MB, about 50 MiB of RSS) is imported at the first open, so a
// pole without an OPC UA device never loads it, and config/ can check options without it.
// One connection and session per device. Whatever breaks it (a server restart, a lost socket, a
// session the server forgot) drops the whole client; the next poll connects afresh, so recovery
// needs no state of node-opcua's own reconnection. Its certificates live under the pole's state
// folder (context.stateDir), never in ~/.config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientMonitoredItem, ClientSession, ClientSubscription, DataValue, OPCUAClient } from 'node-opcua-client';
import { PolegateError, type Driver, type DriverContext, type DriverRuntime, type MetricInfo, type Sample } from '../sdk/index.js';
import type { OpcuaDriverOptions, OpcuaNodeOptions } from './options.js';
import { sampleOf, type NodeValue } from './samples.js';

type Client = typeof import('node-opcua-client');
type CertificateManagers = typeof import('node-opcua-certificate-manager');

let libraries: Promise<[Client, CertificateManagers]> | undefined;

/** node-opcua, once per process; its console logging goes to the first driver's log at debug. */
function load(log: DriverContext['log']): Promise<[Client, CertificateManagers]> {
  libraries ??= Promise.all([import('node-opcua-client'), import('node-opcua-certificate-manager')]).then((libs) => {
    const say = (...args: unknown[]) => log.debug({ opcua: args.map(String).join(' ') }, 'node-opcua');
    libs[0].setWarningLogger(say);
    libs[0].setErrorLogger(say);
    libs[0].setDebugLogger(say);
    return libs;
  });
  return libraries;
}

const METRIC_TYPES: Record<OpcuaNodeOptions['type'], MetricInfo['type']> = { float: 'number', int: 'number', bool: 'boolean', string: 'string' };

interface Connection {
  client: OPCUAClient;
  session: ClientSession;
  subscription?: ClientSubscription;
  /** Set when the link broke: the next poll connects afresh. */
  broken?: string;
}

function withTimeout<T>(what: string, timeoutMs: number, running: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new PolegateError(`${what}: no answer within ${timeoutMs} ms`, 'OPCUA_TIMEOUT')), timeoutMs);
  });
  return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
}

class OpcuaDriver implements Driver {
  private connection: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  /** subscribe: the latest value of each node, by index. */
  private latest: Array<NodeValue | undefined> = [];
  private readonly timeoutMs: number;

  constructor(private readonly options: OpcuaDriverOptions, private readonly context: DriverContext) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  describe() {
    return { metrics: this.options.nodes.map((n) => ({ name: n.name, unit: n.unit ?? '', type: METRIC_TYPES[n.type] })) };
  }

  async open(): Promise<void> {
    await this.connected();
  }

  async read(): Promise<Sample[]> {
    const connection = await this.connected();
    const now = this.context.clock.now();
    if (connection.subscription && this.latest.every((v) => v !== undefined)) {
      return this.options.nodes.map((node, i) => sampleOf(node, this.latest[i]!, now));
    }
    const values = await this.readAll(connection);
    return this.options.nodes.map((node, i) => sampleOf(node, values[i]!, now));
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await this.dispose(connection);
  }

  private async connected(): Promise<Connection> {
    const current = this.connection;
    if (current && !current.broken) return current;
    if (current) {
      this.connection = undefined;
      this.context.log.info({ endpoint: this.options.endpoint, was: current.broken }, 'OPC UA link lost; connecting again');
      void this.dispose(current);
    }
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return (this.connection = await this.connecting);
  }

  private async connect(): Promise<Connection> {
    const { options, context, timeoutMs } = this;
    const [ua, certificates] = await load(context.log);
    if (!context.stateDir) throw new PolegateError(`opcua device ${context.deviceId}: the driver needs a state folder for its certificates (context.stateDir)`, 'NOT_SUPPORTED');
    const pki = join(context.stateDir, 'opcua-pki');
    // The first connect of a pole creates its client certificate (an RSA key: seconds on a small
    // CPU); only later connects are held to the device's timeout.
    const connectMs = existsSync(join(pki, 'own', 'certs', 'client_certificate.pem')) ? timeoutMs : Math.max(timeoutMs, 60_000);
    const securityMode = ua.MessageSecurityMode[options.securityMode ?? 'None'];
    const client = ua.OPCUAClient.create({
      applicationName: 'polegate',
      endpointMustExist: false,
      securityMode,
      securityPolicy: securityMode === ua.MessageSecurityMode.None ? ua.SecurityPolicy.None : ua.SecurityPolicy[options.securityPolicy ?? 'Basic256Sha256'],
      // No retries inside node-opcua: a failed connect is a failed poll, retried by the scheduler.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      transportTimeout: timeoutMs,
      defaultTransactionTimeout: timeoutMs,
      requestedSessionTimeout: 60_000,
      clientCertificateManager: new certificates.OPCUACertificateManager({
        rootFolder: pki,
        // Trust on first use: an unknown server certificate is accepted and kept under trusted/.
        automaticallyAcceptUnknownCertificate: true,
      }),
    });
    const connection: Connection = { client, session: undefined as unknown as ClientSession };
    const lost = (why: string) => () => (connection.broken ??= why);
    client.on('connection_lost', lost('connection lost'));
    client.on('close', lost('connection closed'));
    client.on('backoff', lost('connection lost'));
    try {
      await withTimeout(`OPC UA connect to ${options.endpoint}`, connectMs, client.connect(options.endpoint));
      const identity = options.username
        ? { type: ua.UserTokenType.UserName, userName: options.username, password: options.password ?? '' } as const
        : { type: ua.UserTokenType.Anonymous } as const;
      connection.session = await withTimeout(`OPC UA session on ${options.endpoint}`, timeoutMs, client.createSession(identity));
      connection.session.on('session_closed', lost('session closed'));
      // The first read checks that every node exists: a wrong node id is an error naming it.
      const values = await this.readAll(connection);
      const unknown = options.nodes.filter((_node, i) => values[i]!.status.name === 'BadNodeIdUnknown');
      if (unknown.length > 0) {
        throw new PolegateError(`${options.endpoint} has no node ${unknown.map((n) => `${n.nodeId} (nodes: ${n.name})`).join(', ')}; check the node ids in the manifest`, 'OPCUA_NODE_UNKNOWN');
      }
      if (options.subscribe) await this.monitor(ua, connection);
    } catch (err) {
      void this.dispose(connection);
      if (err instanceof PolegateError) throw err;
      throw new PolegateError(`OPC UA ${options.endpoint}: ${(err as Error).message.split('\n')[0]}`, 'OPCUA_CONNECT');
    }
    context.log.info({ endpoint: options.endpoint, securityMode: options.securityMode ?? 'None' }, 'OPC UA session open');
    return connection;
  }

  private async readAll(connection: Connection): Promise<NodeValue[]> {
    try {
      const values: DataValue[] = await connection.session.read(this.options.nodes.map((n) => ({ nodeId: n.nodeId, attributeId: 13 /* Value */ })));
      return values.map((v) => ({ value: v.value?.value, status: { value: v.statusCode.value, name: v.statusCode.name }, sourceTimestamp: v.sourceTimestamp, serverTimestamp: v.serverTimestamp }));
    } catch (err) {
      connection.broken ??= (err as Error).message;
      throw new PolegateError(`OPC UA read from ${this.options.endpoint} failed: ${(err as Error).message.split('\n')[0]}`, 'OPCUA_READ');
    }
  }

  /** Monitored items for every node; the latest value of each is what a poll reports. */
  private async monitor(ua: Client, connection: Connection): Promise<void> {
    const samplingMs = Math.max(50, Math.min(1000, Math.floor(this.timeoutMs / 5)));
    const subscription = await connection.session.createSubscription2({ requestedPublishingInterval: samplingMs, requestedLifetimeCount: 600, requestedMaxKeepAliveCount: 20, publishingEnabled: true });
    connection.subscription = subscription;
    this.latest = this.options.nodes.map(() => undefined);
    const items: ClientMonitoredItem[] = await Promise.all(this.options.nodes.map((node) =>
      subscription.monitor({ nodeId: node.nodeId, attributeId: ua.AttributeIds.Value }, { samplingInterval: samplingMs, discardOldest: true, queueSize: 1 }, ua.TimestampsToReturn.Both)));
    items.forEach((item, i) => item.on('changed', (v: DataValue) => {
      this.latest[i] = { value: v.value?.value, status: { value: v.statusCode.value, name: v.statusCode.name }, sourceTimestamp: v.sourceTimestamp, serverTimestamp: v.serverTimestamp };
    }));
    subscription.on('terminated', () => (connection.broken ??= 'subscription terminated'));
  }

  private async dispose(connection: Connection): Promise<void> {
    connection.broken ??= 'closed';
    try {
      await withTimeout('OPC UA close', this.timeoutMs, (async () => {
        await connection.subscription?.terminate().catch(() => undefined);
        await connection.session?.close().catch(() => undefined);
        await connection.client.disconnect();
      })());
    } catch {
      // A server that is gone cannot be told goodbye; the socket is closed either way.
    }
  }
}

const opcua: DriverRuntime<OpcuaDriverOptions> = {
  kind: 'opcua',
  create: (options, context) => new OpcuaDriver(options, context),
};

export default opcua;
