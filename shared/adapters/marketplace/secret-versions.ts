import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/**
 * How many versions the secret has had, deprecated ones included (Secrets Manager keeps at least the previous one).
 *
 * Why it tells the placeholder apart: the stateful stack creates the Entra client secret with a value CloudFormation
 * generates, and the publisher replaces it with `put-secret-value`, which adds a version. One version means nobody has
 * put the real secret yet. Telling it by the value instead (a marker in a generated template) would need a new
 * `GenerateSecretString` on the existing secret, and CloudFormation answers that change by generating a new value:
 * every deployed stack would lose its real secret on upgrade.
 */
export async function secretsManagerVersionCount(secretArn: string): Promise<number> {
  client ??= new SecretsManagerClient({});
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: secretArn, IncludeDeprecated: true, NextToken: nextToken }),
    );
    count += page.Versions?.length ?? 0;
    nextToken = page.NextToken;
  } while (nextToken);
  return count;
}
