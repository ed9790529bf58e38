/**
 * How a failed zod parse is put into words, in one place: request bodies, queue messages, configuration, and payloads
 * from Microsoft all name the field at fault the same way (a dotted path, array indexes included).
 */
import type * as z from 'zod';

/** One problem of a failed parse: the field it is about and what is wrong with it. */
export interface DescribedIssue {
  readonly field: string;
  readonly message: string;
}

/** How the input itself is named when an issue is about the whole of it and the caller gave no name. */
const WHOLE_INPUT = '(root)';

/**
 * The field an issue is about, as a dotted path (`slots.0.hour`).
 * @param root names the whole input: the path is put under it (`body.slots.0.hour`), and an issue about the input
 *   itself is placed at `root`. Without one, such an issue is placed at `(root)`.
 */
export function issueField(issue: z.core.$ZodIssue, root?: string): string {
  const path = issue.path.map(String).join('.');
  if (path === '') return root ?? WHOLE_INPUT;
  return root === undefined ? path : `${root}.${path}`;
}

/**
 * Every problem of a failed parse, in the order zod found them, for callers that keep them apart (a catalog issue
 * list, the first field of a request error, one sentence per environment variable).
 * @param root see `issueField`.
 */
export function describedIssues(error: z.ZodError, root?: string): DescribedIssue[] {
  return error.issues.map((issue) => ({ field: issueField(issue, root), message: issue.message }));
}

/**
 * Every problem of a failed parse in one line: `field: message; field: message`.
 * @param root see `issueField`.
 */
export function describeIssues(error: z.ZodError, root?: string): string {
  return describedIssues(error, root)
    .map((issue) => `${issue.field}: ${issue.message}`)
    .join('; ');
}
