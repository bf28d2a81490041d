import { cpus } from 'node:os';
import type { BenchConfig } from './config.ts';
import { loadProblems } from './http-load.ts';
import type { MachineInfo } from './machine.ts';
import { BALANCE_SCRIPT, readScriptHeader, staleSnapshots } from './pgbench-scripts.ts';
import type { RawFigure } from './raw-ceiling.ts';
import type { BalanceFigure, BenchResults, HttpFigure, PayoutFigure } from './results.ts';
import { balanceRatioToBaseline, baselineFor, ceilingFor, ratioToBaseline, ratioToCeiling, type TargetOutcome } from './targets.ts';

export interface RunInfo {
  startedAt: Date;
  finishedAt: Date;
  command: string;
  loadAtStart: string;
  loadAtEnd: string;
  machine: MachineInfo | undefined;
}

const whole = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const percent = (ratio: number | undefined): string => (ratio === undefined ? '-' : `${(ratio * 100).toFixed(0)}%`);

/** One line per HTTP figure as it is measured: the figure and its ratios to the bare-Node baseline and the ceiling of the same run. */
export function httpFigureLine(results: BenchResults, figure: HttpFigure): string {
  const ceiling = ceilingFor(results.raw, figure);
  const baseline = baselineFor(results.http, figure);
  const { result } = figure;
  const against = [
    ...(baseline === undefined ? [] : [`${percent(ratioToBaseline(results.http, figure))} of bare-Node (${whole(baseline.result.itemsPerSecond)}/s)`]),
    ceiling === undefined ? 'no ceiling measured' : `${percent(ratioToCeiling(results.raw, figure))} of raw ${ceiling.scenario.id} (${whole(ceiling.eventsPerSecond)} events/s)`,
  ].join(', ');
  const problems = loadProblems(result);
  return `${figure.label} [${figure.target}]: ${whole(result.itemsPerSecond)} events/s, p50 ${ms(result.p50Ms)} ms, p99 ${ms(result.p99Ms)} ms; ${against}${problems === undefined ? '' : ` [${problems}]`}`;
}

export function balanceFigureLine(figure: BalanceFigure): string {
  const ratio = figure.raw !== undefined && figure.http !== undefined ? `${(figure.http.p99Ms / figure.raw.p99Ms).toFixed(2)}× the raw p99` : 'no ratio';
  return `balance of ${figure.restaurant} (${whole(figure.entries)} entries): HTTP p50 ${ms(figure.http?.p50Ms)} ms, p99 ${ms(figure.http?.p99Ms)} ms; raw SQL p50 ${ms(figure.raw?.p50Ms)} ms, p99 ${ms(figure.raw?.p99Ms)} ms; ${ratio}`;
}

export function renderReport(config: BenchConfig, run: RunInfo, results: BenchResults, targets: TargetOutcome[]): string {
  return [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (`bench/src/bench.ts`). Every figure below comes from one run, and each ratio compares two',
    'figures of that run: the service against the bare-Node baseline around the same statement (seconds apart) or the',
    'raw PostgreSQL ceiling of the same SQL (minutes apart), on the same machine. Re-run it after a change to ingestion,',
    'balances, statements or payouts; the file is rewritten whole.',
    '',
    ...runSection(config, run),
    ...targetsSection(targets),
    ...rawSection(config, results.raw),
    ...httpSection(results),
    ...balanceSection(results.balances),
    ...balanceLoadSection(results),
    ...statementSection(results),
    ...payoutSection(results),
    ...sealingSection(results),
    ...memorySection(results),
    ...profileSection(results),
    ...errorsSection(results),
    ...sqlSection(results.raw),
    ...readingSection(config),
  ].join('\n');
}

function runSection(config: BenchConfig, run: RunInfo): string[] {
  const m = run.machine;
  const minutes = (run.finishedAt.getTime() - run.startedAt.getTime()) / 60_000;
  const settings = m === undefined ? '' : Object.entries(m.postgresSettings).map(([name, value]) => `${name}=${value}`).join(', ');
  return [
    '## The run',
    '',
    '| | |',
    '|---|---|',
    `| date | ${run.startedAt.toISOString()} (${minutes.toFixed(1)} minutes) |`,
    `| command | \`${run.command}\` |`,
    `| commit | ${m?.commit ?? 'unknown'} |`,
    `| machine | ${m === undefined ? 'unknown' : `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}`} |`,
    `| Node | ${m?.node ?? process.version} |`,
    `| PostgreSQL | ${m?.postgres ?? 'unknown'} on the same machine (${settings}) |`,
    `| tools | ${m?.pgbench ?? 'pgbench'}; autocannon ${m?.autocannon ?? 'unknown'} (in the harness process) |`,
    `| load average (1 / 5 / 15 min) | at start ${run.loadAtStart}; at end ${run.loadAtEnd} |`,
    `| durations | ${config.throughputSeconds} s per throughput figure, ${config.latencySeconds} s per latency figure, ${config.warmupSeconds} s warm-up, ${config.ledgerSettleSeconds} s settle before the ledger figures |`,
    `| server | \`node --import tsx src/main.ts\` (apps/server), LOG_LEVEL=warn, rate limits off, pool LEDGER_DB_POOL_MAX=${process.env.LEDGER_DB_POOL_MAX ?? '10 (default)'} |`,
    '',
  ];
}

