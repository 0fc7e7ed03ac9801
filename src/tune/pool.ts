// The tuner's worker processes: N forked workers (worker.ts), each running one trial at a time with its
// own native thread pool, sized so that workers × threads = the cores (DIGITNET_THREADS, when set, is
// the total to share). A worker that dies mid-trial fails that trial and is replaced for the next one.
// Node-only.

import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TrainOptions } from '../train/run.js';
import type { Objective } from './trial.js';
import type { FromWorker, ToWorker } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export type Outcome =
  | { state: 'complete'; value: number; runDir: string; testAccuracy: number }
  | { state: 'pruned'; value: number; epoch: number }
  | { state: 'failed'; note: string };

export interface Job {
  options: TrainOptions;
  objective: Objective;
  /** Called after each epoch with its objective value; resolves true to prune the trial there. */
  onEpoch: (epoch: number, value: number) => Promise<boolean>;
}

/** Native threads for each of `workers` workers, out of DIGITNET_THREADS or the machine's cores. */
export function threadsPerWorker(workers: number, env: NodeJS.ProcessEnv = process.env): number {
  const total = env.DIGITNET_THREADS ? Number(env.DIGITNET_THREADS) : availableParallelism();
  return Math.max(1, Math.floor((Number.isFinite(total) && total > 0 ? total : 1) / workers));
}

interface Slot {
  child: ChildProcess | null;
  busy: boolean;
  /** The newest lines the worker wrote to stderr, for the note of a trial it died in. */
  stderr: string[];
  /** The worker's process id, while it lives. */
  pid: number | null;
  /** Resolves true once the worker listens for jobs, or to why it died before. */
  ready: Promise<true | string>;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly size: number, env: NodeJS.ProcessEnv = process.env) {
    this.slots = Array.from({ length: size }, () => ({ child: null, busy: false, stderr: [], pid: null, ready: Promise.resolve('no worker') as Promise<true | string> }));
    this.env = { ...env, DIGITNET_THREADS: String(threadsPerWorker(size, env)), DIGITNET_QUIET: '1' };
  }

  get idle(): number {
    return this.slots.filter((s) => !s.busy).length;
  }

  /** The process ids of the live workers. */
  pids(): number[] {
    return this.slots.map((s) => s.pid).filter((p): p is number => p !== null);
  }

  /** Runs a job on an idle worker (one must be idle); never rejects: a failure is an outcome. */
  async run(job: Job): Promise<Outcome> {
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) throw new Error('WorkerPool.run: no idle worker');
    slot.busy = true;
    try {
      return await this.runOn(slot, job);
    } finally {
      slot.busy = false;
    }
  }

  private async runOn(slot: Slot, job: Job): Promise<Outcome> {
    const child = slot.child ?? this.spawn(slot);
    const started = await slot.ready;
    if (started !== true) return { state: 'failed', note: started };
    return new Promise<Outcome>((resolve) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'epoch') {
          job.onEpoch(m.epoch, m.value).then(
            (prune) => child.connected && child.send({ type: 'verdict', prune } satisfies ToWorker),
            () => child.connected && child.send({ type: 'verdict', prune: false } satisfies ToWorker),
          );
        } else if (m.type === 'done') finish({ state: 'complete', value: m.value, runDir: m.runDir, testAccuracy: m.testAccuracy });
        else if (m.type === 'pruned') finish({ state: 'pruned', value: m.value, epoch: m.epoch });
        else if (m.type === 'failed') finish({ state: 'failed', note: m.message });
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        finish({ state: 'failed', note: `the worker process died (${why})${lastLine(slot.stderr)}` });
      };
      const finish = (o: Outcome): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(o);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ type: 'run', options: job.options, objective: job.objective } satisfies ToWorker);
    });
  }

  private spawn(slot: Slot): ChildProcess {
    const child = fork(WORKER, [], { env: this.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    slot.child = child;
    slot.pid = child.pid ?? null;
    slot.stderr = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      slot.stderr.push(...s.split('\n'));
      slot.stderr.splice(0, Math.max(0, slot.stderr.length - 20));
    });
    slot.ready = new Promise((res) => {
      child.once('message', () => res(true));
      child.once('exit', (code, signal) => res(`the worker process died as it started (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLine(slot.stderr)}`));
    });
    child.on('exit', () => {
      if (slot.child === child) {
        slot.child = null;
        slot.pid = null;
      }
    });
    return child;
  }

  /** Stops every worker and waits for them to exit. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map(async (s) => {
      const child = s.child;
      if (!child) return;
      const exited = new Promise<void>((res) => child.once('exit', () => res()));
      child.kill('SIGTERM');
      await exited;
    }));
  }
}

/** `: <the last line the worker wrote to stderr>`, or nothing. */
function lastLine(lines: string[]): string {
  const last = lines.filter((l) => l.trim()).pop();
  return last ? `: ${last.trim()}` : '';
}
