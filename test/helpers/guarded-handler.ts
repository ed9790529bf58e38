import { FUNCTIONS } from '#infra/functions.ts';
import { asFunction } from '#infra/local/dynamodb-access-guard.ts';

/**
 * `handler` run as the function `functionId` of infra/functions.ts: its DynamoDB requests are checked against the
 * function's declared table access (infra/local/dynamodb-access-guard.ts, installed by prepareFunctionEnvironment),
 * as IAM checks them in AWS. Handler tests call their handler through this.
 */
export function asDeclaredFunction<H extends (...args: never[]) => unknown>(functionId: string, handler: H): H {
  const definition = FUNCTIONS.find((candidate) => candidate.id === functionId);
  if (!definition) throw new Error(`No function ${functionId} in infra/functions.ts`);
  return asFunction(definition, handler);
}