function targetsSection(targets: TargetOutcome[]): string[] {
  return ['## Targets (issue 14)', '', '| target | measured | verdict |', '|---|---:|---|', ...targets.map((t) => `| ${t.target} | ${t.measured} | **${t.verdict}** |`), ''];
}

function rawSection(config: BenchConfig, raw: readonly RawFigure[]): string[] {
  return [
    '## Raw ceiling: the service\'s ingestion SQL through pgbench',
    '',
    `Each row is \`pgbench -M <protocol> -c <clients> -j <a thread per core> -T ${config.throughputSeconds}\` of a script in \`bench/pgbench/\` on a fresh, migrated`,
    'database. `prepared` parses once per connection, as the service does for its single-event and replay statements',
    '(named prepared statements); `extended` parses every time, as the `pg` driver does for every other statement (the',
    'batch route\'s included, whose ceiling runs `prepared`, in the ceiling\'s favour). The ceiling of a workload is its best row.',
    '',
    '| scenario | script | protocol | clients | events per transaction | transactions/s | events/s | average latency |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...raw.map(({ scenario, result, eventsPerSecond }) =>
      `| ${scenario.id} | \`${scenario.script}\` | ${scenario.mode} | ${scenario.clients} | ${scenario.eventsPerTransaction} | ${whole(result.tps)} | ${whole(eventsPerSecond)} | ${ms(result.latencyAvgMs)} ms |`,
    ),
    '',
  ];
}

function httpSection(results: BenchResults): string[] {
  return [
    '## The service and the bare-Node baseline, driven by autocannon',
    '',
    '`service` is the real server process; `bare-node` is `bench/src/bare-node/server.ts`: node:http and pg (a pool of',
    'the service\'s size and session settings) around ONE named prepared statement, the service\'s own',
    '`recordPlannedEvents` read from `packages/core/sql/event.repository.sql`, with no validation, auth, logging or',
    'framework. Both write to the same database, each figure of the bare-Node baseline seconds before the service\'s',
    'of the same load. Every single-route request is a new event (201), every replay an event that process\'s single',
    'route stored in this run (200: the service answers `idempotent: true` with the stored event; the baseline, whose',
    'statement inserted nothing, answers without reading it), every batch request new events (200, all `created`).',
    'Latency is per request, from every response\'s own time; for the batch route a request carries a whole batch.',
    '',
    '| figure | process | requests answered | events/s | p50 | p99 | vs bare-Node | vs raw ceiling | ceiling used | problems |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...results.http.map((figure) => {
      const ceiling = ceilingFor(results.raw, figure);
      const cells = [
        figure.label, figure.target, whole(figure.result.expected), whole(figure.result.itemsPerSecond), `${ms(figure.result.p50Ms)} ms`, `${ms(figure.result.p99Ms)} ms`,
        percent(ratioToBaseline(results.http, figure)), percent(ratioToCeiling(results.raw, figure)),
        ceiling === undefined ? '-' : `${ceiling.scenario.id}, ${whole(ceiling.eventsPerSecond)}/s`, loadProblems(figure.result) ?? 'none',
      ];
      return `| ${cells.join(' | ')} |`;
    }),
    '',
  ];
}

