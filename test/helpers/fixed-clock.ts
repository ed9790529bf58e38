import type { Clock } from '#shared/use-cases/ports/clock.ts';

/** A clock that says what the test tells it, and moves only when told. */
export class FixedClock implements Clock {
  private current: Date;

  constructor(iso = '2026-01-15T10:00:00.000Z') {
    this.current = new Date(iso);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(iso: string): void {
    this.current = new Date(iso);
  }

  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}
