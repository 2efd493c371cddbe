// The JPEG behind a camera's snapshot URI, over HTTP with digest or basic auth (ONVIF only hands out
// the URL), bounded in bytes and in time: a camera that sends 5 MB, or trickles, costs the pole
// at most `maxBytes` of memory and `timeoutMs` of waiting.
import http from 'node:http';

export interface FetchSnapshotOptions {
  username?: string;
  password?: string;
  timeoutMs: number;
  maxBytes: number;
  agent?: http.Agent;
  /** Builds a Digest Authorization header from the camera's challenges (the onvif package's digestAuth). */
  digest: (challenges: string[], request: { method: string; path: string }) => string;
}

export class SnapshotError extends Error {
  constructor(message: string, readonly reason: 'too-large' | 'timeout' | 'refused' | 'http' | 'network' | 'not-jpeg') {
    super(message);
  }
}

function get(url: URL, headers: http.OutgoingHttpHeaders, options: FetchSnapshotOptions, deadline: number): Promise<{ status: number; challenges: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: options.agent }, (res) => {
      const challenges: string[] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() === 'www-authenticate') challenges.push(res.rawHeaders[i + 1]!);
      const declared = Number(res.headers['content-length'] ?? 0);
      if (res.statusCode === 200 && declared > options.maxBytes) {
        request.destroy();
        return reject(new SnapshotError(`snapshot of ${declared} bytes is larger than the limit of ${options.maxBytes} (snapshotMaxBytes)`, 'too-large'));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          request.destroy();
          reject(new SnapshotError(`snapshot larger than the limit of ${options.maxBytes} bytes (snapshotMaxBytes)`, 'too-large'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenges, body: Buffer.concat(chunks) }));
      res.on('error', (err) => reject(new SnapshotError(`snapshot download failed: ${err.message}`, 'network')));
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new SnapshotError(`snapshot not received within ${options.timeoutMs} ms`, 'timeout'));
    }, Math.max(0, deadline - Date.now()));
    request.on('close', () => clearTimeout(timer));
    request.on('error', (err) => reject(new SnapshotError(`snapshot download failed: ${err.message}`, 'network')));
  });
}

export async function fetchSnapshot(uri: string, options: FetchSnapshotOptions): Promise<Buffer> {
  const url = new URL(uri);
  const deadline = Date.now() + options.timeoutMs;
  const path = `${url.pathname}${url.search}`;
  let answer = await get(url, {}, options, deadline);
  if (answer.status === 401 && options.username !== undefined) {
    const digest = answer.challenges.filter((c) => c.startsWith('Digest'));
    const authorization = digest.length > 0
      ? options.digest(digest, { method: 'GET', path })
      : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    answer = await get(url, { Authorization: authorization }, options, deadline);
  }
  if (answer.status === 401) throw new SnapshotError(`the camera refused the credentials for its snapshot ${url.origin}${url.pathname} (HTTP 401)`, 'refused');
  if (answer.status !== 200) throw new SnapshotError(`snapshot ${url.origin}${url.pathname} answered HTTP ${answer.status}`, 'http');
  if (answer.body[0] !== 0xff || answer.body[1] !== 0xd8) throw new SnapshotError(`snapshot ${url.origin}${url.pathname} is not a JPEG`, 'not-jpeg');
  return answer.body;
}
