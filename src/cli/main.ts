#!/usr/bin/env node
// The `digitnet` command line: train, ensemble, evaluate, predict, read, data, report, summary, serve, tune,
// export and explain. Errors are printed as `digitnet: <message>` with exit code 1; DIGITNET_DEBUG=1 adds the stack trace.

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
// Node's entry point: installs the fastest backend that loads here (the native addon, else the reference
// backend with the reason) and names it once on stderr, before any command runs.
import '../index.js';
import { dataCommand } from './commands/data.js';
import { ensembleCommand } from './commands/ensemble.js';
import { evaluateCommand } from './commands/evaluate.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { readCommand } from './commands/read.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';
import { tuneCommand } from './commands/tune.js';

export function program(): Command {
  const p = new Command('digitnet')
    .description('Handwritten-digit recognition with convolutional networks: train (MNIST, Fashion-MNIST, your own images), evaluate, predict, read whole numbers, explain, export, tune and serve.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'digitnet: ')) });
  for (const c of [trainCommand(), ensembleCommand(), evaluateCommand(), predictCommand(), readCommand(), dataCommand(), reportCommand(), summaryCommand(), serveCommand(), tuneCommand(), exportCommand(), explainCommand()]) {
    p.addCommand(c.exitOverride().configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'digitnet: ')) }));
  }
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander has printed its message (or help / version)
    const err = e as Error;
    process.stderr.write(`digitnet: ${String(err?.message ?? err).replace(/^digitnet: /, '')}\n`);
    if (process.env.DIGITNET_DEBUG === '1') process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** The version in the package's own package.json (dist/src/cli/ is three folders below it). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

// Exit explicitly once the command is done: a native backend's worker threads must not keep a finished
// command alive. (stdout and stderr are synchronous for files and pipes on Linux, so nothing is lost.)
process.exit(await main(process.argv));
