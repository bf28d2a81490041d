import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { generateEvents, renderEventsFile } from './generate-events.ts';
import { LOAD_CONCURRENCY_DEFAULT, LOAD_CONCURRENCY_MAX } from './limits.ts';
import { type LoadProgress, loadEvents } from './load-events.ts';
import { formatReconciliation, reconcileExitCode, reconcileFile } from './reconcile.ts';
import { EXIT_CANNOT_START, EXIT_OK, exitCodeFor, formatSummary } from './summary.ts';
import { EXIT_CHAIN_BROKEN, formatVerification, verifyChain } from './verify-chain.ts';

/** How long the server may take to answer the reachability check before the load starts. */
const REACHABILITY_TIMEOUT_MS = 5_000;
const SEED_DEFAULT = 42;
const SEED_MAX = 0xffff_ffff;

interface LoadFlags {
  url: string;
  apiKey?: string;
  webhookSecret?: string;
  concurrency: number;
  balanceCheck: boolean;
}

interface ReconcileFlags {
  url: string;
  apiKey?: string;
}

interface VerifyChainFlags {
  url: string;
  apiKey?: string;
  fromBlock?: number;
  toBlock?: number;
}

interface GenerateFlags {
  seed: number;
  out?: string;
}

function buildProgram(): Command {
  const program = new Command('ledger').description('Sample data and bulk loading for restaurant-ledger').exitOverride();
  program
    .command('load')
    .description('POST every line of a JSONL file to {url}/v1/processor/events and report what happened to each')
    .argument('<file>', 'JSONL file, one event per line (blank lines are skipped)')
    .requiredOption('--url <url>', 'the ledger base URL, e.g. http://localhost:3000')
    // Secrets may come from the environment too, so they need not appear in the process list.
    .addOption(new Option('--api-key <key>', 'sent as Authorization: Bearer <key>').env('LEDGER_API_KEY'))
    .addOption(new Option('--webhook-secret <secret>', 'Standard Webhooks secret (whsec_…) to sign each body with').env('LEDGER_WEBHOOK_SECRET'))
    .option('--concurrency <n>', `requests in flight at once, 1-${LOAD_CONCURRENCY_MAX}`, parseConcurrency, LOAD_CONCURRENCY_DEFAULT)
    .option('--no-balance-check', 'skip reading each restaurant/currency balance before and after the load')
    .action(runLoad);
  program
    .command('reconcile')
    .description("import a processor settlement report (CSV) into {url}/v1/reconciliations and print what it reconciled to")
    .argument('<file>', 'CSV with the header payout_id,amount,currency,paid_date,type,reference (docs/reconciliation.md)')
    .option('--url <url>', 'the ledger base URL', 'http://localhost:3000')
    .addOption(new Option('--api-key <key>', 'sent as Authorization: Bearer <key>').env('LEDGER_API_KEY'))
    .action(runReconcile);
  program
    .command('verify-chain')
    .description("recompute the ledger's hash chain ({url}/v1/ledger/verify) and report the first broken link; exit 1 when one is")
    .option('--url <url>', 'the ledger base URL', 'http://localhost:3000')
    .addOption(new Option('--api-key <key>', 'sent as Authorization: Bearer <key>').env('LEDGER_API_KEY'))
    .option('--from-block <n>', 'first block to check (default 1)', parseBlockNumber)
    .option('--to-block <n>', 'last block to check (default the latest)', parseBlockNumber)
    .action(runVerifyChain);
  program
    .command('generate')
    .description('write the deterministic sample event stream (JSONL) for a seed')
    .option('--seed <n>', `integer seed, 0-${SEED_MAX}`, parseSeed, SEED_DEFAULT)
    .option('--out <file>', 'file to write (default: standard output)')
    .action(runGenerate);
  return program;
}

async function runLoad(file: string, flags: LoadFlags): Promise<void> {
  await assertReachable(flags.url);
  const progress = createProgressDisplay();
  const summary = await loadEvents({
    file: resolveFromCaller(file),
    url: flags.url,
    apiKey: flags.apiKey,
    webhookSecret: flags.webhookSecret,
    concurrency: flags.concurrency,
    checkBalances: flags.balanceCheck,
    onProgress: progress.update,
  }).finally(progress.stop);
  process.stdout.write(formatSummary({ ...summary, file }));
  process.exitCode = exitCodeFor(summary);
}

