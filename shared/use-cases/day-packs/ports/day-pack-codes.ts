/**
 * Generating and hashing day-pack codes. A port because both need `node:crypto`, which stays out of use cases;
 * the implementation is `cryptoDayPackCodes` in `shared/adapters/day-pack-codes.ts`.
 */
export interface DayPackCodes {
  /** A new random code, to be shown once to whoever issues it. */
  generate(): string;
  /** The stored form of a code: a hash of its normalised form, so codes typed differently hash the same. */
  hash(code: string): string;
}