function balanceLoadSection(results: BenchResults): string[] {
  if (results.balanceLoads.length === 0) return [];
  return [
    '## Balance reads under load',
    '',
    '`GET /v1/restaurants/{id}/balance?currency=PEN` of one restaurant on many connections, after the one-connection',
    'figures above (its checkpoint written). `bare-node` is the same route of `bench/src/bare-node/server.ts`, measured',
    'seconds before the service on the same copy: node:http and pg (the service\'s pool size and session settings) around',
    'the statements `bench/pgbench/balance.sql` names, read from `packages/core/sql/balance.repository.sql` and prepared',
    'once per connection as the service prepares them (from the latest checkpoint in one round trip; the plain sum only',
    'when that returns no row), answering the service\'s envelope, with no validation, auth, logging or framework. What',
    'it reaches is what this machine gives the read with nothing of the stack around it; the service\'s share of it is',
    'what the stack costs.',
    '',
    '| restaurant | entries | process | connections | requests answered | req/s | p50 | p99 | vs bare-Node | problems |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---|',
    ...results.balanceLoads.map((figure) => {
      const { restaurant, entries, target, connections, result } = figure;
      const cells = [
        restaurant, whole(entries), target, connections, whole(result.expected), whole(result.itemsPerSecond), `${ms(result.p50Ms)} ms`, `${ms(result.p99Ms)} ms`,
        percent(balanceRatioToBaseline(results.balanceLoads, figure)), loadProblems(result) ?? 'none',
      ];
      return `| ${cells.join(' | ')} |`;
    }),
    '',
  ];
}

function statementSection(results: BenchResults): string[] {
  if (results.statementPages.length === 0) return [];
  return [
    '## Statement pages by position',
    '',
    '`GET /v1/restaurants/{id}/statement?currency=PEN&limit=<limit>&cursor=<cursor>` on one connection, one request at a',
    'time: the cursor is the one the server issues for the page that ends just before the position (its own',
    '`encodeCursor`, on the entry found in statement order), position 0 has none. One request first, not counted.',
    'Every page opens from the statement checkpoint the service itself uses (docs/adr/0007-statement-checkpoints.md):',
    'before the pages the harness reads one page deep in the history, whose opening asks the server\'s background',
    'checkpointer for one, and waits until it is in the table.',
    '',
    ...statementCheckpointLine(results),
    '| restaurant | position | limit | requests | p50 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.statementPages.map(({ restaurant, position, limit, latency }) =>
      `| ${restaurant} | ${whole(position)} | ${limit} | ${latency.count} | ${ms(latency.p50Ms)} ms | ${ms(latency.p99Ms)} ms | ${ms(latency.maxMs)} ms |`,
    ),
    '',
  ];
}

function statementCheckpointLine(results: BenchResults): string[] {
  const checkpoint = results.statementCheckpoint;
  if (checkpoint === undefined) return ['Statement checkpoint: none was written (see the errors); the pages summed the history before them.', ''];
  return [
    `Statement checkpoint: written by the server, read ${whole(checkpoint.entriesRead)} entries, ${whole(checkpoint.marks)} marks; ready ${checkpoint.waitedSeconds.toFixed(1)} s after the first page.`,
    '',
  ];
}

function balanceSection(balances: readonly BalanceFigure[]): string[] {
  if (balances.length === 0) return [];
  const threshold = balances.find((b) => b.checkpoint !== undefined)?.checkpoint?.threshold;
  return [
    '## Balance latency on the seeded ledger (one connection)',
    '',
    'On a copy of `ledger_bench` (2.1M entries). Raw is `bench/pgbench/balance.sql` (the balance SQL alone, `-M prepared` as the service sends it,',
    'per-transaction latencies from `pgbench -l`); HTTP is `GET /v1/restaurants/{id}/balance?currency=PEN`. Both start',
    'from the same balance checkpoint, the one the service itself uses: before either measurement the harness reads each',
    'balance once through the server, whose background checkpointer writes a checkpoint for a read of more than',
    `${threshold === undefined ? 'LEDGER_CHECKPOINT_AFTER_ENTRIES' : whole(threshold)} entries, and waits until that checkpoint is in the table. A restaurant whose read stays under the threshold`,
    'gets none, as in production, and both sides sum its whole history.',
    '',
    '| restaurant | entries | checkpoint | raw p50 | raw p99 | HTTP p50 | HTTP p99 | HTTP requests | HTTP p99 / raw p99 |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...balances.map((b) => {
      const ratio = b.raw !== undefined && b.http !== undefined ? `${(b.http.p99Ms / b.raw.p99Ms).toFixed(2)}×` : '-';
      return `| ${b.restaurant} | ${whole(b.entries)} | ${checkpointCell(b)} | ${ms(b.raw?.p50Ms)} ms | ${ms(b.raw?.p99Ms)} ms | ${ms(b.http?.p50Ms)} ms | ${ms(b.http?.p99Ms)} ms | ${whole(b.http?.expected ?? 0)} | ${ratio} |`;
    }),
    '',
  ];
}

function checkpointCell(figure: BalanceFigure): string {
  const state = figure.checkpoint;
  if (state === undefined) return 'unknown';
  if (state.latest === undefined) return 'none (under the threshold)';
  return `written by the server (read ${whole(state.latest.entriesRead)} entries; ready ${state.latest.waitedSeconds.toFixed(1)} s after the first read)`;
}

