import type { CanaryStreak, ScheduleRunRecord } from '#shared/domain/scheduled-runs.ts';

/** Where each scheduled run notes that it started, for the watcher of schedules (shared/domain/scheduled-runs.ts). */
export interface ScheduleRunLog {
  /** Notes that `schedule` started a run at `at`. @throws Error when the store cannot be written. */
  recordRun(schedule: string, at: Date): Promise<void>;
}

/** What the watcher of schedules reads and keeps. */
export interface ScheduleRunRecords extends ScheduleRunLog {
  /** Every schedule's record. @throws Error when the store cannot be read. */
  list(): Promise<ScheduleRunRecord[]>;
  /** The watcher expects `schedule` from `at` on (kept if already set). */
  startWatching(schedule: string, at: Date): Promise<void>;
  /** The watcher no longer expects `schedule` (it is not deployed). */
  stopWatching(schedule: string): Promise<void>;
}

/** The Entra canary's memory of its last attempt, kept between runs. */
export interface CanaryStreakStore {
  /** The streak as last written; undefined before the first attempt. @throws Error when the store cannot be read. */
  read(): Promise<CanaryStreak | undefined>;
  /** @throws Error when the store cannot be written. */
  write(streak: CanaryStreak): Promise<void>;
}
