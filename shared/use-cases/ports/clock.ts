/**
 * Time as a port, so that use cases never call `Date.now()` and tests can pin the instant (STYLE §4).
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/**
 * How far `systemClock` runs ahead of the real clock. Always 0 in AWS; only the local mode moves it (through
 * `takeSystemClockControl`), so that a person can jump a local system hours or days ahead and every function follows.
 */
let offsetMs = 0;
let holder: SystemClockControl | undefined;

/** The real clock, for handlers (plus the local mode's offset, see above); tests pass a fixed `Clock` instead. */
export const systemClock: Clock = { now: () => new Date(Date.now() + offsetMs) };

/** The one holder allowed to move `systemClock` in this process. */
export interface SystemClockControl {
  /** How far `systemClock` is ahead of the real clock, in milliseconds. */
  readonly offsetMs: number;
  /**
   * Sets the offset. Only forward: time going back would let an hour already reported be reported again.
   * @throws RangeError when `ms` is below the current offset or not a finite number.
   */
  setOffset(ms: number): void;
  /** Gives the control back and puts `systemClock` on the real clock again. */
  release(): void;
}

/** Environment variables the Lambda runtime sets in every function: their presence means "running in AWS". */
const LAMBDA_RUNTIME_MARKERS = ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT'] as const;

/**
 * Takes control of `systemClock`'s offset, for the local mode only. Nothing deployed calls this (only `infra/local/`
 * may import it, which test/unit/system-clock.test.ts checks); the runtime check below makes sure that even a bundle
 * that did could not move time in AWS.
 * @throws Error inside a Lambda runtime, and while another holder has not released it.
 */
export function takeSystemClockControl(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SystemClockControl {
  const marker = LAMBDA_RUNTIME_MARKERS.find((name) => env[name]);
  if (marker) {
    throw new Error(`The system clock cannot be moved in AWS (${marker} is set): only the local mode moves it.`);
  }
  if (holder) {
    throw new Error('The system clock is already moved by another local system in this process: stop that one first.');
  }
  const control: SystemClockControl = {
    get offsetMs() {
      return holder === control ? offsetMs : 0;
    },
    setOffset(ms) {
      if (holder !== control) throw new Error('This control of the system clock was released.');
      if (!Number.isFinite(ms) || ms < offsetMs) {
        throw new RangeError(
          `The system clock only moves forward: offset ${ms} ms is below the current ${offsetMs} ms.`,
        );
      }
      offsetMs = ms;
    },
    release() {
      if (holder !== control) return;
      holder = undefined;
      offsetMs = 0;
    },
  };
  holder = control;
  return control;
}
