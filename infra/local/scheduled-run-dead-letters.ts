import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * What Lambda sends to an asynchronous invocation's `onFailure` destination (here the stack's `DEAD_LETTER_QUEUE`,
 * infra/constructs/scheduled-run-failures.ts) when a scheduled run failed: the AWS Lambda developer guide's
 * "invocation record" (Capturing records of Lambda asynchronous invocations), with the request, the condition and the
 * error the handler threw.
 */
export interface LambdaFailureRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  readonly responsePayload: {
    readonly errorType: string;
    readonly errorMessage: string;
    readonly trace: readonly string[];
  };
}

/** The account id the local stand-ins use in their ARNs. */
const LOCAL_ACCOUNT = '000000000000';

/**
 * The record of a failed local scheduled run. The local scheduler does not retry a run (Lambda retries twice in AWS
 * before this record is sent): `approximateInvokeCount` says the one attempt made.
 */
export function lambdaFailureRecord(failure: {
  readonly functionName: string;
  readonly region: string;
  readonly event: unknown;
  readonly error: unknown;
  readonly at: Date;
}): LambdaFailureRecord {
  const error = failure.error instanceof Error ? failure.error : new Error(String(failure.error));
  return {
    version: '1.0',
    timestamp: failure.at.toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${failure.region}:${LOCAL_ACCOUNT}:function:${failure.functionName}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    },
    requestPayload: failure.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    },
  };
}

/** Sends a failed run's record to the local dead-letter queue, as Lambda's on-failure destination does in AWS. */
export async function sendToDeadLetters(sqs: SQSClient, queueUrl: string, record: LambdaFailureRecord): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
}
