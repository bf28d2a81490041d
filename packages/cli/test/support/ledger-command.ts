import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './event-files.ts';

const run = promisify(execFile);
const MAIN = join(REPO_ROOT, 'packages/cli/src/main.ts');

/** Runs `pnpm ledger <args>` as a process from the repository root; resolves with its exit code and output. */
export function ledgerCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, INIT_CWD: REPO_ROOT } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
