// `digitnet report RUN_DIR`: rebuilds the figures and report.html from a run directory's files.

import { Command } from 'commander';
import { relative } from 'node:path';
import { buildReport } from '../../report/index.js';

export function reportCommand(): Command {
  return new Command('report')
    .description('rebuild the figures and report.html of a run directory')
    .argument('<run_dir>', 'a run directory written by `digitnet train`')
    .action(async (runDir: string) => {
      const r = await buildReport(runDir);
      const rel = (p: string): string => relative(process.cwd(), p);
      for (const f of r.figures) console.log(`${rel(f.svg)}  ${rel(f.png)}`);
      console.log(`Report: ${rel(r.html)}`);
    });
}
