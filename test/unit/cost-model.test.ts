import { describe, expect, it } from 'vitest';
import { Dec } from '#shared/domain/money.ts';
import {
  attributeValueSizeBytes,
  chunkedRequests,
  costOf,
  costTable,
  itemSizeBytes,
  lambdaGbSeconds,
  loadAwsPrices,
  perMillionEvents,
  readRequestUnits,
  writeRequestUnits,
} from '#test/bench/cost-model.ts';

const prices = loadAwsPrices();
const none = {
  lambdaInvocations: 0,
  lambdaGbSeconds: '0',
  httpApiRequests: 0,
  sqsRequests: 0,
  dynamoDbWriteRequestUnits: 0,
  dynamoDbReadRequestUnits: 0,
  snsPublishes: 0,
};

describe('DynamoDB item sizes (developer guide, "item sizes and formats")', () => {
  it.each([
    ['a string: its UTF-8 bytes', { S: 'abc' }, 3],
    ['a Japanese string: three bytes a character', { S: '予算' }, 6],
    ['a number: 1 byte per two significant digits, plus 1', { N: '123.450' }, 4],
    ['a number with leading zeros trimmed', { N: '0.001' }, 2],
    ['a boolean', { BOOL: true }, 1],
    ['null', { NULL: true }, 1],
    ['a binary: its raw bytes', { B: new Uint8Array(10) }, 10],
    ['a string set: the sum of its members', { SS: ['ab', 'cde'] }, 5],
    ['an empty map: 3 bytes', { M: {} }, 3],
    ['a map: 3 + per element 1 + name + value', { M: { a: { S: 'x' } } }, 6],
    ['a list: 3 + per element 1 + value', { L: [{ N: '1' }, { BOOL: false }] }, 8],
  ])('sizes %s', (_name, value, bytes) => {
    expect(attributeValueSizeBytes(value)).toBe(bytes);
  });

  it('adds attribute names to their values', () => {
    // "pk" 2 + "SUB#1" 5, "qty" 3 + number 12 (2 digits → 1 + 1 = 2)
    expect(itemSizeBytes({ pk: { S: 'SUB#1' }, qty: { N: '12' } })).toBe(12);
  });

  it('refuses something that is not an attribute value, rather than counting it as nothing', () => {
    expect(() => attributeValueSizeBytes({ X: 1 })).toThrow(/not a DynamoDB attribute value/);
  });
});

describe('DynamoDB request units', () => {
  it('charges a transaction of 3 items of 0.5 KB 6 WRU (2 per item of up to 1 KB)', () => {
    const total = [512, 512, 512].reduce((sum, size) => sum + writeRequestUnits(size, true), 0);
    expect(total).toBe(6);
  });

  it.each([
    [1, false, 1],
    [1024, false, 1],
    [1025, false, 2],
    [3 * 1024, false, 3],
    [3 * 1024, true, 6],
    [0, true, 2],
  ])('writes %i bytes (transactional %s) for %i WRU', (size, transactional, units) => {
    expect(writeRequestUnits(size, transactional)).toBe(units);
  });

  it.each([
    [8 * 1024, 'strong', 2],
    [8 * 1024, 'eventual', 1],
    [8 * 1024, 'transactional', 4],
    [100, 'eventual', 0.5],
    [4097, 'strong', 2],
  ] as const)('reads %i bytes (%s) for %d RRU', (size, kind, units) => {
    expect(readRequestUnits(size, kind)).toBe(units);
  });
});

describe('SQS, SNS and HTTP API billed requests', () => {
  it.each([
    [0, 1],
    [65_536, 1],
    [65_537, 2],
    [256 * 1024, 4],
  ])('bills a payload of %i bytes as %i requests of 64 KB', (bytes, requests) => {
    expect(chunkedRequests(bytes)).toBe(requests);
  });

  it('bills HTTP API requests per started 512 KB', () => {
    expect(chunkedRequests(600 * 1024, prices.httpApi.meteredIncrementBytes)).toBe(2);
    expect(chunkedRequests(200, prices.httpApi.meteredIncrementBytes)).toBe(1);
  });
});

describe('Lambda GB-seconds', () => {
  it('multiplies the memory in GB by the duration rounded up to the millisecond', () => {
    // 256 MB = 0.25 GB; 100.2 ms is billed as 101 ms.
    expect(lambdaGbSeconds(256, 100.2).toString()).toBe('0.02525');
    expect(lambdaGbSeconds(1024, 1000).toString()).toBe('1');
  });
});

describe('dollars at list prices', () => {
  it('prices a million of each unit at the price file’s per-million prices', () => {
    const cost = costOf(
      {
        lambdaInvocations: 1_000_000,
        lambdaGbSeconds: '1000000',
        httpApiRequests: 1_000_000,
        sqsRequests: 1_000_000,
        dynamoDbWriteRequestUnits: 1_000_000,
        dynamoDbReadRequestUnits: 1_000_000,
        snsPublishes: 1_000_000,
        snsDeliveries: { email: 100_000, sqs: 1_000_000 },
      },
      prices,
    );
    const byItem = Object.fromEntries(cost.lines.map((l) => [l.item, l.dollars.toString()]));
    expect(byItem).toEqual({
      'Lambda requests': '0.2',
      'Lambda duration (arm64)': '13.3334',
      'HTTP API requests': '1',
      'SQS requests': '0.4',
      'DynamoDB writes': '0.625',
      'DynamoDB reads': '0.125',
      'SNS publishes': '0.5',
      'SNS email deliveries': '2',
      'SNS sqs deliveries': '0',
    });
    expect(cost.total.toString()).toBe('18.1834');
  });

  it('prices x86 duration higher than arm64, as the list does', () => {
    const arm = costOf({ ...none, lambdaGbSeconds: '1' }, prices, 'arm64').total;
    const x86 = costOf({ ...none, lambdaGbSeconds: '1' }, prices, 'x86_64').total;
    expect(arm.toString()).toBe('0.0000133334');
    expect(x86.toString()).toBe('0.0000166667');
  });

  it('scales a workload’s dollars to a million events', () => {
    expect(perMillionEvents(new Dec('0.002'), 20_000).toString()).toBe('0.1');
    expect(() => perMillionEvents(new Dec(1), 0)).toThrow(/at least one event/);
  });

  it('tables the dollars per million events by service, and the units per event behind them', () => {
    // 1,000 events in one request: 3 invocations (ingest + 2 aggregator batches), 40 WRU, 10 RRU, 4 SQS requests.
    const table = costTable(
      [
        {
          eventsPerRequest: 1000,
          events: 1000,
          operations: {
            ...none,
            lambdaInvocations: 3,
            lambdaGbSeconds: '0.1',
            httpApiRequests: 1,
            sqsRequests: 4,
            dynamoDbWriteRequestUnits: 40,
            dynamoDbReadRequestUnits: 10,
          },
        },
      ],
      prices,
    );
    // Lambda: (3 × 0.2e-6 + 0.1 × 0.0000133334) × 1000 = 0.00193334; HTTP: 0.001; SQS: 0.0016;
    // DynamoDB: (40 × 0.625 + 10 × 0.125) e-6 × 1000 = 0.02625; total 0.03078334.
    expect(table).toContain('| 1,000 | $0.0019 | $0.0010 | $0.0016 | $0.0263 | $0.0000 | **$0.0308** |');
    expect(table).toContain('| 1,000 | 0.003 | 0.0001 | 0.001 | 0.004 | 0.04 | 0.01 | 0 |');
    expect(table).toContain(`AWS list prices of ${prices.takenOn} (us-east-1`);
  });
});
