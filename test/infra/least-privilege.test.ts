import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '#infra/functions.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { tableAccessStatements } from '#infra/table-access.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import {
  actionsOf,
  resourcesOf,
  type Statement,
  statementsOfFunctionRole,
  TEST_CATALOG,
  testApp,
} from '#test/infra/cdk-test-app.ts';

type Conditioned = Statement & { Condition?: Record<string, Record<string, string[]>> };

/**
 * What each function may do in the table, pinned: per function, each DynamoDB action with the leading-key patterns it
 * is allowed on (`index:Query` for the global index). A change to a declaration in infra/functions.ts fails here until
 * this table is updated with it, so widening a function's rights is always a reviewed change (docs/security.md).
 */
const EXPECTED: Record<string, Record<string, string[]>> = {
  Api: {
    'dynamodb:GetItem': [
      'ALERT#*',
      'APIKEY#*',
      'CONTACT#*',
      'DAYPACK#*',
      'PARTNER#*',
      'PARTNER_TENANT#*',
      'SESSION_KEY*',
      'SUB#*',
    ],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['ALERT#*', 'REPORTING_RUNS*', 'SUB#*'],
    'dynamodb:PutItem': ['ALERT#*', 'APIKEY#*', 'DAYPACK#*', 'PARTNER#*', 'PARTNER_TENANT#*', 'SESSION_KEY*', 'SUB#*'],
    'dynamodb:UpdateItem': ['ALERT#*', 'APIKEY#*', 'CONTACT#*', 'DAYPACK#*', 'SUB#*'],
    'dynamodb:DeleteItem': ['PARTNER_TENANT#*'],
    'dynamodb:BatchWriteItem': ['REPORTING_RUNS*'],
    'index:Query': ['ALERTS#*', 'APIKEYS*', 'CUSTOMER#*', 'PARTNER#*', 'PARTNERS*', 'SUBSTATUS#*', 'UNREPORTED#*'],
  },
  PublisherOperations: {
    'dynamodb:GetItem': ['ALERT#*', 'APIKEY#*', 'HEALTH*', 'PARTNER#*', 'PARTNER_TENANT#*', 'SESSION_KEY*', 'SUB#*'],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['ALERT#*', 'SUB#*'],
    'dynamodb:PutItem': ['ALERT#*', 'SESSION_KEY*', 'SUB#*'],
    'dynamodb:UpdateItem': ['ALERT#*', 'APIKEY#*', 'SUB#*'],
    'index:Query': ['APIKEYS*', 'CUSTOMER#*', 'PARTNER#*', 'PARTNERS*'],
  },
  UsageIngest: {
    'dynamodb:GetItem': ['APIKEY#*', 'IDEMPOTENCY#*', 'SUB#*'],
    'dynamodb:Query': ['SUB#*'],
    'dynamodb:PutItem': ['IDEMPOTENCY#*', 'SUB#*'],
    'dynamodb:UpdateItem': ['IDEMPOTENCY#*', 'SUB#*'],
    'dynamodb:DeleteItem': ['IDEMPOTENCY#*'],
  },
  UsageAggregator: {
    'dynamodb:GetItem': ['ALERT#*', 'PARTNER#*', 'SUB#*', 'USAGEMSG#*'],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['SUB#*'],
    'dynamodb:PutItem': ['ALERT#*', 'SUB#*'],
    'dynamodb:UpdateItem': ['ALERT#*', 'SUB#*'],
  },
  // The session key item (SESSION_KEY): read by every function that opens sessions or signs contact links, and made
  // (conditional put) by whichever needs it first.
  Landing: {
    'dynamodb:GetItem': ['PARTNER_TENANT#*', 'SESSION_KEY*', 'SUB#*'],
    'dynamodb:PutItem': ['SESSION_KEY*', 'SUB#*'],
    'dynamodb:UpdateItem': ['SUB#*'],
  },
  FulfillmentWebhook: {
    'dynamodb:GetItem': ['ALERT#*', 'PARTNER#*', 'SUB#*'],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['SUB#*'],
    'dynamodb:PutItem': ['ALERT#*', 'SUB#*'],
    'dynamodb:UpdateItem': ['ALERT#*', 'REPORTED#*', 'SUB#*'],
    'index:Query': ['UNREPORTED#*'],
  },
  OperationAnswers: {
    'dynamodb:GetItem': ['SUB#*'],
    'dynamodb:PutItem': ['SUB#*'],
    'dynamodb:UpdateItem': ['SUB#*'],
  },
  AlertChecks: {
    'dynamodb:GetItem': ['ALERT#*', 'PARTNER#*', 'SUB#*'],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['SUB#*'],
    'dynamodb:PutItem': ['ALERT#*', 'SUB#*'],
    // Each run of its schedule, for the watcher of schedules.
    'dynamodb:UpdateItem': ['ALERT#*', 'SCHEDULE_RUNS*', 'SUB#*'],
    'index:Query': ['SUBSTATUS#*'],
  },
  UsageReportDispatcher: {
    'dynamodb:BatchWriteItem': ['REPORTING_RUNS*'],
    // The watcher of schedules: reads every schedule's runs, notes which it expects.
    'dynamodb:Query': ['SCHEDULE_RUNS*'],
    'dynamodb:UpdateItem': ['SCHEDULE_RUNS*'],
    'index:Query': ['UNREPORTED#*'],
  },
  UsageReporter: {
    'dynamodb:GetItem': ['SUB#*'],
    'dynamodb:BatchGetItem': ['SUB#*'],
    'dynamodb:Query': ['REPORTING_RUNS*', 'SUB#*'],
    'dynamodb:PutItem': ['REPORTING_LEASE*', 'SUB#*'],
    'dynamodb:UpdateItem': ['REPORTED#*', 'REPORTING_RUNS*', 'SUB#*'],
    'dynamodb:DeleteItem': ['REPORTING_LEASE*'],
    'index:Query': ['UNREPORTED#*'],
  },
  UsageReconciler: {
    'dynamodb:Query': ['REPORTED#*'],
    'dynamodb:UpdateItem': ['SCHEDULE_RUNS*'],
  },
  SubscriptionSync: {
    'dynamodb:GetItem': ['SUB#*'],
    'dynamodb:PutItem': ['SUB#*'],
    'dynamodb:UpdateItem': ['SCHEDULE_RUNS*', 'SUB#*'],
    'index:Query': ['SUBSTATUS#*'],
  },
  Portal: { 'dynamodb:GetItem': ['SESSION_KEY*'], 'dynamodb:PutItem': ['SESSION_KEY*'] },
  // The Entra canary asks Entra for a token and opens the landing page; in the table, only its failures in a row and
  // its schedule's runs.
  EntraCanary: {
    'dynamodb:GetItem': ['SCHEDULE_RUNS*'],
    'dynamodb:PutItem': ['SCHEDULE_RUNS*'],
    'dynamodb:UpdateItem': ['SCHEDULE_RUNS*'],
  },
  ContactPages: {
    'dynamodb:GetItem': ['CONTACT#*', 'SESSION_KEY*'],
    'dynamodb:PutItem': ['SESSION_KEY*'],
    'dynamodb:UpdateItem': ['CONTACT#*'],
  },
  ContactEvents: { 'dynamodb:GetItem': ['CONTACT#*'], 'dynamodb:UpdateItem': ['CONTACT#*'] },
  AlertNotifier: {
    'dynamodb:GetItem': ['ALERT#*', 'CONTACT#*', 'PARTNER#*', 'SESSION_KEY*', 'SUB#*'],
    'dynamodb:Query': ['ALERT#*'],
    'dynamodb:PutItem': ['ALERT#*', 'SESSION_KEY*'],
    'dynamodb:UpdateItem': ['ALERT#*', 'CONTACT#*'],
    'index:Query': ['CUSTOMER#*'],
  },
};

