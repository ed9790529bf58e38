import { parseArgs } from 'node:util';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import type { Role } from '#shared/domain/access.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';

/**
 * Operator tool: issues an API key straight into a deployed table, with the operator's own AWS credentials.
 * This is how the first publisher key of a new deployment is made (later keys can go through the API).
 *
 *   npm run api-key:create -- --table <TableName output> --role publisher --name "billing service"
 *   npm run api-key:create -- --table <…> --role partner --partner-id reseller-one --name "Reseller One"
 *   npm run api-key:create -- --table <…> --role customer --tenant-id <entra tenant id> --name "Fabrikam"
 */
const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    role: { type: 'string', default: 'publisher' },
    name: { type: 'string' },
    'partner-id': { type: 'string' },
    'tenant-id': { type: 'string' },
    'subscription-id': { type: 'string', multiple: true },
  },
});

if (!values.table || !values.name) {
  console.error(
    'Usage: npm run api-key:create -- --table <table name> --name <label> [--role publisher|partner|customer]',
  );
  console.error('       [--partner-id <id>] [--tenant-id <tenant>] [--subscription-id <id> …]');
  process.exit(2);
}

const created = await createApiKey(
  { apiKeys: new DynamoApiKeyStore(createDocumentClient(), values.table), codec: apiKeyCodec, clock: systemClock },
  undefined,
  {
    name: values.name,
    role: values.role as Role,
    partnerId: values['partner-id'],
    tenantId: values['tenant-id'],
    subscriptionIds: values['subscription-id'],
  },
);
console.log(`Created ${created.record.role} key ${created.record.keyId}. Keep it secret; it is not shown again:`);
console.log(created.token);
