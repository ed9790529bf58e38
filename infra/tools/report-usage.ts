import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DispatchedRun } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type { ReportingRunRecord, ShardRecord } from '#shared/use-cases/metering/ports/reporting-runs.ts';

/**
 * Operator tool: runs the usage reporter now and watches it.
 *
 *   npm run report                                   # the local system of `npm start` (its API and bootstrap key)
 *   npm run report -- --api https://…/ --key <publisher key>   # a deployed stack, through its API
 *
 * It starts a run with `POST /v1/reporting/runs` (the API function dispatches it exactly as the schedule does: one
 * message per shard for the reporter's workers), then reads `GET /v1/reporting/runs` every second and draws a
 * progress bar per shard until every shard has finished, and prints the run's summary. It needs a publisher key, not
 * AWS credentials: the workers do the reporting, in AWS as locally. Exit code 1 when the run reports errors, 2 when it
 * did not finish within --timeout seconds (default 600).
 */
const { values } = parseArgs({
  options: {
    api: { type: 'string' },
    key: { type: 'string' },
    'key-file': { type: 'string' },
    timeout: { type: 'string' },
  },
});
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const api = (values.api ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
const keyFile = values['key-file'] ?? join(REPO_ROOT, '.local/bootstrap-key');
const key = values.key ?? (await readFile(keyFile, 'utf8').catch(() => '')).trim();
if (!key) {
  console.error(
    `No publisher key: pass --key <key>, or --key-file <file> (default ${keyFile}, written by \`npm start\`).`,
  );
  process.exit(2);
}
const timeoutMs = Number(values.timeout ?? 600) * 1000;

async function call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new Error(`${api} cannot be reached (${String(error)}): is \`npm start\` running, or is --api right?`);
  }
  const body = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

const BAR = 24;
/** Progress of a shard: finished is full; otherwise slots rated against the backlog found at dispatch. */
function bar(shard: ShardRecord): string {
  const done = shard.finishedAt ? 1 : shard.backlog === 0 ? 0 : Math.min(0.99, shard.counts.rated / shard.backlog);
  const filled = Math.round(done * BAR);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(Math.round(done * 100)).padStart(3)}%`;
}

function render(run: ReportingRunRecord): string[] {
  return run.shards.map(
    (shard) =>
      `  shard ${String(shard.shard).padStart(2)} ${bar(shard)} ${shard.state.padEnd(9)} ` +
      `backlog ${shard.backlog}, sent ${shard.counts.sent}, invocations ${shard.invocations}`,
  );
}

const started = Date.now();
const run = await call<DispatchedRun>('POST', '/v1/reporting/runs');
console.log(
  `Run ${run.runId} started: ${run.shards} shards, ${run.backlog} index entries waiting` +
    (run.oldestUnreportedHour ? `, oldest unreported hour ${run.oldestUnreportedHour}` : '') +
    `; reporting hours up to ${run.lastHour}.`,
);
const interactive = process.stdout.isTTY === true;
let drawn = 0;
let record: ReportingRunRecord | undefined;
while (Date.now() - started < timeoutMs) {
  const { runs } = await call<{ runs: ReportingRunRecord[] }>('GET', '/v1/reporting/runs?limit=10');
  record = runs.find((candidate) => candidate.runId === run.runId);
  if (record) {
    const lines = render(record);
    if (interactive) {
      if (drawn > 0) process.stdout.write(`\u001b[${drawn}A`);
      process.stdout.write(`${lines.map((line) => `${line}\u001b[K`).join('\n')}\n`);
      drawn = lines.length;
    }
    if (record.finishedAt) break;
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
if (!record?.finishedAt) {
  if (record && !interactive) console.log(render(record).join('\n'));
  console.error(`The run did not finish within ${timeoutMs / 1000} s; see GET /v1/reporting/runs for where it is.`);
  process.exit(2);
}
if (!interactive) console.log(render(record).join('\n'));
const { counts } = record;
const longest = Math.max(0, ...record.shards.map((shard) => shard.longestInvocationMs));
console.log(
  [
    '',
    `Run ${record.runId} finished in ${((Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s`,
    `  slots rated ${counts.rated}, events sent ${counts.sent} in ${counts.calls} metering calls`,
    `  accepted ${counts.accepted}, duplicate ${counts.duplicate}, folded ${counts.folded}, ` +
      `unreportable ${counts.unreportable}, errors ${counts.errors}`,
    `  oldest unreported hour at the start: ${record.oldestUnreportedHour ?? 'none'}`,
    `  longest worker invocation: ${(longest / 1000).toFixed(1)} s`,
    counts.errors > 0 ? '  Errors: see the usage-reporter logs and docs/operate.md.' : '',
  ].join('\n'),
);
process.exit(counts.errors > 0 ? 1 : 0);
