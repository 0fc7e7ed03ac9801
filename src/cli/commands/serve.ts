// `digitnet serve`: the drawing page and the prediction API for one model. With no --model it serves
// the newest run under runs/, and when there is none it first trains the default model (so a fresh
// clone works with no other step).

import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer, DEFAULT_BODY_LIMIT } from '../../server/app.js';
import { newestRun } from '../../train/run-files.js';
import { DEFAULTS } from '../../train/defaults.js';

export interface ServeOptions {
  /** A run folder or a model folder; default: the newest run under runs/. */
  model?: string;
  port: number;
  host: string;
  /** Largest request body, in bytes (default 1 MB). */
  bodyLimit?: number;
  /** Where progress and the address go (default: stdout). */
  log?: (line: string) => void;
}

/** Starts the server and resolves once it listens; close the returned app to stop it. */
export async function serve(o: ServeOptions): Promise<FastifyInstance> {
  const log = o.log ?? ((line: string) => console.log(line));
  checkPort(o.port);
  const modelDir = o.model ?? (await defaultModel(log));
  const staticDir = await builtPage(log);
  const app = await createServer({ modelDir, staticDir, bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT });
  try {
    await app.listen({ port: o.port, host: o.host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`serve: port ${o.port} on ${o.host} is already in use; choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`serve: cannot listen on host '${o.host}' (${code}); try --host 127.0.0.1`);
    throw e;
  }
  const info = app.servedModel.info;
  const acc = info.testAccuracy === null ? '' : `, ${(info.testAccuracy * 100).toFixed(2)}% test accuracy`;
  log(`Serving ${info.name} (${info.totalParams.toLocaleString('en-US')} parameters${acc}) from ${relative(process.cwd(), modelDir) || '.'}`);
  log(`Open http://${displayHost(o.host)}:${portOf(app)}/ to draw digits; POST images to /api/predict. Ctrl+C stops.`);
  return app;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: --port must be an integer from 0 to 65535, got ${port}`);
}

/** The newest run under runs/, training the default model first when there is none. */
async function defaultModel(log: (line: string) => void): Promise<string> {
  const runsDir = join(process.cwd(), DEFAULTS.runsDir);
  const newest = newestRun(runsDir);
  if (newest) return newest;
  log(`No trained model under ${DEFAULTS.runsDir}/ yet: training the default model first (${DEFAULTS.epochs} epochs); the page opens when it is done.`);
  return trainFirst(log);
}

/** Trains the default model into a new run under runs/, with `digitnet train`'s progress bar and lines. */
async function trainFirst(log: (line: string) => void): Promise<string> {
  // Loaded only when needed: training pulls in the whole toolkit and picks the fastest backend.
  const { trainDefaultRun } = await import('../../train/run.js');
  const { progressPrinter } = await import('../progress.js');
  const { runDir } = await trainDefaultRun({ onProgress: progressPrinter(log) });
  log(`Saved the run in ${relative(process.cwd(), runDir)}`);
  return runDir;
}

/** dist/web, built on the spot when this checkout has not built the page yet. */
async function builtPage(log: (line: string) => void): Promise<string> {
  const root = packageRoot();
  const dir = join(root, 'dist', 'web');
  if (!existsSync(join(dir, 'index.html'))) {
    log('Building the page (dist/web)…');
    const { buildWeb } = (await import(pathToFileURL(join(root, 'scripts', 'build-web.mjs')).href)) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
    await buildWeb({ quiet: true });
  }
  return dir;
}

/** The folder holding digitnet's package.json, found upwards from this file (src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!isDigitnetRoot(dir)) {
    const up = dirname(dir);
    if (up === dir) throw new Error('serve: cannot find the digitnet package folder');
    dir = up;
  }
  return dir;
}

function isDigitnetRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'digitnet';
  } catch {
    return false;
  }
}

function portOf(app: FastifyInstance): number {
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The `serve` command: runs until Ctrl+C (or SIGTERM), then closes the server within a few seconds. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the draw-a-digit page and the prediction API (default: the newest run; trains one first if none)')
    .option('--model <dir>', 'run folder or model folder (default: newest run under runs/)')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (f: { model?: string; port: string; host: string }) => {
      // The Node entry point picks the fastest backend (and says which) before the model loads.
      await import('../../index.js');
      const app = await serve({ model: f.model, port: Number(f.port), host: f.host });
      await untilStopped(app);
    });
}

/**
 * Waits for SIGINT or SIGTERM, then closes the app: requests in flight get its grace period, and the
 * process ends within a few seconds whatever they do. A second signal ends it at once.
 */
async function untilStopped(app: FastifyInstance): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      console.log(`${signal}: stopping (requests in flight get ${GRACE_S} s)`);
      setTimeout(() => process.exit(1), (GRACE_S + 3) * 1000).unref();
      void app.close().then(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const GRACE_S = 2;
