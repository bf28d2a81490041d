/** Source of "now". Injected so that tests and time travel never depend on the wall clock. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Milliseconds in a day (UTC days: no daylight saving). */
export const DAY_MS = 24 * 60 * 60 * 1000;
