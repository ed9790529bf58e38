/**
 * Time from Microsoft's webhook call to our PATCH, through the local system (`npm start`'s `startLocalSystem`): the
 * webhook answers, the operation-answers queue holds the PATCH 1 s (`CHANGE_ANSWER_QUEUE_DELAY_SECONDS`), the local
 * poller hands it to the consumer, which PATCHes. Measured on the emulator's clock (running on real time): from the
 * operation's time stamp (set as its webhook is sent) to its completion (set when the PATCH Success arrives).
 * Run: `npm run bench:operation-answer -- [changes=50]`.
 */
import './quiet-env.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalSystem } from '#infra/local/local-system.ts';
import { aPurchaseInput } from '#test/helpers/fulfillment-flow.ts';
import { activateOnLandingPage } from '#test/helpers/local-landing.ts';

const changes = Number(process.argv[2] ?? 50);
const workDir = await mkdtemp(join(tmpdir(), 'answer-bench-'));
const system = await startLocalSystem({ apiPort: 0, localDir: workDir, bootstrapKeyFile: join(workDir, 'key') });
try {
  const bought = await system.emulator.control.purchase(aPurchaseInput({ quantity: 1 }));
  await activateOnLandingPage(system, bought);
  const delays: number[] = [];
  let late = 0;
  for (let index = 0; index < changes; index += 1) {
    const operation = await system.emulator.control.changeQuantityFromPortal(bought.subscriptionId, 2 + (index % 40));
    for (;;) {
      const seen = system.emulator.control.operations(bought.subscriptionId).find((op) => op.id === operation.id);
      if (seen && seen.status !== 'InProgress') {
        if (seen.patchCount === 0) late += 1;
        delays.push(Date.parse(seen.completedAt ?? '') - Date.parse(String(seen.timeStamp)));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  delays.sort((a, b) => a - b);
  const at = (p: number) => delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)];
  console.log(
    `webhook call → PATCH over ${delays.length} changes: p50 ${at(50)} ms, p99 ${at(99)} ms, max ${delays.at(-1)} ms, ` +
      `auto-accepted without our PATCH: ${late}`,
  );
} finally {
  await system.stop();
  await rm(workDir, { recursive: true, force: true });
}
