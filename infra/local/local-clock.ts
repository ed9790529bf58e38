import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScheduleRun } from '#infra/local/scheduler.ts';
import { type Clock, type SystemClockControl, systemClock } from '#shared/use-cases/ports/clock.ts';

/** A clock move that cannot be made: `status` is the HTTP status the control endpoint answers with. */
export class ClockMoveError extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
const DURATION = /^\+((?:\d+[wdhms])+)$/;

/**
 * The instant a move asks for: a duration ahead of `now` (`+2h`, `+30m`, `+1d`, `+1d2h30m`; units w, d, h, m, s) or
 * an ISO 8601 instant with its offset (`2026-12-08T09:00:00Z`).
 * @throws ClockMoveError (400) for anything else, a negative duration included (the clock only moves forward).
 */
export function parseClockMove(text: string, now: Date): Date {
  const spec = text.trim();
  if (spec.startsWith('-')) {
    throw new ClockMoveError(400, `"${spec}": the local clock only moves forward; give a duration like +2h.`);
  }
  const duration = DURATION.exec(spec);
  if (duration) {
    let ms = 0;
    for (const [, amount, unit] of (duration[1] ?? '').matchAll(/(\d+)([wdhms])/g)) {
      ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
    }
    const at = new Date(now.getTime() + ms);
    if (Number.isNaN(at.getTime()))
      throw new ClockMoveError(400, `"${spec}" goes beyond the last date JavaScript has.`);
    return at;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(spec)) {
    const at = new Date(spec);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new ClockMoveError(
    400,
    `"${spec}" is neither a duration (+2h, +30m, +1d, +1d2h30m) nor an ISO 8601 instant with its offset ` +
      '(2026-12-08T09:00:00Z).',
  );
}

/** What moves with the clock, wired by the local system once its parts are up. */
export interface ClockFollowers {
  /** Runs the emulator's timers falling due up to `target`, each at its own time, and leaves the clock at `target`. */
  runTimersUntil(target: Date): Promise<void>;
  /**
   * Runs `move` while the schedules do not run on their own timers, handing it the function that runs those due
   * (once each, in the order they fell due).
   */
  holdSchedules<T>(move: (runDue: () => Promise<ScheduleRun[]>) => Promise<T>): Promise<T>;
  /** Waits (bounded) until the queues the functions consume are empty; false when some work was still queued. */
  settle(): Promise<boolean>;
}

export interface ClockMove {
  readonly from: string;
  readonly now: string;
  readonly ran: readonly ScheduleRun[];
  /** False when queued work (usage, lifecycle events) was still being processed when the move answered. */
  readonly settled: boolean;
}

/**
 * The one clock of a local system: real time plus an offset that only grows. The functions read it through
 * `systemClock` (whose offset this owns), the marketplace emulator follows it (as its `SharedTime`), and the schedules run
 * on it. The offset is kept in a file so that a restart over the same data never goes back in time.
 */
export class LocalClock implements Clock {
  private followers: ClockFollowers | undefined;
  private moves: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly control: SystemClockControl,
    private readonly file: string | undefined,
  ) {}

  /** Takes `systemClock` over with the offset saved in `file` by an earlier run (0 when there is none). */
  static async start(control: SystemClockControl, file?: string): Promise<LocalClock> {
    const clock = new LocalClock(control, file);
    const saved = file ? await readFile(file, 'utf8').then(parseSavedOffset, () => 0) : 0;
    if (saved > 0) control.setOffset(saved);
    return clock;
  }

  now(): Date {
    return systemClock.now();
  }

  nowMs(): number {
    return this.now().getTime();
  }

  get offsetMs(): number {
    return this.control.offsetMs;
  }

  follow(followers: ClockFollowers): void {
    this.followers = followers;
  }

  /** Sets the time without running anything; an instant already reached (time flows meanwhile) changes nothing. */
  jumpTo(ms: number): void {
    const offset = ms - Date.now();
    if (offset > this.control.offsetMs) this.control.setOffset(offset);
  }

  /**
   * Moves the whole local system to `target`: first lets queued usage reach the ledger (it belongs to the hours
   * before the move), then runs the emulator's timers on the way (webhooks, renewals, the 30-day deadline), then the
   * schedules that fell due (reporter, alert checks, sync, reconciler: once each, however many runs were skipped),
   * and waits for the work they queued. Moves never overlap. A move asked through the emulator's control API
   * (`SharedTime.move`) comes here too.
   * @throws ClockMoveError (409) when `target` is before the current time.
   */
  move(target: Date): Promise<ClockMove> {
    const run = this.moves.then(async (): Promise<ClockMove> => {
      const from = this.now();
      if (target.getTime() < from.getTime()) {
        throw new ClockMoveError(
          409,
          `The local clock only moves forward (time going back would report hours twice): ${target.toISOString()} ` +
            `is before its current time ${from.toISOString()}.`,
        );
      }
      const followers = this.followers;
      const moveAll = async (runDue: () => Promise<ScheduleRun[]>): Promise<ClockMove> => {
        await followers?.settle();
        await followers?.runTimersUntil(target);
        this.jumpTo(target.getTime());
        await this.save();
        const ran = await runDue();
        const settled = (await followers?.settle()) ?? true;
        return { from: from.toISOString(), now: this.now().toISOString(), ran, settled };
      };
      // The schedules' own timer would otherwise run what falls due while the emulator's timers move the clock.
      return followers ? followers.holdSchedules(moveAll) : moveAll(async () => []);
    });
    this.moves = run.catch(() => undefined);
    return run;
  }

  /** Puts `systemClock` back on the real clock; the saved offset stays for the next start. */
  release(): void {
    this.control.release();
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(
      this.file,
      `${JSON.stringify({ offsetMs: this.control.offsetMs, now: this.now().toISOString() })}\n`,
    );
  }
}

function parseSavedOffset(text: string): number {
  try {
    const offset = (JSON.parse(text) as { offsetMs?: unknown }).offsetMs;
    return typeof offset === 'number' && Number.isFinite(offset) && offset > 0 ? offset : 0;
  } catch {
    return 0;
  }
}
