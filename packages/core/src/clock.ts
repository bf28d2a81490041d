/** Source of "now". Injected so that tests and time travel never depend on the wall clock. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
