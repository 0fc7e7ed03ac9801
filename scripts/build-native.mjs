// Builds the optional native backend with node-gyp. A failed build is not an install failure:
// digitnet then runs on its TypeScript reference backend and says so when it starts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('binding.gyp')) process.exit(0);
const r = spawnSync('npx', ['--no-install', 'node-gyp', 'rebuild'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status !== 0) {
  console.warn('digitnet: the native backend did not build; the TypeScript reference backend will be used instead.');
}
