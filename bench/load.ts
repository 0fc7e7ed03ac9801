// Load test for POST /api/predict on loopback. Two modes:
//  - a fixed number of requests from concurrent keep-alive clients of one kind (loadTest: the server test
//    uses it too);
//  - mixed clients at once (JSON pixels, PNG scans, and optionally decompression bombs) for a duration,
//    against `digitnet serve` run as its own process, reporting requests/s, p50/p99 and failures per kind
//    and the server's resident memory; with --soak the same for minutes, sampling the server's memory
//    every 10 s and checking that it stays flat (last minute against the second, within 10%).
//
//   node dist/bench/load.js [--model DIR] [--json C] [--png C] [--bombs C] [--seconds S] [--soak MINUTES]
//   node dist/bench/load.js URL [--requests N] [--concurrency C] [--png]      (one kind, fixed count)
// With no --model it serves the newest run under runs/.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
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
        const r = await post(agent, o.url, o.body, o.contentType, Math.max(1000, o.deadlineMs));
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        o.check?.(r.text);
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
  const q = quantiles(latencies);
  return { requests: o.requests, ok: latencies.length, failed, errors, seconds, perSecond: latencies.length / seconds, ...q };
}

function quantiles(latencies: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const s = [...latencies].sort((a, b) => a - b);
  const pct = (q: number): number => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  return { p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: s.length ? s[s.length - 1] : NaN };
}

