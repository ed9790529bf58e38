import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import type { ReportingRunLog, ReportingRunPage } from '#shared/use-cases/metering/ports/reporting-runs.ts';

export interface ListReportingRunsDeps {
  readonly reportingRuns: Pick<ReportingRunLog, 'listRuns'>;
}

/**
 * The usage reporter's runs, newest first, each with its shards and their counts (`GET /v1/reporting/runs`).
 * @throws ForbiddenError for a key that is not the publisher's; ValidationError for a bad limit or cursor.
 */
export function listReportingRuns(
  deps: ListReportingRunsDeps,
  caller: Principal,
  query: { readonly limit?: number; readonly cursor?: string },
): Promise<ReportingRunPage> {
  requirePublisher(caller, 'read the usage reporter runs');
  return deps.reportingRuns.listRuns(query);
}
