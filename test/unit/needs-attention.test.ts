import { readdirSync, readFileSync } from 'node:fs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALERT_DELIVERY_LATE_FROM_RECEIVE, recordNotifyMetrics } from '#functions/alert-notifier/metrics.ts';
import { recordCanaryMetrics } from '#functions/entra-canary/metrics.ts';
import { recordReportingMetrics } from '#functions/usage-reporter/metrics.ts';
import { EXPIRY_WARNING_DAYS } from '#shared/domain/entra-credential.ts';
import { DEFAULT_UNREPORTED_ALARM_HOURS } from '#shared/domain/reporting/report-schedule.ts';
import { NEEDS_ATTENTION_COUNTS, NEEDS_ATTENTION_METRIC } from '#shared/needs-attention.ts';
import { addCount } from '#shared/observability.ts';
import type { NotifyRecipientResult } from '#shared/use-cases/alerts/notify-recipient.ts';
import type { EntraCanaryResult } from '#shared/use-cases/operations/run-entra-canary.ts';
import { idleRun, recorder } from '#test/helpers/metrics-recorder.ts';

const ROOT = new URL('../../', import.meta.url);

/**
 * The alarms that each watched one count (or one gauge's threshold) until NeedsAttentionAlarm replaced them, with the
 * count that now stands for each. None may be dropped from NeedsAttention without a decision here.
 */
const REPLACED_ALARMS: Record<string, readonly [service: string, metric: string]> = {
  DuplicateQuantityMismatchAlarm: ['usage-reporter', 'DuplicateQuantityMismatch'],
  MeteringRejectedAlarm: ['usage-reporter', 'MeteringRejected'],
  ReportingBlockedAlarm: ['usage-reporter', 'ReportingBlocked'],
  UnreportableCarryAlarm: ['usage-reporter', 'UnreportableCarry'],
  ExpiredAfterRetryAlarm: ['usage-reporter', 'ExpiredAfterRetry'],
  UnreportedUsageAgeAlarm: ['usage-reporter', 'UnreportedUsageOverdue'],
  UsageReconcilerReconcileDifferencesAlarm: ['usage-reconciler', 'ReconcileDifferences'],
  SubscriptionSyncSubscriptionSyncFailuresAlarm: ['subscription-sync', 'SubscriptionSyncFailures'],
  AlertChecksAlertChecksIncompleteAlarm: ['alert-checks', 'AlertChecksIncomplete'],
  AlertChecksAlertEvaluationsFailedAlarm: ['alert-checks', 'AlertEvaluationsFailed'],
  UsageAggregatorAlertEvaluationsFailedAlarm: ['usage-aggregator', 'AlertEvaluationsFailed'],
  FulfillmentWebhookUnknownWebhookActionAlarm: ['fulfillment-webhook', 'UnknownWebhookAction'],
  WebhookRefusingCallsAlarm: ['fulfillment-webhook', 'WebhookRefusingCalls'],
  AlertNotifierDeliveryRetriesAlarm: ['alert-notifier', 'AlertDeliveryLate'],
  EntraCanaryFailedAlarm: ['entra-canary', 'EntraCanaryFailed'],
  EntraCredentialExpiryAlarm: ['entra-canary', 'EntraCredentialExpiring'],
};

const needsAttention = (added: { name: string }[]) => added.filter((metric) => metric.name === NEEDS_ATTENTION_METRIC);

describe('the counts that feed NeedsAttention (shared/needs-attention.ts)', () => {
  it('include every count an alarm of its own used to cover', () => {
    const feeding = NEEDS_ATTENTION_COUNTS.map(({ service, metric }) => `${service} ${metric}`);
    for (const [alarm, [service, metric]] of Object.entries(REPLACED_ALARMS)) {
      expect(feeding, `${alarm} is covered by ${service} ${metric}`).toContain(`${service} ${metric}`);
    }
  });

  it('are each published by the function they name (its folder holds the metric name)', () => {
    for (const { service, metric } of NEEDS_ATTENTION_COUNTS) {
      const folder = new URL(`functions/${service}/`, ROOT);
      const sources = readdirSync(folder)
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(new URL(file, folder), 'utf8'))
        .join('\n');
      expect(sources, `functions/${service} publishes ${metric}`).toContain(`'${metric}'`);
    }
  });

  it('each have their entry (#### <count>) in the runbook of NeedsAttentionAlarm', () => {
    const doc = readFileSync(new URL('docs/operate.md', ROOT), 'utf8');
    const start = doc.indexOf('\n### NeedsAttentionAlarm\n');
    expect(start).toBeGreaterThan(0);
    const end = doc.indexOf('\n### ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    const entries = new Set([...section.matchAll(/^#### `?(\w+)`?/gm)].map((match) => match[1]));
    expect([...new Set(NEEDS_ATTENTION_COUNTS.map((count) => count.metric))].filter((m) => !entries.has(m))).toEqual(
      [],
    );
  });
});

