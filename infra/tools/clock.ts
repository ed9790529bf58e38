import { relative, resolve } from 'node:path';
import { LOCAL_CLOCK_PATH } from '#infra/local/clock-endpoint.ts';
import { findLocalSystem, LOCAL_SYSTEM_FILE } from '#infra/local/local-system-file.ts';

/**
 * Local mode only: reads or moves the one clock of the running local system (its functions, its schedules and the
 * marketplace emulator), through its `/_local/clock` endpoint with the bootstrap publisher key.
 *
 *   npm run clock                           the local time, its offset, the next run of each schedule
 *   npm run clock -- +2h                    2 hours ahead (w, d, h, m, s: +30m, +1d, +1d2h30m)
 *   npm run clock -- 2026-12-08T09:00:00Z   to that instant
 *
 * It finds the system through `.local/local-system.json`, which `npm start` writes (`LOCAL_DIR` as for `npm start`).
 */
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const localDir = resolve(REPO_ROOT, process.env.LOCAL_DIR ?? '.local');
const shown = relative(process.cwd(), localDir) || '.';
const move = process.argv[2];
if (move === '--help' || move === '-h' || process.argv.length > 3) {
  console.error('Usage: npm run clock [-- +2h | +30m | +1d | <ISO 8601 instant>]');
  process.exit(2);
}

const found = await findLocalSystem(localDir);
if (!found) {
  console.error(
    `No local system found in ${shown}/ (no ${LOCAL_SYSTEM_FILE} or bootstrap-key): start it with npm start.`,
  );
  process.exit(2);
}
const { system, bootstrapKey: key } = found;

const url = `${system.apiUrl}${LOCAL_CLOCK_PATH}`;
let response: Response;
try {
  response = await fetch(url, {
    method: move === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(move === undefined ? {} : { body: JSON.stringify({ move }) }),
  });
} catch (error) {
  console.error(
    `The local system at ${system.apiUrl} does not answer (${(error as Error).message}): is npm start running?`,
  );
  process.exit(1);
}
const body = (await response.json().catch(() => ({}))) as {
  message?: string;
  from?: string;
  now?: string;
  offsetMs?: number;
  ran?: { schedule: string; ok: boolean; error?: string }[];
  settled?: boolean;
  schedules?: { schedule: string; at: string }[];
};
if (!response.ok) {
  console.error(`${response.status}: ${body.message ?? 'the local system refused the request'}`);
  process.exit(1);
}

const lines: string[] = [];
if (body.from) lines.push(`Moved from ${body.from}`);
lines.push(`Local time  ${body.now}  (${formatOffset(body.offsetMs ?? 0)} ahead of the real clock)`);
for (const run of body.ran ?? []) {
  lines.push(`  ran ${run.schedule}${run.ok ? '' : `: FAILED ${run.error ?? ''}`}`);
}
if (body.settled === false) lines.push('  (queued work was still being processed when the move answered)');
lines.push('Next runs:');
for (const next of body.schedules ?? []) lines.push(`  ${next.schedule.padEnd(18)} ${next.at}`);
console.log(lines.join('\n'));

function formatOffset(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return `${days > 0 ? `${days}d ` : ''}${hours}h ${minutes % 60}m`;
}
