/**
 * The life of the Entra credential the marketplace client signs in with: a client secret expires (Entra allows at
 * most 24 months), a certificate expires, and the secret the stateful stack creates holds a placeholder until the
 * publisher puts the real value in. Pure rules; the facts come from the credential adapter.
 */

/** Warn this many days before the credential expires: time to add a new one in Entra and put it here. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;

/** What can be known about the credential without calling Entra. */
export interface EntraCredentialFacts {
  /** The stored value is still the placeholder the stack created: every token request would fail. */
  readonly placeholder: boolean;
  /** When the credential stops working, if known (stored beside a client secret, read from a certificate). */
  readonly expiresOn?: Date;
  /** A stored expiry that could not be read as a date: the value as stored. */
  readonly unreadableExpiry?: string;
  /** Nothing stored expires (workload identity federation mints each assertion when needed). */
  readonly neverExpires?: boolean;
}

/**
 * - `placeholder`: not set yet; nothing works.
 * - `expired`: past its expiry; nothing works.
 * - `expiring`: works, but stops within `EXPIRY_WARNING_DAYS` days (30 days left counts).
 * - `ready`: works, expiry more than `EXPIRY_WARNING_DAYS` days away.
 * - `unknownExpiry`: works as far as can be told, but nothing watches when it stops (no stored expiry).
 */
export type EntraCredentialState = 'placeholder' | 'expired' | 'expiring' | 'ready' | 'unknownExpiry';

export interface EntraCredentialAssessment {
  readonly state: EntraCredentialState;
  /** False when no token can be had with it (placeholder, expired). */
  readonly usable: boolean;
  readonly expiresOn?: Date;
  /** Whole days left until `expiresOn` (negative once expired). */
  readonly daysLeft?: number;
}

/** Whole days from `now` until `expiresOn`, rounded down (so "0 days" means it expires within the day). */
export function daysUntil(expiresOn: Date, now: Date): number {
  return Math.floor((expiresOn.getTime() - now.getTime()) / DAY_MS);
}

/** Where the credential stands at `now`. A placeholder wins over any expiry stored beside it. */
export function assessEntraCredential(facts: EntraCredentialFacts, now: Date): EntraCredentialAssessment {
  if (facts.placeholder) return { state: 'placeholder', usable: false };
  const { expiresOn } = facts;
  if (!expiresOn) return { state: facts.neverExpires ? 'ready' : 'unknownExpiry', usable: true };
  const daysLeft = daysUntil(expiresOn, now);
  if (expiresOn.getTime() <= now.getTime()) return { state: 'expired', usable: false, expiresOn, daysLeft };
  if (daysLeft <= EXPIRY_WARNING_DAYS) return { state: 'expiring', usable: true, expiresOn, daysLeft };
  return { state: 'ready', usable: true, expiresOn, daysLeft };
}
