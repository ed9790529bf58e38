/**
 * `npm run fuzz [-- --requests 100000 --seed 42 --concurrency 8 --group 4 --why --progress-file <file>]`: starts the local system (its own DynamoDB Local, fauxqs and
 * marketplace emulator, like `npm start`), sends generated and mutated requests to every route and prints the counts
 * per route as a Markdown table (for docs/testing-and-benchmarks.md) and any failure with the request that caused it.
 * Exits 1 when a request answered 5xx or hung, a refused request changed the table, or a stored value does not read
 * back.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalSystem } from '#infra/local/local-system.ts';
import { describeRequest, formatRefusals, formatReport, prepareFuzzContext, runFuzz } from '#test/fuzz/run-fuzz.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    group: { type: 'string', default: '4' },
    why: { type: 'boolean', default: false },
    'progress-file': { type: 'string' },
  },
});
const total = Number(values.requests);
if (!Number.isInteger(total) || total < 1)
  throw new Error(`--requests must be a positive whole number, not ${values.requests}`);

const workDir = await mkdtemp(join(tmpdir(), 'fuzz-'));
const system = await startLocalSystem({
  apiPort: 0,
  localDir: workDir,
  bootstrapKeyFile: join(workDir, 'bootstrap-key'),
});
try {
  const started = Date.now();
  const context = await prepareFuzzContext(system);
  const report = await runFuzz(system, context, {
    total,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    concurrency: Number(values.concurrency),
    groupSize: Number(values.group),
    log: (line) => console.error(`${new Date().toISOString()} ${line}`),
    ...(values['progress-file'] === undefined
      ? {}
      : { onProgress: (partial) => writeFileSync(values['progress-file'] as string, formatReport(partial)) }),
  });
  console.log(formatReport(report));
  const { timings } = report;
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  console.log(
    `\nseed ${report.seed}; ${report.rejectedRequestsCompared} refused requests checked against the table's changes ` +
      `(of ${report.refusedMutated} mutated ones refused) ` +
      `(${report.groupsResolved} groups resolved one by one); ${report.connectionRetries} requests sent again on a fresh ` +
      `connection (idle connection closed by the server); ${report.storedValuesRead} stored values read back; ` +
      `${seconds(Date.now() - started)} in all, ${Math.round(total / (timings.total / 1000))} requests/s ` +
      `(generating ${seconds(timings.generate)}, sending well-formed ${seconds(timings.send)}, mutated ${seconds(timings.sendMutated)}, reading changes ${seconds(timings.check)}, waiting for quiet ${seconds(timings.settle)})`,
  );
  for (const line of report.unreproduced) console.log(`table changed during refused requests, not reproduced: ${line}`);
  if (values.why) console.log(`\nWhy well-formed requests were refused:\n${formatRefusals(report)}`);
  for (const failure of report.failures.slice(0, 50)) {
    console.log(`FAIL ${failure.kind} ${failure.route}: ${failure.detail}`);
    if (failure.request) console.log(`  ${describeRequest(failure.request)}`);
  }
  if (report.unsucceeded.length > 0) {
    console.log(`FAIL no request succeeded on: ${report.unsucceeded.join(', ')} (see --why)`);
  }
  process.exitCode = report.failures.length > 0 || report.unsucceeded.length > 0 ? 1 : 0;
} finally {
  await system.stop();
  await rm(workDir, { recursive: true, force: true });
}
