/** One line of figures per scenario, in the test output, for the closing note and for CI logs. */
export function printFigures(scenario: string, figures: Record<string, number | string>): void {
  const parts = Object.entries(figures).map(([name, value]) => `${name}: ${value}`);
  console.log(`[fault suite] ${scenario}: ${parts.join('; ')}`);
}