function payoutSection(results: BenchResults): string[] {
  if (results.payouts.length === 0) return [];
  return [
    '## Payout runs over the seeded ledger',
    '',
    '`POST /v1/payouts/run` for PEN on the copy (every PEN restaurant: the 10,000 small ones and the three large ones),',
    'then `GET /v1/payouts/runs/{id}` every 100 ms until it finished. Two runs, two dates: a run pays once per `as_of`, and',
    'a later cutoff than an existing payout makes an earlier `as_of` skip the restaurant (docs/payouts.md), so the first',
    'run is as of yesterday (UTC) and the steady-state one as of today.',
    '',
    ...results.payouts.flatMap(payoutLines),
  ];
}

function payoutLines(payout: PayoutFigure): string[] {
  const skipped = Object.entries(payout.skipped).filter(([, count]) => count > 0).map(([reason, count]) => `${reason} ${whole(count)}`).join(', ');
  const title = payout.kind === 'first' ? 'The first run ever (every entry of the seeded ledger is unsettled)' : 'Steady state: the next day\'s run';
  const lines = [`### ${title}`, ''];
  const prep = payout.preparation;
  if (prep !== undefined) {
    lines.push(
      `After the first run: its ${whole(prep.paidPayouts)} payouts marked \`paid\` (an UPDATE, the row change \`payout_paid\` events make;`,
      `open payouts would block the run), then one day of new charges: ${whole(prep.events)} charges for the ${whole(prep.restaurants)} small`,
      `restaurants (${whole(prep.events / prep.restaurants)} each, received today, occurred 8 days ago, so available now) through`,
      `\`POST /v1/processor/events/batch\`, 1,000 per request, in ${prep.ingestSeconds.toFixed(1)} s. Then the run as of today:`,
      '',
    );
  }
  lines.push(
    `as_of ${payout.asOf} (cutoff ${payout.cutoff ?? '-'}), server statement timeout ${whole(payout.statementTimeoutMs)} ms:`,
    `**${payout.status}** after ${payout.attempts} attempt(s) in **${payout.serverSeconds?.toFixed(2) ?? '-'} s** (requested_at → finished_at, server`,
    `clock; ${payout.wallSeconds.toFixed(2)} s as polled), ${whole(payout.created)} payouts created${payout.settledEntries === undefined ? '' : ` settling ${whole(payout.settledEntries)} entries`}${skipped === '' ? '' : `, skipped: ${skipped}`}.`,
  );
  if (payout.lastError !== null) lines.push(`Last error: \`${payout.lastError}\`.`);
  const batches = payout.batches;
  if (batches !== undefined) {
    const largest = batches.slowestLargest.map((r) => `${r.restaurant} ${whole(r.entries)}`).join(', ');
    lines.push(
      '',
      `Where the time went (batch start times, read from the payouts): the slowest of ${batches.count} batches took`,
      `**${batches.slowestSeconds.toFixed(2)} s** (entries settled by its largest payouts: ${largest}); the other ${batches.count - 1} took`,
      `${batches.othersSeconds.toFixed(2)} s together.`,
    );
  }
  return [...lines, ''];
}

function sealingSection(results: BenchResults): string[] {
  const figure = results.sealing;
  if (figure === undefined) return [];
  const lag = (round: NonNullable<BenchResults['sealing']>['rounds'][number]) =>
    round.lagSeconds === undefined ? '-' : `${round.lagSeconds.p50.toFixed(2)} s / ${round.lagSeconds.max.toFixed(2)} s`;
  return [
    '## Tamper evidence: the sealer\'s write cost',
    '',
    `Single-event ingestion on ${figure.connections} connections, one fresh database, servers with the ledger sealer off`,
    `(\`LEDGER_SEAL_INTERVAL_MS=0\`) and on (every ${figure.intervalMs} ms), in the order off, on, on, off. With the sealer on: **${(figure.ratio * 100).toFixed(1)}%**`,
    'of the events per second with it off (the goal: at least 95%). Lag: the age of the oldest unsealed entry, sampled every 200 ms.',
    '',
    '| round | sealer | events/s | p50 | p99 | lag p50 / max | caught up first |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...figure.rounds.map((round, i) =>
      `| ${i + 1} | ${round.sealing ? 'on' : 'off'} | ${whole(round.result.itemsPerSecond)} | ${round.result.p50Ms.toFixed(2)} ms | ${round.result.p99Ms.toFixed(2)} ms | ${lag(round)} | ${round.catchUpSeconds === undefined ? '-' : `${round.catchUpSeconds.toFixed(1)} s`} |`),
    '',
  ];
}

