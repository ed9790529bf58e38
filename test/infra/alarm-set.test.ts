import type { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { readDeploymentSettings } from '#infra/deployment-settings.ts';
import { FUNCTIONS } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { inventoryOf, type TemplateJson } from '#test/bench/idle-cost.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

/**
 * The alarms a default deployment builds, pinned. Each alarm metric costs USD 0.10 a month whether anything happens or
 * not (docs/cost.md, issue 15's idle cost of USD 1 a month), so a new alarm is a decision: change this list, the
 * runbook (docs/operate.md) and the cost page together. A condition the functions can decide is better a count of
 * `NEEDS_ATTENTION_COUNTS` (shared/needs-attention.ts), which costs nothing more.
 */
const DEFAULT_ALARMS = {
  stateful: [
    'AlertsDeliveryFailuresAlarm',
    'DeadLettersAlarm',
    'LifecycleDeliveryFailuresAlarm',
    'MainThrottlingAlarm',
    'OperationAnswersOldestMessageAlarm',
    'UsageOldestMessageAlarm',
  ],
  stateless: [
    'Api5xxAlarm',
    'ApiLatencyAlarm',
    'FunctionErrorsAlarm',
    'FunctionThrottlesAlarm',
    'NeedsAttentionAlarm',
    'UsageReporterNotRunningAlarm',
  ],
};
/** What those alarms read: one metric each, two for the table's (reads + writes). */
const DEFAULT_ALARM_METRICS = 13;
/** Both stacks are synthesized per case (functions bundled): minutes on a busy machine. */
const SYNTH_TIMEOUT = 180_000;

function deployed(context: Record<string, unknown>, prefix: string) {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, `${prefix}Stateful`, { settings });
  const stateless = new StatelessStack(app, `${prefix}Stateless`, { stateful, catalog: TEST_CATALOG, settings });
  const assembly = app.synth();
  const templates = [stateful, stateless].map(
    (stack) => assembly.getStackByName(stack.stackName).template as TemplateJson,
  );
  return {
    alarms: { stateful: alarmIds(stateful), stateless: alarmIds(stateless) },
    alarmMetrics: inventoryOf(
      templates,
      FUNCTIONS.map((definition) => definition.id),
    ).alarmMetrics,
  };
}

/** The construct ids of a stack's alarms (the names docs/operate.md uses), sorted. */
function alarmIds(stack: Stack): string[] {
  return stack.node
    .findAll()
    .filter((construct): construct is cloudwatch.Alarm => construct instanceof cloudwatch.Alarm)
    .map((alarm) => alarm.node.id)
    .sort();
}

describe('the alarms a deployment pays for', () => {
  it(`are, by default, these 12 alarms reading ${DEFAULT_ALARM_METRICS} metrics`, { timeout: SYNTH_TIMEOUT }, () => {
    const { alarms, alarmMetrics } = deployed({}, 'Default');

    expect(alarms).toEqual(DEFAULT_ALARMS);
    expect(alarmMetrics).toBe(DEFAULT_ALARM_METRICS);
  });

  it('lose the two account-wide function alarms with functionAlarms=none, and get two per function with perFunction', {
    timeout: 2 * SYNTH_TIMEOUT,
  }, () => {
    const lean = deployed({ functionAlarms: 'none' }, 'Lean');
    const each = deployed({ functionAlarms: 'perFunction' }, 'Each');

    expect(lean.alarms.stateless).toEqual(
      DEFAULT_ALARMS.stateless.filter((id) => !['FunctionErrorsAlarm', 'FunctionThrottlesAlarm'].includes(id)),
    );
    expect(lean.alarmMetrics).toBe(DEFAULT_ALARM_METRICS - 2);
    expect(each.alarmMetrics).toBe(DEFAULT_ALARM_METRICS - 2 + 2 * FUNCTIONS.length);
  });

  it('add the bounce and complaint rates with e-mail, and the spend with SMS', { timeout: SYNTH_TIMEOUT }, () => {
    const withChannels = deployed(
      {
        alertEmailDomain: 'alerts.example.com',
        smsOriginationIdentityArn:
          'arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef',
      },
      'Channels',
    );

    expect(withChannels.alarms.stateful).toEqual(
      [
        ...DEFAULT_ALARMS.stateful,
        'AlertEmailBounceRateAlarm',
        'AlertEmailComplaintRateAlarm',
        'AlertSmsSpendAlarm',
      ].sort(),
    );
    expect(withChannels.alarmMetrics).toBe(DEFAULT_ALARM_METRICS + 3);
  });
});