describe('least privilege on the main table', () => {
  let template: Template;
  let stack: StatelessStack;
  let tableArn: string;
  const byFunction = new Map<string, Conditioned[]>();

  beforeAll(() => {
    const app = testApp();
    const stateful = new StatefulStack(app, 'TestStateful');
    stack = new StatelessStack(app, 'TestStateless', { stateful, catalog: TEST_CATALOG });
    template = Template.fromStack(stack);
    tableArn = JSON.stringify(stack.resolve(stateful.table.tableArn));
    const functions = template.findResources('AWS::Lambda::Function');
    for (const definition of FUNCTIONS) {
      const service = definition.id.replace(/[A-Z]/g, (letter, at) => (at ? '-' : '') + letter.toLowerCase());
      const logicalId = Object.entries(functions).find(
        ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.[0];
      if (!logicalId) throw new Error(`No function ${definition.id} (${service}) in the template`);
      byFunction.set(
        definition.id,
        (statementsOfFunctionRole(template, logicalId) as Conditioned[]).filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
        ),
      );
    }
  });

  /** The function's table rights as `action → leading-key patterns` (`index:Query` for the global index). */
  function rightsOf(functionId: string): Record<string, string[]> {
    const rights: Record<string, string[]> = {};
    for (const statement of byFunction.get(functionId) ?? []) {
      const onIndex = resourcesOf(statement).some((resource) => JSON.stringify(resource).includes('/index/'));
      const patterns = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['<none>'];
      for (const action of actionsOf(statement)) {
        const key = onIndex ? action.replace('dynamodb:', 'index:') : action;
        rights[key] = [...(rights[key] ?? []), ...patterns].sort();
      }
    }
    return rights;
  }

  it('pins every function of infra/functions.ts', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(FUNCTIONS.map((definition) => definition.id).sort());
  });

  for (const [functionId, expected] of Object.entries(EXPECTED)) {
    it(`grants ${functionId} exactly its declared actions, each on its partitions only`, () => {
      expect(rightsOf(functionId)).toEqual(expected);
    });
  }

  it('conditions every table and index statement on the leading keys, with ForAllValues and nothing broader', () => {
    for (const [functionId, statements] of byFunction) {
      for (const statement of statements) {
        expect(statement.Effect, functionId).toBe('Allow');
        expect(Object.keys(statement.Condition ?? {}), functionId).toEqual(['ForAllValues:StringLike']);
        const patterns = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [];
        expect(patterns.length, functionId).toBeGreaterThan(0);
        // One wildcard, at the end: a prefix, never "anything".
        for (const pattern of patterns) expect(pattern, functionId).toMatch(/^[A-Z_#]+\*$/);
      }
    }
  });

  it('names the table or its one index as resources, never "*" nor every index', () => {
    const indexArn = `${tableArn.slice(0, -1)}/index/${MAIN_TABLE_KEYS.index.name}`;
    for (const statements of byFunction.values()) {
      for (const statement of statements) {
        for (const resource of resourcesOf(statement)) {
          const text = JSON.stringify(resource);
          expect(resource).not.toBe('*');
          expect(text).not.toContain('/index/*');
          if (text.includes('/index/')) expect(text).toContain(`/index/${MAIN_TABLE_KEYS.index.name}`);
          else expect(text).toBe(tableArn);
        }
      }
    }
    // The index statements are the only Query rights on the index: only Query, never writes.
    for (const statements of byFunction.values()) {
      for (const statement of statements.filter((s) => JSON.stringify(s.Resource).includes('/index/'))) {
        expect(actionsOf(statement)).toEqual(['dynamodb:Query']);
      }
    }
    expect(indexArn).toContain('/index/');
  });

  it('grants Scan, PartiQL, stream reads and table management to no function anywhere in the stack', () => {
    const everyAction = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf),
    );
    for (const action of everyAction.filter((candidate) => candidate.startsWith('dynamodb:'))) {
      expect(action).toMatch(
        /^dynamodb:(GetItem|BatchGetItem|Query|ConditionCheckItem|PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/,
      );
    }
  });

  it('lets only three functions delete, each one kind of item: a tenant claim, an idempotency record, a lease', () => {
    const deleters = Object.fromEntries(
      [...byFunction.keys()]
        .map((functionId) => [functionId, rightsOf(functionId)['dynamodb:DeleteItem']] as const)
        .filter(([, patterns]) => patterns !== undefined),
    );
    expect(deleters).toEqual({
      Api: ['PARTNER_TENANT#*'],
      UsageIngest: ['IDEMPOTENCY#*'],
      UsageReporter: ['REPORTING_LEASE*'],
    });
  });

  it('lets functions read secrets, send to queues and publish to topics, and nothing more on them', () => {
    const triggerFunctions = new Set(FUNCTIONS.filter((definition) => definition.trigger).map((d) => d.id));
    for (const definition of FUNCTIONS) {
      const service = definition.id.replace(/[A-Z]/g, (letter, at) => (at ? '-' : '') + letter.toLowerCase());
      const logicalId = Object.entries(template.findResources('AWS::Lambda::Function')).find(
        ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.[0] as string;
      const actions = statementsOfFunctionRole(template, logicalId).flatMap(actionsOf);
      // The value only (and the versions of the Entra secret where declared): no DescribeSecret, no writes.
      expect(actions.filter((action) => action.startsWith('secretsmanager:'))).not.toContain(
        'secretsmanager:DescribeSecret',
      );
      // Counting the Entra client secret's versions tells its placeholder (inspectsEntraCredential: /health, canary).
      const secretActions = definition.uses.inspectsEntraCredential
        ? ['secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds']
        : ['secretsmanager:GetSecretValue'];
      for (const action of actions.filter((candidate) => candidate.startsWith('secretsmanager:'))) {
        expect(secretActions, `${definition.id}: ${action}`).toContain(action);
      }
      // Publish only, in the functions' own policies (subscribing alert contacts is the stateful stack's policy).
      for (const action of actions.filter((candidate) => candidate.startsWith('sns:'))) {
        expect(action, definition.id).toBe('sns:Publish');
      }
      // Send (and the queue attributes that come with it); receive and delete only for a queue-triggered function.
      const consumes = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];
      for (const action of actions.filter((candidate) => candidate.startsWith('sqs:'))) {
        const allowed = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
        if (triggerFunctions.has(definition.id)) allowed.push(...consumes);
        expect(allowed, `${definition.id}: ${action}`).toContain(action);
      }
    }
  });

  it('builds its statements from the declarations: one per group of partitions, each action once', () => {
    for (const definition of FUNCTIONS) {
      const declared = definition.uses.table ? tableAccessStatements(definition.uses.table) : [];
      expect(byFunction.get(definition.id)?.length, definition.id).toBe(declared.length);
      const actions = declared.filter((s) => s.resource === 'table').flatMap((s) => s.actions);
      expect(new Set(actions).size, definition.id).toBe(actions.length);
    }
  });
});

describe('the partition prefixes', () => {
  const kinds = { table: Object.values(TABLE_PARTITION), index: Object.values(INDEX_PARTITION) };

  it.each(Object.entries(kinds))('of the %s: none holds an IAM wildcard or starts another one', (_, prefixes) => {
    for (const prefix of prefixes) expect(prefix).not.toMatch(/[*?]/);
    for (const a of prefixes) {
      for (const b of prefixes) {
        // A grant on `a*` would also open every partition of `b`.
        if (a !== b) expect(b.startsWith(a), `${a} is a prefix of ${b}`).toBe(false);
      }
    }
  });
});
