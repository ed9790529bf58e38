import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describedIssues, describeIssues } from '#shared/zod-issues.ts';

const schema = z.object({ slots: z.array(z.object({ hour: z.string() })), marker: z.string() });

function failureOf(value: unknown): z.ZodError {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected the parse to fail');
  return parsed.error;
}

describe('describing a failed parse', () => {
  it('names each field at fault by its dotted path, array indexes included, in one line', () => {
    expect(describeIssues(failureOf({ slots: [{ hour: 9 }] }))).toBe(
      'slots.0.hour: Invalid input: expected string, received number; ' +
        'marker: Invalid input: expected string, received undefined',
    );
  });

  it('puts every path under the name of the input when given one, and the input itself at that name', () => {
    expect(describedIssues(failureOf({ slots: [], marker: 1 }), 'body').map((issue) => issue.field)).toEqual([
      'body.marker',
    ]);
    expect(describedIssues(failureOf('text'), 'body')).toEqual([
      { field: 'body', message: 'Invalid input: expected object, received string' },
    ]);
    expect(describedIssues(failureOf('text')).map((issue) => issue.field)).toEqual(['(root)']);
  });
});
