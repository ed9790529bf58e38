import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import {
  type DispatchedRun,
  type DispatchUsageReportDeps,
  dispatchUsageReport,
} from '#shared/use-cases/metering/dispatch-usage-report.ts';

/**
 * Starts a reporting run now, as the schedule would (`POST /v1/reporting/runs`, used by `npm run report`): the
 * workers report it as any other run. Safe at any time: the shard leases keep two runs' workers off one shard, and
 * every slot is reported exactly once whichever run gets to it.
 * @throws ForbiddenError for a key that is not the publisher's.
 */
export function startReportingRun(deps: DispatchUsageReportDeps, caller: Principal): Promise<DispatchedRun> {
  requirePublisher(caller, 'start a usage report run');
  return dispatchUsageReport(deps, 'manual');
}