function memorySection(results: BenchResults): string[] {
  if (results.rss.length === 0) return [];
  const peak = Math.max(...results.rss.map((r) => r.peakMb));
  return [
    '## Server memory',
    '',
    `Peak resident memory (VmRSS, sampled every 50 ms) across the run: **${whole(peak)} MB**.`,
    '',
    '| server process | phase | peak RSS |',
    '|---|---|---:|',
    ...results.rss.map((r) => `| ${r.server} | ${r.phase} | ${whole(r.peakMb)} MB |`),
    '',
  ];
}

function profileSection(results: BenchResults): string[] {
  if (results.profiles.length === 0) return [];
  const share = (value: number): string => `${(value * 100).toFixed(1)}%`;
  return [
    '## Where the server\'s CPU went (this run was profiled)',
    '',
    'The servers ran with `node --cpu-prof` (BENCH_CPU_PROFILE_DIR), which slows them down: compare these figures only',
    'with another profiled run. Self time, as a share of the time the server was not idle (it idles while pgbench',
    'measures the ceilings and while it waits for PostgreSQL).',
    '',
    ...results.profiles.flatMap(({ phase, summary }) => [
      `### ${phase}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.idleMs / 1000).toFixed(1)} s idle (\`${summary.file}\`)`,
      '',
      '| where | self time | share |',
      '|---|---:|---:|',
      ...summary.byPlace.map((place) => `| ${place.name} | ${whole(place.ms)} ms | ${share(place.share)} |`),
      '',
      '| function | self time | share |',
      '|---|---:|---:|',
      ...summary.byFunction.map((fn) => `| \`${fn.name}\` | ${whole(fn.ms)} ms | ${share(fn.share)} |`),
      '',
    ]),
  ];
}

function errorsSection(results: BenchResults): string[] {
  if (results.errors.length === 0) return [];
  return ['## Steps that failed', '', ...results.errors.map((e) => `- **${e.step}**: ${e.message.replaceAll('\n', ' ')}`), ''];
}

/** The leading comment of each script run: it says which of the service's statements the script is. */
function sqlSection(raw: readonly RawFigure[]): string[] {
  const scripts = [...new Set([...raw.map((figure) => figure.scenario.script), BALANCE_SCRIPT])];
  const headers = scripts.map(describeScript);
  const stale = headers.flatMap((header) => header.stale);
  return [
    '## Which SQL the ceilings run',
    '',
    'Each script in `bench/pgbench/` is the SQL the service sends today. The ingestion scripts name the service\'s statements',
    '(`-- @statement <file> <name>`), which the harness copies in from `packages/core/sql/` when it runs them, so they send',
    'the current text; the balance script is a copy (its `-- snapshots:` line names the snapshot with its hash, and the',
    'harness warns when it has changed). What each one mirrors, and where it differs:',
    '',
    ...headers.map((header) => `- \`${header.script}\`: ${header.description}`),
    '',
    ...(stale.length === 0 ? ['Every snapshot is as it was when its script was written.'] : ['**Stale scripts**:', '', ...stale.map((line) => `- ${line}`)]),
    '',
  ];
}

function describeScript(script: string): { script: string; description: string; stale: string[] } {
  try {
    const header = readScriptHeader(script);
    return { script, description: header.description, stale: staleSnapshots(header) };
  } catch (error) {
    return { script, description: `(cannot read it: ${error instanceof Error ? error.message : String(error)})`, stale: [] };
  }
}

function readingSection(config: BenchConfig): string[] {
  return [
    '## Reading these figures',
    '',
    `- The machine's ${cpus().length} cores are shared by PostgreSQL, the server, pgbench or autocannon, and whatever else runs`,
    '  there (other engineers\' test suites, on the development machine): see the load averages above. Absolute figures move',
    '  from run to run; the ratios, measured minutes apart, move less.',
    '- autocannon runs in the harness process, on the same cores as the server: it takes CPU that pgbench (in C) does not,',
    '  which puts the HTTP figures at a small disadvantage against the ceiling.',
    '- The HTTP figures reach PostgreSQL through the server\'s pool (LEDGER_DB_POOL_MAX, 10 by default) whatever the number',
    `  of HTTP connections; the raw single-event and replay ceilings run ${config.singleConnections} PostgreSQL connections of their own.`,
    '- The bare-Node baseline has the same pool and the same statement as the service, and autocannon\'s same share of the',
    '  cores: the ratio to it is what the service\'s HTTP stack and per-request work cost, the figure issue 14 targets. Both',
    '  processes run during the whole ingestion phase; each is idle while the other is measured.',
    '',
  ];
}
