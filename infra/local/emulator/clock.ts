/**
 * The emulator's clock. Everything time-bound in the marketplace runs on it: access-token and landing-token
 * lifetimes (reference §3, §1.2 Resolve), the metering 24 h window (§4.3), the 10 s auto-accept of portal changes
 * (§0, §2.1), the completion of publisher-initiated operations and webhook redelivery (§2.1).
 *
 * Two modes:
 * - `running` (default, for the local mode): time flows with the real clock from the start time, and a real timer
 *   fires due emulator timers every 100 ms; `setTime`/`advance` jump it.
 * - `manual` (for tests): time stands still until `setTime` or `advance`, so a suite never sleeps and never races.
 * - `shared` (the local system): time is another clock's (`SharedTime`: the local system's, which its functions
 *   read too); it flows like `running`, and the timers falling due on a move run at their own times as that clock
 *   jumps. A move asked through the control API is handed to the clock's owner, which moves the whole system.
 */
export type ClockMode = 'running' | 'manual' | 'shared';

/** A clock the emulator follows instead of keeping its own (the local system's shared clock). */
export interface SharedTime {
  nowMs(): number;
  /** Sets the time (never earlier than now), without running anything: called while the emulator's timers run. */
  jumpTo(ms: number): void;
  /** A move asked for through the emulator's control API: the owner moves everything, the emulator included. */
  move(target: Date): Promise<void>;
}

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly run: () => Promise<void> | void;
}

export class EmulatorClock {
  private base: number;
  private anchor = performance.now();
  private readonly timers: Timer[] = [];
  private nextId = 1;
  private ticker: NodeJS.Timeout | undefined;
  private readonly shared: SharedTime | undefined;
  /** Serializes timer runs: the real ticker and `advance` never run timers concurrently. */
  private queue: Promise<void> = Promise.resolve();

  readonly mode: ClockMode;

  constructor(
    start: Date,
    mode: 'running' | 'manual' | SharedTime,
    private readonly onTimerError: (error: unknown) => void = () => undefined,
  ) {
    this.shared = typeof mode === 'string' ? undefined : mode;
    this.mode = typeof mode === 'string' ? mode : 'shared';
    this.base = start.getTime();
    if (this.mode !== 'manual') {
      this.ticker = setInterval(() => void this.runDue(this.nowMs()), 100);
      this.ticker.unref();
    }
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    if (this.shared) return this.shared.nowMs();
    return this.mode === 'running' ? this.base + (performance.now() - this.anchor) : this.base;
  }

  /** Runs `run` once the emulator clock reaches `at` (immediately on the next tick/advance when already past). */
  schedule(at: Date | number, run: () => Promise<void> | void): number {
    const id = this.nextId++;
    this.timers.push({ id, due: typeof at === 'number' ? at : at.getTime(), run });
    return id;
  }

  cancel(id: number): void {
    const index = this.timers.findIndex((timer) => timer.id === id);
    if (index >= 0) this.timers.splice(index, 1);
  }

  cancelAll(): void {
    this.timers.length = 0;
  }

  /** Timers not yet run (for inspection). */
  pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves the clock to `date`. Moving forward runs the timers falling due on the way, each at its own due time (so a
   * webhook redelivered at T+15 s carries iat = T+15 s); moving backward runs nothing (and a `shared` clock refuses
   * it: its owner only moves forward). For a `shared` clock this is what the owner calls on a move; others call
   * `requestMove`.
   */
  setTime(date: Date): Promise<void> {
    const target = date.getTime();
    if (target <= this.nowMs()) {
      this.jumpTo(target);
      return this.queue;
    }
    return this.runDue(target);
  }

  /** A move asked for from outside (control API): a `shared` clock's owner moves the whole system to `date`. */
  requestMove(date: Date): Promise<void> {
    return this.shared ? this.shared.move(date) : this.setTime(date);
  }

  /** `setTime(now + ms)`. */
  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a non-negative number of milliseconds');
    return this.setTime(new Date(this.nowMs() + ms));
  }

  /** Resolves once timers already queued have run. */
  idle(): Promise<void> {
    return this.queue;
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.timers.length = 0;
  }

  private jumpTo(ms: number): void {
    if (this.shared) {
      this.shared.jumpTo(ms);
      return;
    }
    this.base = ms;
    this.anchor = performance.now();
  }

  private runDue(target: number): Promise<void> {
    this.queue = this.queue.then(async () => {
      for (;;) {
        const next = this.earliestDue(target);
        if (!next) break;
        this.timers.splice(this.timers.indexOf(next), 1);
        if (next.due > this.nowMs()) this.jumpTo(next.due);
        try {
          await next.run();
        } catch (error) {
          this.onTimerError(error);
        }
      }
      if (target > this.nowMs()) this.jumpTo(target);
    });
    return this.queue;
  }

  private earliestDue(target: number): Timer | undefined {
    let earliest: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.due <= target && (!earliest || timer.due < earliest.due)) earliest = timer;
    }
    return earliest;
  }
}
