/**
 * How runs of UTC days are read from the ledger's daily items: the helpers the usage series and the charges share.
 */

export const DAY_MS = 86_400_000;

/**
 * How a run of days is read: in up to READS_PER_RUN reads side by side of at least MIN_DAYS_PER_READ days each. A month
 * is read in 4 reads rather than one: the first days are merged while the others are still being read (a day item
 * with the hours of 30 dimensions is ~10 KB, a month ~300 KB); a year of daily totals in 4 reads, not 46.
 */
const READS_PER_RUN = 4;
const MIN_DAYS_PER_READ = 8;

/**
 * Each run of days [first, last] (`last` any instant of its day) cut into the ranges read side by side: up to
 * READS_PER_RUN of at least MIN_DAYS_PER_READ days.
 */
export function dayChunks(runs: readonly (readonly [Date, Date])[]): [Date, Date][] {
  const chunks: [Date, Date][] = [];
  for (const [first, last] of runs) {
    const firstDay = utcDayStart(first.getTime());
    const lastDay = utcDayStart(last.getTime());
    const days = (lastDay - firstDay) / DAY_MS + 1;
    const size = Math.max(MIN_DAYS_PER_READ, Math.ceil(days / READS_PER_RUN));
    for (let day = firstDay; day <= lastDay; day += size * DAY_MS) {
      chunks.push([new Date(day), new Date(Math.min(day + (size - 1) * DAY_MS, lastDay))]);
    }
  }
  return chunks;
}

export function utcDayStart(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

/** The ledger's key of the UTC day holding `at` (`YYYY-MM-DD`). */
export function dayKey(at: Date): string {
  return at.toISOString().slice(0, 10);
}