function post(agent: Agent, url: string, body: Buffer, contentType: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export function formatLoad(label: string, r: LoadResult, concurrency: number): string {
  return `${label}: ${r.ok}/${r.requests} ok, ${r.failed} failed, concurrency ${concurrency}, ${r.perSecond.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms (${r.seconds.toFixed(2)} s)`;
}

// ---- mixed clients against a server process ------------------------------------------------------

interface ClientKind {
  name: string;
  body: Buffer;
  type: string;
  concurrency: number;
  /** The status this kind should get (bombs: 413). */
  expect: number;
}

interface KindResult {
  name: string;
  concurrency: number;
  ok: number;
  /** Answers with another status, by status (0: network error or timeout). */
  other: Record<number, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Runs every kind of client at once for `seconds`; latencies of the expected answers only. */
async function mixedLoad(url: string, kinds: ClientKind[], seconds: number): Promise<KindResult[]> {
  const end = performance.now() + seconds * 1000;
  return Promise.all(kinds.map(async (k) => {
    const agent = new Agent({ keepAlive: true, maxSockets: k.concurrency });
    const latencies: number[] = [];
    const other: Record<number, number> = {};
    const started = performance.now();
    await Promise.all(Array.from({ length: k.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await post(agent, url, k.body, k.type, 30_000).catch(() => ({ status: 0, text: '' }));
        if (r.status === k.expect) latencies.push(performance.now() - t0);
        else other[r.status] = (other[r.status] ?? 0) + 1;
      }
    }));
    agent.destroy();
    return { name: k.name, concurrency: k.concurrency, ok: latencies.length, other, perSecond: latencies.length / ((performance.now() - started) / 1000), ...quantiles(latencies) };
  }));
}

function formatKind(r: KindResult): string {
  const other = Object.entries(r.other).map(([s, n]) => `${n} × ${s === '0' ? 'no answer' : `HTTP ${s}`}`).join(', ');
  return `  ${r.name.padEnd(24)} ${String(r.concurrency).padStart(3)} clients  ${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(1).padStart(6)} ms  p99 ${r.p99Ms.toFixed(1).padStart(6)} ms  max ${r.maxMs.toFixed(1).padStart(6)} ms${other ? `  (also ${other})` : ''}`;
}

/** The server's resident memory now and at its peak, in MB, from /proc. */
function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** `digitnet serve` as its own process on a free port; resolves once it listens. */
async function startServer(model: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [main, 'serve', '--port', '0', ...(model ? ['--model', model] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/api/predict` };
}

/** A 28x28 MNIST test image as the JSON body, as an upscaled black-on-white PNG scan, and a PNG bomb. */
async function sampleBodies(): Promise<{ json: Buffer; png: Buffer; bomb: Buffer }> {
  const { loadMnist } = await import('../src/data/mnist.js');
  const { encodeGrayPng } = await import('../src/data/images.js');
  const { deflateSync, crc32 } = await import('node:zlib');
  const img = loadMnist().test.images.subarray(0, 784);
  const json = Buffer.from(JSON.stringify({ pixels: Array.from(img) }));
  const s = 4;
  const big = new Uint8Array(28 * s * 28 * s);
  for (let y = 0; y < 28 * s; y++) for (let x = 0; x < 28 * s; x++) big[y * 28 * s + x] = 255 - img[Math.floor(y / s) * 28 + Math.floor(x / s)];
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 0, 0, 0, 0]); // 30000x30000, 8-bit grey
  const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1 << 16))), chunk('IEND', Buffer.alloc(0))]);
  return { json, png: encodeGrayPng(big, 28 * s, 28 * s), bomb };
}

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

async function mixedMain(args: string[]): Promise<number> {
  const m = args.indexOf('--model');
  const { child, url } = await startServer(m >= 0 ? args[m + 1] : undefined);
  const bodies = await sampleBodies();
  const kinds: ClientKind[] = [
    { name: 'JSON pixels', body: bodies.json, type: 'application/json', concurrency: flag(args, '--json', 16), expect: 200 },
    { name: 'PNG 112x112 scans', body: bodies.png, type: 'image/png', concurrency: flag(args, '--png', 16), expect: 200 },
    { name: 'PNG bombs (30000x30000)', body: bodies.bomb, type: 'image/png', concurrency: flag(args, '--bombs', 0), expect: 413 },
  ].filter((k) => k.concurrency > 0);
  const soakMinutes = flag(args, '--soak', 0);
  let failed = false;
  try {
    await mixedLoad(url, kinds, 2); // warm-up
    if (!soakMinutes) {
      const seconds = flag(args, '--seconds', 20);
      const results = await mixedLoad(url, kinds, seconds);
      const mem = rssOf(child.pid!);
      console.log(`POST /api/predict, all clients at once for ${seconds} s (server: digitnet serve, its own process):`);
      for (const r of results) console.log(formatKind(r));
      console.log(`  server memory: ${mem.rssMb.toFixed(0)} MB resident, ${mem.peakMb.toFixed(0)} MB peak`);
      failed = results.some((r) => Object.keys(r.other).length > 0);
    } else {
      failed = await soak(url, kinds, soakMinutes, child.pid!);
    }
  } finally {
    child.kill('SIGTERM');
  }
  return failed ? 1 : 0;
}

/** Minute after minute of mixed load; the server's memory sampled every 10 s; flat when the last minute is within 10% of the second. */
async function soak(url: string, kinds: ClientKind[], minutes: number, pid: number): Promise<boolean> {
  const samples: { at: number; rss: number }[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => samples.push({ at: (performance.now() - t0) / 60_000, rss: rssOf(pid).rssMb }), 10_000);
  let failed = false;
  for (let minute = 1; minute <= minutes; minute++) {
    const results = await mixedLoad(url, kinds, 60);
    const mem = rssOf(pid);
    console.log(`minute ${minute}: ${results.map((r) => `${r.name} ${r.perSecond.toFixed(0)} req/s p99 ${r.p99Ms.toFixed(1)} ms${Object.keys(r.other).length ? ` (others: ${JSON.stringify(r.other)})` : ''}`).join('; ')}; server ${mem.rssMb.toFixed(0)} MB`);
    failed ||= results.some((r) => Object.keys(r.other).length > 0);
  }
  clearInterval(timer);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const second = mean(samples.filter((s) => s.at >= 1 && s.at < 2).map((s) => s.rss));
  const last = mean(samples.filter((s) => s.at >= minutes - 1).map((s) => s.rss));
  const change = (last - second) / second;
  const flat = Math.abs(change) <= 0.1;
  console.log(`soak: ${minutes} minutes, server memory ${second.toFixed(0)} MB in minute 2, ${last.toFixed(0)} MB in the last minute (${(change * 100).toFixed(1)}%): ${flat ? 'flat within 10%' : 'NOT flat'}`);
  return failed || !flat;
}

async function singleMain(args: string[], url: string): Promise<number> {
  const requests = flag(args, '--requests', 2000);
  const concurrency = flag(args, '--concurrency', 16);
  const png = args.includes('--png');
  const bodies = await sampleBodies();
  const r = await loadTest({ url, body: png ? bodies.png : bodies.json, contentType: png ? 'image/png' : 'application/json', requests, concurrency, deadlineMs: 60_000 });
  console.log(formatLoad(`POST /api/predict (${png ? 'PNG 112x112' : 'JSON pixels'})`, r, concurrency));
  for (const e of r.errors) console.log(`  failure: ${e}`);
  return r.failed > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const url = args.find((a) => /^https?:/.test(a));
  process.exit(url ? await singleMain(args, url) : await mixedMain(args));
}
