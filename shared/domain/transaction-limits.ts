/**
 * DynamoDB's limit on the actions of one TransactWriteItems call (a quota since 2022; it was 25 before). Stated in
 * the domain because the domain packs usage so that one queue message is applied in ONE transaction
 * (`usage/transaction-packing.ts`); the adapters that write several items atomically chunk by the same number.
 */
export const MAX_TRANSACTION_ITEMS = 100;
