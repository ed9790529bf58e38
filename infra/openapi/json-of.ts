import type { z } from 'zod';

/**
 * The value a client receives for a `T` sent through `JSON.stringify`: what has a `toJSON` (dates, `Money`, `Dec`)
 * becomes what that returns, functions and `undefined` disappear, `readonly` is dropped (a parsed body is plain data).
 */
export type JsonOf<T> = T extends { toJSON(): infer R }
  ? JsonOf<R>
  : T extends readonly (infer E)[]
    ? JsonOf<E>[]
    : T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { -readonly [K in keyof T]: JsonOf<T[K]> }
        : T;

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Every optional property made required, at every depth: an optional field on one side only then shows. */
type DeepRequired<T> = T extends readonly (infer E)[]
  ? DeepRequired<E>[]
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<Exclude<T[K], undefined>> }
    : T;

/** The same JSON shape: each assignable to the other, optional fields included. */
type SameShape<A, B> = Mutual<A, B> extends true ? Mutual<DeepRequired<A>, DeepRequired<B>> : false;

/**
 * Binds a response schema to the type a use case returns, so that they cannot drift: the schema's output must be
 * assignable to the JSON form of `Result` and the reverse, optional fields counted as present. A field added to,
 * renamed in or removed from the use case's result (or the schema), optional or not, or a changed type fails `tsc`
 * (`npm run check`) here, at the schema.
 *
 * @example `const budgetView = answerOf<BudgetSettings>()(z.strictObject({ … }))`
 */
export function answerOf<Result>() {
  return <S extends z.ZodType>(
    schema: S &
      (SameShape<z.output<S>, JsonOf<Result>> extends true
        ? unknown
        : { readonly schemaDiffersFromResult: [schema: z.output<S>, result: JsonOf<Result>] }),
  ): S => schema;
}
