import { BENCH_DATABASE_URL_DEFAULT, FULL_PLAN, seedLedger } from './seed-ledger.ts';

/** `pnpm bench:seed`: the 2.1M-entry ledger the query plans and benchmarks run on. */
const url = process.env.BENCH_DATABASE_URL ?? BENCH_DATABASE_URL_DEFAULT;
await seedLedger(url, FULL_PLAN, (line) => console.log(`seed: ${line}`));
