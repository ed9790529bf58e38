import { logger as powertoolsLogger } from '#shared/observability.ts';
import {
  checkEntraCredential,
  type EntraCredentialReport,
} from '#shared/use-cases/operations/check-entra-credential.ts';
import type { EntraCredentialInspector } from '#shared/use-cases/operations/ports/entra-credential-inspector.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/** Where the cold-start line goes; the Powertools `logger` fits. */
export interface CredentialStateLogger {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/**
 * One log line about the marketplace credential, for a function's cold start: an error when no Microsoft call can
 * succeed (the stack's placeholder, expired, unreadable), a warning when it expires within 30 days or its expiry is
 * not stored, nothing when it is fine. The line carries the report's message, which names the command that fixes it.
 * Never throws: the marketplace calls report their own failures.
 */
export async function logCredentialState(
  inspector: EntraCredentialInspector,
  options: { readonly logger?: CredentialStateLogger; readonly clock?: Clock } = {},
): Promise<EntraCredentialReport> {
  const log = options.logger ?? powertoolsLogger;
  let cause: unknown;
  const report = await checkEntraCredential({
    inspector: {
      describe: () =>
        inspector.describe().catch((error: unknown) => {
          cause = error;
          throw error;
        }),
    },
    clock: options.clock ?? systemClock,
  });
  const attributes = {
    entraCredential: report,
    ...(cause instanceof Error ? { error: { name: cause.name, message: cause.message } } : {}),
  };
  if (!report.ok) log.error(`Entra credential not usable: ${report.message}`, attributes);
  else if (report.state === 'expiring' || report.state === 'unknownExpiry') {
    log.warn(`Entra credential needs attention: ${report.message}`, attributes);
  }
  return report;
}
