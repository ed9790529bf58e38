import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The one place that builds Powertools' logger and metrics. Service name and namespace come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE set by the CDK function construct.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'marketplace-metering' });

/**
 * Where Powertools' metrics warnings go: into the structured logger, except the one it gives on every invocation
 * that counted nothing ("No application metrics to publish"). Here that is normal, not a fault: a metric is added
 * only when there is something to count (idle cost, and no per-invocation log noise).
 */
export const metricsWarnings = {
  debug: (...content: unknown[]) => logger.debug(String(content[0] ?? ''), ...rest(content)),
  info: (...content: unknown[]) => logger.info(String(content[0] ?? ''), ...rest(content)),
  warn: (...content: unknown[]) => {
    if (String(content[0] ?? '').startsWith(EMPTY_METRICS_WARNING)) return;
    logger.warn(String(content[0] ?? ''), ...rest(content));
  },
  error: (...content: unknown[]) => logger.error(String(content[0] ?? ''), ...rest(content)),
};
const EMPTY_METRICS_WARNING = 'No application metrics to publish';

function rest(content: unknown[]): Record<string, unknown>[] {
  return content.length > 1 ? [{ details: content.slice(1).map(String) }] : [];
}

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MarketplaceMetering',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'marketplace-metering',
  logger: metricsWarnings,
});

/**
 * Adds a count only when there is something to count. CloudWatch bills a custom metric for every hour it receives a
 * datapoint (USD 0.30 a month for one sent all month), so a zero published by each idle scheduled run would cost as
 * much as a real figure; a metric with no datapoint costs nothing, and alarms on counts treat missing data as zero
 * (docs/cost.md). Graphs show a gap instead of a zero.
 */
export function addCount(name: string, count: number, target: Pick<Metrics, 'addMetric'> = metrics): void {
  if (count > 0) target.addMetric(name, MetricUnit.Count, count);
}
