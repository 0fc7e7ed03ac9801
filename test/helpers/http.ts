// HTTP as a hostile client sends it: raw bytes on a socket (paths not normalized, bodies cut short or
// dripped slowly), and the answer parsed into status, headers and body. For the server tests.

import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the connection to the end of the answer. */
  ms: number;
}

export async function listen(app: FastifyInstance): Promise<{ base: string; port: number }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { base: `http://127.0.0.1:${port}`, port };
}

/** Parses an HTTP/1.1 answer (status line, headers, body). */
export function parseAnswer(text: string, ms = 0): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end === -1 ? text.length : end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(head[0].split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4), ms };
}

/**
 * Sends `parts` on a fresh connection (each after `gapMs`, the last one left hanging when `hold` is set)
 * and resolves with whatever the server answers before it closes the connection or `timeoutMs` passes.
 */
export function rawExchange(port: number, parts: (string | Buffer)[], o: { gapMs?: number; timeoutMs?: number } = {}): Promise<RawAnswer & { socket: Socket }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1');
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve({ ...parseAnswer(Buffer.concat(chunks).toString('latin1'), Date.now() - started), socket: s });
    };
    s.on('connect', async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0 && o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        if (s.destroyed) return;
        s.write(p);
      }
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', finish);
    s.on('error', finish);
    s.setTimeout(o.timeoutMs ?? 10_000, () => {
      finish();
      s.destroy();
    });
  });
}
