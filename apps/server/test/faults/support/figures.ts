/**
 * The settings every fault-suite server runs with: bounds tight enough that a fault shows within
 * a test's time, loose enough for a loaded CI machine.
 */
export const FAULT_SERVER_ENV: Record<string, string> = {
  LEDGER_DB_POOL_MAX: '10',
  LEDGER_DB_CONNECT_TIMEOUT_MS: '2000',
  LEDGER_DB_STATEMENT_TIMEOUT_MS: '5000',
};

/** One line of figures per scenario, in the test output, for the closing note and for CI logs. */
export function printFigures(scenario: string, figures: Record<string, number | string>): void {
  const parts = Object.entries(figures).map(([name, value]) => `${name}: ${value}`);
  console.log(`[fault suite] ${scenario}: ${parts.join('; ')}`);
}
