import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processSqsBatch } from '#shared/adapters/sqs/partial-batch.ts';
import { logger, metrics } from '#shared/observability.ts';
import { type AnswerOperationDeps, answerOperation } from '#shared/use-cases/fulfillment/answer-operation.ts';
import { loadOperationAnswersConfig } from './config.ts';
import { buildOperationAnswersDependencies } from './dependencies.ts';
import { InvalidOperationAnswerError, parseOperationAnswer } from './schema.ts';

/**
 * The consumer of the operation-answers queue: for each message, PATCHes the decision the webhook recorded (after
 * the webhook's 200, as Microsoft expects) and applies the change once Microsoft has it Succeeded. Only failed
 * records are reported for retry.
 */
export function createOperationAnswers(deps: AnswerOperationDeps) {
  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    processSqsBatch(
      event,
      async (record) => {
        const answer = parseOperationAnswer(record.body);
        const result = await answerOperation(deps, answer);
        logger.info('Operation answered', { ...answer, ...result });
        if (result.late) metrics.addMetric('OperationAnswerLate', MetricUnit.Count, 1);
        if (result.patchedAfterMs !== undefined) {
          metrics.addMetric('OperationAnswerDelay', MetricUnit.Milliseconds, result.patchedAfterMs);
        }
      },
      reportFailure,
    );
}

function reportFailure(record: SQSRecord, error: unknown): void {
  const context = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error };
  if (error instanceof InvalidOperationAnswerError) logger.error('Operation answer can never be sent', context);
  else logger.warn('Operation answer not finished; SQS will deliver it again', context);
  metrics.addMetric('OperationAnswersFailed', MetricUnit.Count, 1);
}

const answer = createOperationAnswers(await buildOperationAnswersDependencies(loadOperationAnswersConfig()));

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event) => answer(event));