/** Exit 0 all matched, 1 discrepancies found, 2 cannot start, 3 the file was refused (its bad lines printed). */
async function runReconcile(file: string, flags: ReconcileFlags): Promise<void> {
  await assertReachable(flags.url);
  const progress = createByteProgress('uploading');
  const outcome = await reconcileFile({ file: resolveFromCaller(file), url: flags.url, apiKey: flags.apiKey, onProgress: progress.update }).finally(progress.stop);
  (outcome.ok ? process.stdout : process.stderr).write(formatReconciliation(file, outcome));
  process.exitCode = reconcileExitCode(outcome);
}

/** Exit 0 the chain holds, 1 a link is broken (printed), 2 could not verify. */
async function runVerifyChain(flags: VerifyChainFlags): Promise<void> {
  await assertReachable(flags.url);
  const outcome = await verifyChain({ url: flags.url, apiKey: flags.apiKey, fromBlock: flags.fromBlock, toBlock: flags.toBlock });
  const holds = outcome.ok && outcome.verification.ok;
  (holds ? process.stdout : process.stderr).write(formatVerification(outcome));
  process.exitCode = !outcome.ok ? EXIT_CANNOT_START : holds ? EXIT_OK : EXIT_CHAIN_BROKEN;
}

async function runGenerate(flags: GenerateFlags): Promise<void> {
  const generated = generateEvents(flags.seed);
  const text = renderEventsFile(generated);
  const { stats } = generated;
  const description =
    `${stats.lines} lines, ${stats.distinctEvents} distinct events: ${stats.charges} charges, ${stats.refunds} refunds, ` +
    `${stats.payoutEvents} payout events for payouts that do not exist; ${stats.duplicateLines} duplicate lines, ` +
    `${stats.lateLines} late lines; ${stats.restaurants} restaurants, ${stats.currencies.join('/')} (seed ${flags.seed})`;
  if (flags.out === undefined) {
    process.stdout.write(text);
    process.stderr.write(`${description}\n`);
    return;
  }
  const out = resolveFromCaller(flags.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text, 'utf8');
  process.stdout.write(`wrote ${flags.out}: ${description}\n`);
}

/** A progress bar on stderr for a person watching; nothing at all when stderr is not a terminal. */
function createProgressDisplay(): { update: (progress: LoadProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'loading [{bar}] {percentage}% | {linesRead} lines | {created} created, {duplicate} duplicate, {problems} problems',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (progress) => {
      const payload = { ...progress, problems: progress.conflict + progress.rejected + progress.failed };
      if (!started) bar.start(progress.bytesTotal, 0, payload);
      started = true;
      bar.update(progress.bytesDone, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** A bar over the bytes of a file on stderr; nothing when stderr is not a terminal. */
function createByteProgress(label: string): { update: (progress: { bytesDone: number; bytesTotal: number }) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} bytes`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: ({ bytesDone, bytesTotal }) => {
      if (!started) bar.start(bytesTotal, 0);
      started = true;
      bar.update(bytesDone);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Fails fast with one clear line instead of retrying every line against a server that is not there. */
async function assertReachable(url: string): Promise<void> {
  try {
    await fetch(new URL('/health', url), { signal: AbortSignal.timeout(REACHABILITY_TIMEOUT_MS) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new Error(`cannot reach ${url}${cause}`);
  }
}

/**
 * pnpm runs scripts from the repository root; INIT_CWD is where the person typed the command, so
 * `pnpm ledger load ./x.jsonl` from a subfolder finds ./x.jsonl there.
 */
function resolveFromCaller(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function parseConcurrency(value: string): number {
  return parseIntegerIn(value, 1, LOAD_CONCURRENCY_MAX);
}

function parseSeed(value: string): number {
  return parseIntegerIn(value, 0, SEED_MAX);
}

function parseBlockNumber(value: string): number {
  return parseIntegerIn(value, 1, Number.MAX_SAFE_INTEGER);
}

function parseIntegerIn(value: string, min: number, max: number): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  }
  return parsed;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the usage error already; help and --version end with code 0.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CANNOT_START;
  } else {
    process.stderr.write(`ledger: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_CANNOT_START;
  }
}
