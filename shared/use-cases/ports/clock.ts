/**
 * Time as a port, so that use cases never call `Date.now()` and tests can pin the instant (STYLE §4).
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The real clock, for handlers; tests pass a fixed `Clock` instead. */
export const systemClock: Clock = { now: () => new Date() };
