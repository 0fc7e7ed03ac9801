// Load test for POST /api/predict on loopback: a fixed number of requests from a fixed number of
// concurrent keep-alive clients, with a deadline; reports requests/s and latency percentiles and
// counts every request that failed (non-2xx, network error, or not done by the deadline).
//
//   node dist/bench/load.js [URL] [--model DIR] [--requests N] [--concurrency C] [--png]
// With no URL it starts a server on 127.0.0.1 for --model, or the newest run under runs/.

import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  /** Full URL of the endpoint, e.g. http://127.0.0.1:8080/api/predict. */
  url: string;
  body: Buffer;
  contentType: string;
  requests: number;
  concurrency: number;
  /** Requests not finished by then count as failed. */
  deadlineMs: number;
  /** Checks each 2xx response body; a thrown error counts as a failure. */
  check?: (body: string) => void;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  /** The first few failures, for the report. */
  errors: string[];
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function loadTest(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + o.deadlineMs;
  const worker = async (): Promise<void> => {
    while (next < o.requests) {
      next++;
      if (performance.now() > deadline) {
        failed++;
        if (errors.length < 5) errors.push(`not sent: the ${o.deadlineMs} ms deadline passed`);
        continue;
      }
      const t0 = performance.now();
      try {
        const body = await post(agent, o);
        o.check?.(body);
        latencies.push(performance.now() - t0);
      } catch (e) {
        failed++;
        if (errors.length < 5) errors.push((e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] : NaN);
  return {
    requests: o.requests,
    ok: latencies.length,
    failed,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : NaN,
  };
}

function post(agent: Agent, o: LoadOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(o.url, { method: 'POST', agent, headers: { 'content-type': o.contentType, 'content-length': o.body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        else resolve(text);
      });
      res.on('error', reject);
    });
    req.setTimeout(Math.max(1000, o.deadlineMs), () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(o.body);
  });
}

export function formatLoad(label: string, r: LoadResult, concurrency: number): string {
  return `${label}: ${r.ok}/${r.requests} ok, ${r.failed} failed, concurrency ${concurrency}, ${r.perSecond.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms (${r.seconds.toFixed(2)} s)`;
}

/** A 28x28 MNIST test image as the JSON body and as an upscaled black-on-white PNG (like a scan). */
async function sampleBodies(): Promise<{ json: Buffer; png: Buffer }> {
  const { loadMnist } = await import('../src/data/mnist.js');
  const { encodeGrayPng } = await import('../src/data/images.js');
  const img = loadMnist().test.images.subarray(0, 784);
  const json = Buffer.from(JSON.stringify({ pixels: Array.from(img) }));
  const s = 4;
  const big = new Uint8Array(28 * s * 28 * s);
  for (let y = 0; y < 28 * s; y++) for (let x = 0; x < 28 * s; x++) big[y * 28 * s + x] = 255 - img[Math.floor(y / s) * 28 + Math.floor(x / s)];
  return { json, png: encodeGrayPng(big, 28 * s, 28 * s) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const requests = flag('--requests', 2000);
  const concurrency = flag('--concurrency', 16);
  const png = args.includes('--png');
  let url = args.find((a) => /^https?:/.test(a));
  let close = async (): Promise<void> => undefined;
  if (!url) {
    await import('../src/index.js'); // the backend `digitnet serve` runs on: native when the addon loads
    const { serve } = await import('../src/cli/commands/serve.js');
    const m = args.indexOf('--model');
    const app = await serve({ model: m >= 0 ? args[m + 1] : undefined, port: 0, host: '127.0.0.1', log: () => undefined });
    const addr = app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/predict`;
    close = () => app.close();
  }
  const bodies = await sampleBodies();
  const r = await loadTest({
    url,
    body: png ? bodies.png : bodies.json,
    contentType: png ? 'image/png' : 'application/json',
    requests,
    concurrency,
    deadlineMs: 60_000,
  });
  console.log(formatLoad(`POST /api/predict (${png ? 'PNG 112x112' : 'JSON pixels'})`, r, concurrency));
  for (const e of r.errors) console.log(`  failure: ${e}`);
  await close();
  process.exit(r.failed > 0 ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
