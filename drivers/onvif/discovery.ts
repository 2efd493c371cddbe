// WS-Discovery (the ONVIF way to find cameras on a LAN): a Probe for NetworkVideoTransmitters sent
// over UDP, to the multicast group or to one address, and the ProbeMatches that come back within a
// deadline. The onvif package's own probe always sends to the multicast group, so a camera on
// another subnet (reached by unicast) or a test on loopback could not use it.
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';

export const WS_DISCOVERY_GROUP = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;

const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';

export function probeXml(messageId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="${WSA}" xmlns:d="${WSD}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">`
    + `<s:Header><a:Action s:mustUnderstand="1">${WSD}/Probe</a:Action><a:MessageID>${messageId}</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>`
    + '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>';
}

export function probeMatchXml(match: { relatesTo: string; endpoint: string; xaddr: string; model: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="${WSA}" xmlns:d="${WSD}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">`
    + `<s:Header><a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${match.relatesTo}</a:RelatesTo><a:To>${WSA}/role/anonymous</a:To><a:Action>${WSD}/ProbeMatches</a:Action></s:Header>`
    + `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${match.endpoint}</a:Address></a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types>`
    + `<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/${encodeURIComponent(match.model)}</d:Scopes>`
    + `<d:XAddrs>${match.xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
}

export interface DiscoveredCamera {
  /** The camera's WS-Addressing endpoint (a urn:uuid), stable across address changes. */
  endpoint: string;
  /** Device service URLs the camera announces. */
  xaddrs: string[];
  /** Hardware model from the scopes, when announced. */
  hardware?: string;
  /** Who answered (address:port of the UDP reply). */
  from: string;
}

/** The cameras in one ProbeMatches answer (pure: text in, facts out); [] for anything else. */
export function parseProbeMatches(text: string, from: string): DiscoveredCamera[] {
  const cameras: DiscoveredCamera[] = [];
  for (const match of text.matchAll(/<(?:[\w-]+:)?ProbeMatch\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?ProbeMatch>/g)) {
    const body = match[1]!;
    const field = (name: string) => new RegExp(`<(?:[\\w-]+:)?${name}\\b[^>]*>([^<]*)<`).exec(body)?.[1]?.trim();
    const xaddrs = (field('XAddrs') ?? '').split(/\s+/).filter(Boolean);
    const endpoint = field('Address');
    if (!endpoint || xaddrs.length === 0) continue;
    const hardware = /onvif:\/\/www\.onvif\.org\/hardware\/(\S+)/.exec(field('Scopes') ?? '')?.[1];
    cameras.push({ endpoint, xaddrs, from, ...(hardware ? { hardware: decodeURIComponent(hardware) } : {}) });
  }
  return cameras;
}

/**
 * Sends one Probe to `target` (default: the multicast group on 3702) and collects the distinct
 * cameras that answer within `timeoutMs`.
 */
export function probe(options: { target?: { host: string; port: number }; timeoutMs: number }): Promise<DiscoveredCamera[]> {
  const target = options.target ?? { host: WS_DISCOVERY_GROUP, port: WS_DISCOVERY_PORT };
  const messageId = `urn:uuid:${randomUUID()}`;
  const socket = dgram.createSocket('udp4');
  const found = new Map<string, DiscoveredCamera>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => socket.close(() => resolve([...found.values()])), options.timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`WS-Discovery probe to ${target.host}:${target.port} failed: ${err.message}`));
    });
    socket.on('message', (message, from) => {
      const text = message.toString('utf8');
      if (!text.includes(messageId)) return;
      for (const camera of parseProbeMatches(text, `${from.address}:${from.port}`)) if (!found.has(camera.endpoint)) found.set(camera.endpoint, camera);
    });
    socket.bind(0, () => socket.send(probeXml(messageId), target.port, target.host));
  });
}
