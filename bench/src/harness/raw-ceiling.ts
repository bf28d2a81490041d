import { CHARGE, chargeScriptVariables, MATURITY_DAYS } from './charges.ts';
import type { BenchConfig } from './config.ts';
import { withClient } from './databases.ts';
import { type PgbenchMode, type PgbenchResult, runPgbench } from './pgbench.ts';

/** What a raw scenario writes, and so which HTTP figure it is the ceiling of. */
export type RawWorkload = 'single' | 'replay' | 'batch';

/**
 * One pgbench run of the service's own SQL. To follow a change to the ingestion SQL, edit the
 * script in bench/pgbench/ (or point a row at a new one); the harness reads nothing else from it.
 */
export interface RawScenario {
  id: string;
  workload: RawWorkload;
  script: string;
  mode: PgbenchMode;
  clients: number;
  eventsPerTransaction: number;
  variables: Record<string, string | number>;
}

export interface RawFigure {
  scenario: RawScenario;
  result: PgbenchResult;
  eventsPerSecond: number;
}

/**
 * The ingestion ceilings measured in a run, in the order they run. The single-event and replay
 * scripts are the service's prepared statements (run -M prepared, as the service sends them, and
 * -M extended, parsed every time, for comparison); they bind strings, which pgbench's -M simple
 * would paste into the text unquoted, so they have no simple row.
 */
export function rawIngestScenarios(config: BenchConfig): RawScenario[] {
  const modes: PgbenchMode[] = ['extended', 'prepared'];
  const clients = config.singleConnections;
  const charge = chargeScriptVariables();
  return [
    ...modes.map((mode) => ({ id: `single-${mode}`, workload: 'single' as const, script: 'single-event.sql', mode, clients, eventsPerTransaction: 1, variables: { ...charge, seq: 0 } })),
    ...modes.map((mode) => ({ id: `replay-${mode}`, workload: 'replay' as const, script: 'replay-event.sql', mode, clients, eventsPerTransaction: 1, variables: { ...charge, known: config.rawKnownEvents } })),
    ...config.batchSizes.map((size) => ({
      id: `batch-${size}-prepared`,
      workload: 'batch' as const,
      script: 'batch-events.sql',
      mode: 'prepared' as const,
      clients: config.batchConnections,
      eventsPerTransaction: size,
      variables: { ...charge, seq: 0, size },
    })),
  ];
}

/** Runs one ceiling scenario. `tag` must differ between the runs on one database: it keeps their event_ids apart. */
export async function measureRaw(config: BenchConfig, databaseUrl: string, scenario: RawScenario, tag: number): Promise<RawFigure> {
  const result = await runPgbench({
    pgbenchPath: config.pgbenchPath,
    databaseUrl,
    script: scenario.script,
    mode: scenario.mode,
    clients: scenario.clients,
    seconds: config.throughputSeconds,
    variables: { ...scenario.variables, tag },
  });
  if (result.failed > 0) throw new Error(`${scenario.id}: ${result.failed} failed transactions`);
  return { scenario, result, eventsPerSecond: result.tps * scenario.eventsPerTransaction };
}

/** The best events/s among the figures of one workload (and batch size): the ceiling the HTTP figure is compared with. */
export function ceilingOf(figures: readonly RawFigure[], workload: RawWorkload, eventsPerTransaction = 1): RawFigure | undefined {
  return figures
    .filter((figure) => figure.scenario.workload === workload && figure.scenario.eventsPerTransaction === eventsPerTransaction)
    .reduce<RawFigure | undefined>((best, figure) => (best === undefined || figure.eventsPerSecond > best.eventsPerSecond ? figure : best), undefined);
}

/** Restaurant ids the raw scripts use: res_pgb_1 … res_pgb_50. */
const RAW_RESTAURANTS = 50;

/**
 * What the ceilings start from: the 50 restaurants the scripts write to (so that every event
 * takes the service's usual path, where its restaurant exists), and the known events pgr_1 …
 * pgr_<known> that replay-event.sql replays, with the content that script sends (CHARGE) and the
 * entries recordPlannedEvents would have written for them: sale then fee, in that id order, both
 * available after the maturity window. The ledger_entries trigger draws their ids, as for any insert.
 */
export async function prepareRawDatabase(databaseUrl: string, knownEvents: number): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(`INSERT INTO restaurants (id, maturity_days) SELECT 'res_pgb_' || r, $2::int FROM generate_series(1, $1::int) AS r`, [RAW_RESTAURANTS, MATURITY_DAYS]);
    await client.query(
      `INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
       SELECT 'pgr_' || k, $3::text, 'res_pgb_' || (k % $2::int + 1), $4::text, $5::bigint, $6::bigint, $7::timestamptz,
              jsonb_build_object('reservation_id', 'rsv_' || k, 'payment_id', 'pay_' || k),
              jsonb_build_object('event_id', 'pgr_' || k, 'event_type', $3::text, 'occurred_at', $8::text,
                'restaurant_id', 'res_pgb_' || (k % $2::int + 1), 'currency', $4::text, 'amount', $5::bigint, 'fee', $6::bigint,
                'metadata', jsonb_build_object('reservation_id', 'rsv_' || k, 'payment_id', 'pay_' || k))
         FROM generate_series(1, $1::int) AS k`,
      // occurred_at twice: as an instant ($7) and, in the raw payload, as the text that was sent ($8).
      [knownEvents, RAW_RESTAURANTS, CHARGE.event_type, CHARGE.currency, CHARGE.amount, CHARGE.fee, CHARGE.occurred_at, CHARGE.occurred_at],
    );
    await client.query(
      `INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
       SELECT pe.id, pe.restaurant_id, pe.currency, e.entry_type, e.amount_minor, pe.occurred_at, pe.occurred_at + make_interval(hours => r.maturity_days * 24)
         FROM processor_events pe
         JOIN restaurants r ON r.id = pe.restaurant_id
         CROSS JOIN LATERAL (VALUES (1, 'sale', pe.amount_minor), (2, 'fee', -pe.fee_minor)) AS e (ordinal, entry_type, amount_minor)
        ORDER BY pe.id, e.ordinal`,
    );
    await client.query('VACUUM ANALYZE restaurants, processor_events, ledger_entries');
  });
}
