import * as z from 'zod';
import type { ShardWork } from '#shared/use-cases/metering/ports/reporting-runs.ts';
import { describeIssues } from '#shared/zod-issues.ts';

/** Our own message (`SqsShardWorkQueue`), so parsed strictly: anything else was not queued by the reporter. */
const shardWorkSchema = z.strictObject({
  runId: z.string().min(1).max(100),
  runStartedAt: z.iso.datetime(),
  shard: z.number().int().min(0).max(999),
  invocation: z.number().int().min(1),
});

/** A message that can never be worked: it fails every delivery and ends in the dead-letter queue with its reason. */
export class InvalidShardWorkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** @throws InvalidShardWorkError when the body is not a `ShardWork`. */
export function parseShardWork(body: string): ShardWork {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidShardWorkError('the message body is not JSON');
  }
  const parsed = shardWorkSchema.safeParse(json);
  if (!parsed.success) throw new InvalidShardWorkError(describeIssues(parsed.error));
  return parsed.data;
}
