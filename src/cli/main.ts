#!/usr/bin/env node
// The `digitnet` command line: train, ensemble, evaluate, predict, report, summary, serve and data. Errors are printed as
// `digitnet: <message>` with exit code 1; DIGITNET_DEBUG=1 adds the stack trace.

import { Command, CommanderError } from 'commander';
import { dataCommand } from './commands/data.js';
import { ensembleCommand } from './commands/ensemble.js';
import { evaluateCommand } from './commands/evaluate.js';
import { predictCommand } from './commands/predict.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';

export function program(): Command {
  const p = new Command('digitnet')
    .description('Handwritten-digit recognition with a CNN: train on MNIST, evaluate, report, predict and serve.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'digitnet: ')) });
  for (const c of [trainCommand(), ensembleCommand(), evaluateCommand(), predictCommand(), dataCommand(), reportCommand(), summaryCommand(), serveCommand()]) {
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

// Exit explicitly once the command is done: a native backend's worker threads must not keep a finished
// command alive. (stdout and stderr are synchronous for files and pipes on Linux, so nothing is lost.)
process.exit(await main(process.argv));
