import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoCanaryStreak } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import {
  ConfiguredCredentialInspector,
  FreshCredentialTokenProbe,
  HttpLandingPageProbe,
} from '#shared/adapters/marketplace/credential-probes.ts';
import { secretsManagerVersionCount } from '#shared/adapters/marketplace/secret-versions.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import type { EntraCanaryConfig } from './config.ts';

/** What the canary needs, built once per cold start (each run still asks Entra for a new token). */
export function buildEntraCanaryDependencies(config: EntraCanaryConfig) {
  return {
    tokens: new FreshCredentialTokenProbe(config.marketplace),
    landing: new HttpLandingPageProbe(config.landingPageUrl),
    inspector: new ConfiguredCredentialInspector(config.marketplace, {
      countSecretVersions: secretsManagerVersionCount,
    }),
    clock: systemClock,
    streaks: new DynamoCanaryStreak(createDocumentClient(), config.tableName),
  };
}
