import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { serviceMetric } from '#infra/constructs/app-function.ts';
import { EXPIRY_WARNING_DAYS } from '#shared/domain/entra-credential.ts';

export interface EntraCredentialAlarms {
  /** Two hourly canary runs in a row failed, or the canary stopped running. */
  readonly canaryFailed: cloudwatch.Alarm;
  /** The credential expires within 30 days (reported once a day by the canary). */
  readonly expiry: cloudwatch.Alarm;
}

/**
 * The alarms on the Entra credential and the landing page, both to the operations topic (runbooks in
 * docs/operate.md under their construct ids).
 *
 * - `EntraCanaryFailedAlarm` watches the canary function's own `Errors` (free, unlike a custom metric): the canary
 *   throws when the token, the landing page or the credential check fails. Hourly periods, ALARM when two datapoints
 *   are breaching. Lambda publishes `Errors` (0 when all went well) for every hour with an invocation; CloudWatch
 *   judges by the two most recent hours that have data when its evaluation range holds at least two, so the hour in
 *   progress (the canary runs at the minute its schedule was created) and an hour left empty by a run delayed past
 *   the boundary do not count, while a canary that stopped leaves the range without data and missing data is
 *   breaching: it pages within a few hours. Two failed runs in a row page (within two hours); a single one (Entra
 *   blipping) does not.
 * - `EntraCredentialExpiryAlarm` watches `EntraCredentialDaysLeft`, which the canary sends once a day when the expiry
 *   is known: ALARM at 30 days left or fewer. Missing data is not breaching: a plain secret has no stored expiry
 *   (`GET /health` says so, with the command to store it), and a canary that stopped is the other alarm's job.
 */
export function addEntraCredentialAlarms(
  scope: Construct,
  props: { readonly canary: lambda.IFunction; readonly operations: sns.ITopic },
): EntraCredentialAlarms {
  const action = new cloudwatchActions.SnsAction(props.operations);
  const canaryFailed = new cloudwatch.Alarm(scope, 'EntraCanaryFailedAlarm', {
    alarmDescription:
      'The hourly Entra canary failed twice in a row, or stopped running: Microsoft calls (token from ' +
      'Entra) or the landing page are failing. The canary log line "Entra canary failed" says which. Runbook: ' +
      'docs/operate.md#entracanaryfailedalarm.',
    metric: props.canary.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  const expiry = new cloudwatch.Alarm(scope, 'EntraCredentialExpiryAlarm', {
    alarmDescription:
      `The Entra credential of the marketplace app expires in ${EXPIRY_WARNING_DAYS} days or fewer: add a new client ` +
      'secret (or certificate) in Entra and put it here before then. Runbook: docs/operate.md#entracredentialexpiryalarm.',
    metric: serviceMetric('entra-canary', 'EntraCredentialDaysLeft', {
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.days(1),
    }),
    threshold: EXPIRY_WARNING_DAYS,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  for (const alarm of [canaryFailed, expiry]) alarm.addAlarmAction(action);
  return { canaryFailed, expiry };
}
