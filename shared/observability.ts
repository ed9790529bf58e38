import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { NEEDS_ATTENTION_METRIC, NEEDS_ATTENTION_METRIC_NAMES } from '#shared/needs-attention.ts';

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
 *
 * A count of `NEEDS_ATTENTION_COUNTS` (shared/needs-attention.ts) also adds to `NeedsAttention`, the one metric an
 * alarm watches for all of them.
 */
export function addCount(
  name: string,
  count: number,
  target: Pick<Metrics, 'addMetric' | 'singleMetric'> = metrics,
): void {
  if (count <= 0) return;
  target.addMetric(name, MetricUnit.Count, count);
  if (NEEDS_ATTENTION_METRIC_NAMES.has(name)) addNeedsAttention(count, target);
}

/**
 * `NeedsAttention` with no dimension at all (EMF `"Dimensions": [[]]`), so that one alarm metric covers every
 * function: a single-metric document of its own (published at once), without the `service` default dimension, since
 * the dimension sets of a document apply to each of its metrics and a second set on the function's own document
 * would publish every other count twice.
 */
function addNeedsAttention(count: number, target: Pick<Metrics, 'singleMetric'>): void {
  const single = target.singleMetric();
  single.clearDefaultDimensions();
  // An empty dimension set: Powertools writes `[[]]`, a metric without dimensions, rather than no set at all.
  single.addDimensions({});
  single.addMetric(NEEDS_ATTENTION_METRIC, MetricUnit.Count, count);
}
