import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newWebhookSecret, startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The SDK as a stranger gets it: `pnpm pack`, installed from the tarball into a project outside
 * the workspace, typechecked with strict settings (the shipped .d.ts included), run with plain node.
 */
const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const CONSUMER_FIXTURE = fileURLToPath(new URL('consumer/', import.meta.url));
const API_KEY = 'key_consumer_test';
const WEBHOOK_SECRET = newWebhookSecret();
const INSTALL_TIMEOUT_MS = 180_000;

let scratch: string;
let tarball: string;
let server: TestServer;

/** Child processes see none of this run's pnpm settings, so the scratch project is nobody's workspace. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_config_)/i.test(name));
  return { ...Object.fromEntries(kept), ...extra };
}

/** The version this workspace installed, so the scratch install finds it in the store offline. */
async function installedVersion(fromDir: string, name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(fromDir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ledger-sdk-consumer-'));
  await run('pnpm', ['pack', '--pack-destination', scratch], { cwd: PACKAGE_DIR, env: cleanEnv() });
  const packed = (await readdir(scratch)).find((name) => name.endsWith('.tgz'));
  if (packed === undefined) throw new Error('pnpm pack wrote no tarball');
  tarball = join(scratch, packed);
  const { stdout: storeDir } = await run('pnpm', ['store', 'path'], { cwd: WORKSPACE_DIR, env: cleanEnv() });

  const project = join(scratch, 'project');
  await mkdir(join(project, 'src'), { recursive: true });
  for (const file of ['main.ts', 'request-info.d.ts']) await copyFile(join(CONSUMER_FIXTURE, file), join(project, 'src', file));
  await copyFile(join(CONSUMER_FIXTURE, 'tsconfig.json'), join(project, 'tsconfig.json'));
  const manifest = {
    name: 'ledger-sdk-consumer',
    private: true,
    type: 'module',
    dependencies: {
      '@restaurant-ledger/client': `file:${tarball}`,
      '@trpc/client': await installedVersion(PACKAGE_DIR, '@trpc/client'),
      '@trpc/server': await installedVersion(PACKAGE_DIR, '@trpc/server'),
    },
    devDependencies: {
      typescript: await installedVersion(WORKSPACE_DIR, 'typescript'),
      '@types/node': await installedVersion(WORKSPACE_DIR, '@types/node'),
    },
  };
  await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run('pnpm', ['install', '--prefer-offline', '--ignore-workspace', '--store-dir', storeDir.trim()], {
    cwd: project,
    env: cleanEnv(),
    timeout: INSTALL_TIMEOUT_MS,
  });
  server = await startTestServer({ apiKeys: [API_KEY], webhookSecrets: [WEBHOOK_SECRET] });
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await server?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('the packed SDK', () => {
  it('holds dist, package.json and README only: no source', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files).toEqual(['package/README.md', 'package/dist/index.d.ts', 'package/dist/index.js', 'package/package.json']);
  });

  it('ships declarations that import only @trpc/client and @trpc/server', async () => {
    const declarations = await readFile(join(scratch, 'project/node_modules/@restaurant-ledger/client/dist/index.d.ts'), 'utf8');
    expect(declarations).not.toContain('@restaurant-ledger/');
    const imported = new Set([...declarations.matchAll(/from '([^']+)'/g)].map((match) => match[1]));
    expect([...imported].sort()).toEqual(['@trpc/client', '@trpc/server']);
  });

  it('typechecks a strict program, wrong calls included as @ts-expect-error, and runs it with node', async () => {
    const project = join(scratch, 'project');
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed in the consumer project:\n${error.stdout ?? String(error)}`);
    });
    const { stdout } = await run(process.execPath, ['out/main.js'], {
      cwd: project,
      env: cleanEnv({ LEDGER_URL: server.url, LEDGER_API_KEY: API_KEY, LEDGER_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      idempotent: false,
      webhookStatus: 201,
      balance: { available: 9400, pending: 0, total: 9400 },
      pages: 3,
      entryTypes: ['sale', 'fee', 'refund'],
      lastRunningBalance: 9400,
      missingCode: 'RESTAURANT_NOT_FOUND',
    });
  });
});