describe('addCount', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('adds a count that needs an operator to NeedsAttention too, in an EMF document without any dimension', () => {
    // The tests run in Powertools' dev mode (metrics off, the global console): on for this one instance.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const metrics = new Metrics({ namespace: 'MarketplaceMetering', serviceName: 'usage-reconciler' });
    const output = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    addCount('ReconcileDifferences', 3, metrics);
    metrics.publishStoredMetrics();

    const documents = output.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(documents).toHaveLength(2);
    const attention = documents.find((document) => NEEDS_ATTENTION_METRIC in document);
    expect(attention).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'MarketplaceMetering', Dimensions: [[]], Metrics: [{ Name: NEEDS_ATTENTION_METRIC }] },
        ],
      },
      NeedsAttention: 3,
    });
    expect(attention).not.toHaveProperty('service');
    const own = documents.find((document) => 'ReconcileDifferences' in document);
    expect(own).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service']] }] },
      service: 'usage-reconciler',
      ReconcileDifferences: 3,
    });
    expect(own).not.toHaveProperty(NEEDS_ATTENTION_METRIC);
  });

  it('adds other counts to nothing else, and nothing at all for a zero', () => {
    const { target, added } = recorder();

    addCount('AlertsSent', 2, target);
    addCount('ReconcileDifferences', 0, target);

    expect(added).toEqual([{ name: 'AlertsSent', value: 2, dimensions: {} }]);
  });
});

describe('conditions the functions decide (a gauge past a threshold)', () => {
  it('the reporter counts UnreportedUsageOverdue when the oldest unreported usage is older than 20 hours', () => {
    const atLimit = recorder();
    const past = recorder();
    const waiting = { oldestUnreportedHour: '2026-12-06T08:00:00.000Z', groups: 1 };

    recordReportingMetrics(
      atLimit.target,
      idleRun({ ...waiting, oldestUnreportedAgeHours: DEFAULT_UNREPORTED_ALARM_HOURS }),
    );
    recordReportingMetrics(past.target, idleRun({ ...waiting, oldestUnreportedAgeHours: 20.5 }));

    expect(atLimit.added.map((metric) => metric.name)).toEqual(['OldestUnreportedSlotAgeHours']);
    expect(past.added).toEqual([
      { name: 'OldestUnreportedSlotAgeHours', value: 20.5, dimensions: {} },
      { name: 'UnreportedUsageOverdue', value: 1, dimensions: {} },
      { name: NEEDS_ATTENTION_METRIC, value: 1, dimensions: { cleared: 'service' } },
    ]);
  });

  const canaryResult = (overrides: Partial<EntraCanaryResult> = {}): EntraCanaryResult => ({
    ok: true,
    token: { ok: true },
    landing: { ok: true, status: 303 },
    credential: { ok: true, state: 'ready', kind: 'secret', message: 'ready' },
    failuresInARow: 0,
    confirmedFailure: false,
    ...overrides,
  });

  it('the canary counts nothing in a healthy hour, and the days left once a day', () => {
    const hourly = recorder();
    const daily = recorder();

    recordCanaryMetrics(hourly.target, canaryResult());
    recordCanaryMetrics(daily.target, canaryResult({ daysLeftToReport: EXPIRY_WARNING_DAYS + 1 }));

    expect(hourly.added).toEqual([]);
    expect(daily.added).toEqual([{ name: 'EntraCredentialDaysLeft', value: 31, dimensions: {} }]);
  });

  it('the canary counts EntraCredentialExpiring at 30 days left or fewer, and EntraCanaryFailed for a second failure in a row', () => {
    const expiring = recorder();
    const failedOnce = recorder();
    const failed = recorder();
    const refused = { ok: false, token: { ok: false, error: 'AADSTS7000215' } };

    recordCanaryMetrics(expiring.target, canaryResult({ daysLeftToReport: EXPIRY_WARNING_DAYS }));
    recordCanaryMetrics(failedOnce.target, canaryResult({ ...refused, failuresInARow: 1 }));
    recordCanaryMetrics(failed.target, canaryResult({ ...refused, failuresInARow: 2, confirmedFailure: true }));

    expect(expiring.added.map((metric) => metric.name)).toEqual([
      'EntraCredentialDaysLeft',
      'EntraCredentialExpiring',
      NEEDS_ATTENTION_METRIC,
    ]);
    expect(failedOnce.added).toEqual([]);
    expect(failed.added.map((metric) => metric.name)).toEqual(['EntraCanaryFailed', NEEDS_ATTENTION_METRIC]);
  });

  it('the notifier counts AlertDeliveryLate only when a channel still refuses after several receives', () => {
    const refused: NotifyRecipientResult = {
      contacts: [
        { contact: { channel: 'email', address: 'a@example.com' }, outcome: 'retry', reason: 'Throttling' },
        { contact: { channel: 'email', address: 'b@example.com' }, outcome: 'sent' },
      ] as unknown as NotifyRecipientResult['contacts'],
      comeBack: 'transient',
    };
    const early = recorder();
    const late = recorder();

    recordNotifyMetrics(early.target, refused, ALERT_DELIVERY_LATE_FROM_RECEIVE - 1);
    recordNotifyMetrics(late.target, refused, ALERT_DELIVERY_LATE_FROM_RECEIVE);

    expect(early.added.map((metric) => metric.name)).toEqual(['AlertDeliveriesSent', 'AlertDeliveryRetries']);
    expect(needsAttention(early.added)).toEqual([]);
    expect(late.added.map((metric) => metric.name)).toEqual([
      'AlertDeliveriesSent',
      'AlertDeliveryRetries',
      'AlertDeliveryLate',
      NEEDS_ATTENTION_METRIC,
    ]);
  });
});
