/**
 * The quantity of one usage event: how it is read from the client's JSON and the bounds it must meet.
 * Pure; never goes through floating-point arithmetic.
 */
import { Dec } from '#shared/domain/money.ts';

/**
 * Decimal places a quantity may have. With at most `MAX_QUANTITY_INTEGER_DIGITS` integer digits this is 15
 * significant digits: the most an IEEE double carries exactly. A quantity sent as a JSON number is a double once
 * parsed, and the Metering API's `quantity` is a double too, so a finer quantity could neither reach us nor
 * Microsoft unchanged. Six places still meter micro-units (0.000001 GB ≈ 1 kB).
 */
export const MAX_QUANTITY_DECIMALS = 6;
/** Integer digits of one event's quantity (below one billion units per event); see `MAX_QUANTITY_DECIMALS`. */
export const MAX_QUANTITY_INTEGER_DIGITS = 9;

/** 10^MAX_QUANTITY_INTEGER_DIGITS, built once: ingest checks every event against it. */
const QUANTITY_LIMIT = new Dec(10).pow(MAX_QUANTITY_INTEGER_DIGITS);
/** Plain decimals that pass every bound by their shape alone: up to 9 integer digits and 6 decimals, no sign. */
const PLAIN_QUANTITY = new RegExp(`^\\d{1,${MAX_QUANTITY_INTEGER_DIGITS}}(\\.\\d{1,${MAX_QUANTITY_DECIMALS}})?$`);
const NONZERO_DIGIT = /[1-9]/;

export type QuantityVerdict = { ok: true; value: Dec } | { ok: false; message: string };

/**
 * Parses and checks one event's quantity: finite, > 0, at most 6 decimals and 9 integer digits; strings in plain
 * decimal notation. Never goes through floating-point arithmetic: a JSON number is read from its shortest decimal
 * form, which for the 15 significant digits allowed is exactly the literal the client sent.
 *
 * Ingest runs this for every event (up to 1,000 per request): a quantity whose shape already proves it within the
 * bounds (`PLAIN_QUANTITY` with a non-zero digit, the usual case) is only parsed; anything else goes through
 * `checkQuantity`, which says what is wrong. Both give the same verdict for every input (property-tested).
 */
export function parseQuantity(raw: number | string): QuantityVerdict {
  const text = typeof raw === 'string' ? raw : Number.isFinite(raw) ? String(raw) : undefined;
  if (text !== undefined && PLAIN_QUANTITY.test(text) && NONZERO_DIGIT.test(text)) {
    return { ok: true, value: new Dec(text) };
  }
  return checkQuantity(raw);
}

/** `parseQuantity` by explicit checks, one at a time, each failure with its own message. */
export function checkQuantity(raw: number | string): QuantityVerdict {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, message: 'quantity must be a finite number.' };
    text = String(raw);
  } else {
    // A leading minus passes here so that "-5" is told "must be greater than 0" rather than "not a decimal".
    if (!/^-?\d+(\.\d+)?$/.test(raw)) {
      return {
        ok: false,
        message: `quantity "${raw}" is not a decimal in plain notation: send digits with an optional decimal point, e.g. "12.5".`,
      };
    }
    text = raw;
  }
  const value = new Dec(text);
  if (!value.greaterThan(0)) {
    return { ok: false, message: `quantity must be greater than 0 (got ${text}); leave out events with no usage.` };
  }
  if (value.decimalPlaces() > MAX_QUANTITY_DECIMALS) {
    return {
      ok: false,
      message:
        `quantity ${text} has ${value.decimalPlaces()} decimal places; at most ${MAX_QUANTITY_DECIMALS} are kept ` +
        `exactly: round it to ${value.toDecimalPlaces(MAX_QUANTITY_DECIMALS).toString()} or meter in a larger unit.`,
    };
  }
  if (value.greaterThanOrEqualTo(QUANTITY_LIMIT)) {
    return {
      ok: false,
      message: `quantity ${text} is too large for one event (below 1000000000 per event): split it into several events.`,
    };
  }
  return { ok: true, value };
}
