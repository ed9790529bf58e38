import { afterAll } from 'vitest';
import { takeRefusedDynamoDbRequests } from '#infra/local/dynamodb-access-guard.ts';

/*
 * Runs in every test file (vitest.config.ts `setupFiles`). A function whose DynamoDB request falls outside its
 * declared table access gets an error (infra/local/dynamodb-access-guard.ts); where the function catches that error
 * and carries on (best-effort steps), the test could still pass, so the file fails here instead: in AWS that request
 * would be denied.
 */
afterAll(() => {
  const refused = takeRefusedDynamoDbRequests();
  if (refused.length > 0) {
    throw new Error(
      `${refused.length} DynamoDB request(s) outside the functions' declared table access:\n` +
        [...new Set(refused.map((refusal) => refusal.message))].join('\n'),
    );
  }
});
