import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULES, watchedSchedules } from '#infra/functions.ts';
import type { LambdaFailureRecord } from '#infra/local/scheduled-run-dead-letters.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { localClients } from '#test/helpers/local-aws.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/**
 * The schedules of the local mode as `npm start` runs them, on DynamoDB Local, fauxqs and the emulator: each run
 * notes its schedule for the watcher (the dispatcher), and a run that throws lands in the one dead-letter queue as a
 * Lambda failure record, where a person running locally finds it.
 */
describe('scheduled runs in the local mode', () => {
  let local: TestLocalSystem;
  let key: string;
  const { documentClient, sqs } = localClients();

  beforeAll(async () => {
    local = await startTestLocalSystem('scheduled-runs');
    key = (await readFile(join(local.workDir, 'bootstrap-key'), 'utf8')).trim();
  }, 60_000);
  afterAll(() => local?.stop());

  const moveClock = async (move: string) => {
    const moved = await fetch(`${local.system.apiUrl}/_local/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ move }),
    });
    expect(moved.status).toBe(200);
    return (await moved.json()) as { ran: { schedule: string; ok: boolean; error?: string }[] };
  };

  it('notes the last run of every watched schedule, and the dispatcher finds none overdue', async () => {
    const moved = await moveClock('+25h');
    const { Items = [] } = await documentClient.send(
      new QueryCommand({
        TableName: local.system.resources[MAIN_TABLE.envVar],
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': 'SCHEDULE_RUNS', ':prefix': 'SCHEDULE#' },
        ConsistentRead: true,
      }),
    );

    expect(moved.ran.every((run) => run.ok)).toBe(true);
    const noted: Record<string, Record<string, unknown>> = Object.fromEntries(
      Items.map((item) => [String(item.schedule), item]),
    );
    for (const schedule of watchedSchedules(SCHEDULES)) {
      expect(noted[schedule.id], schedule.id).toMatchObject({ lastRunAt: expect.any(String) });
    }
    // The dispatcher ran first (the earliest due) and began to expect each of them.
    expect(Object.values(noted).filter((item) => item.watchedSince)).toHaveLength(watchedSchedules(SCHEDULES).length);
  });

  it('sends a run that throws to the dead-letter queue as Lambda’s failure record, naming the function and the error', async () => {
    // Microsoft's List Subscriptions fails for the next run: the sync cannot list at all, so its run throws.
    local.system.emulator.control.setFaults({ match: 'listSubscriptions', errorRate: 1 });
    let moved: Awaited<ReturnType<typeof moveClock>>;
    try {
      moved = await moveClock('+61m');
    } finally {
      local.system.emulator.control.clearFaults();
    }
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: local.system.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const records = (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as LambdaFailureRecord);

    expect(moved.ran.filter((run) => !run.ok).map((run) => run.schedule)).toEqual(['SubscriptionSync']);
    expect(records).toEqual([
      expect.objectContaining({
        version: '1.0',
        requestContext: expect.objectContaining({
          functionArn: expect.stringMatching(
            /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:.+-SubscriptionSync:\$LATEST$/,
          ),
          condition: 'RetriesExhausted',
        }),
        requestPayload: expect.objectContaining({ schedule: 'SubscriptionSync' }),
        responseContext: expect.objectContaining({ functionError: 'Unhandled' }),
        responsePayload: expect.objectContaining({ errorMessage: expect.any(String), errorType: expect.any(String) }),
      }),
    ]);
  }, 90_000);
});
