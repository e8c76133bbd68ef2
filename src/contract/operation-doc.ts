/**
 * What an operation's schema says of it in the OpenAPI document, beside its operation id: the
 * summary and the description, in the integrator's terms. Written in one table per API
 * (./vendor-operations.ts, ./simulator-operations.ts), keyed by operation id.
 */
export interface OperationDoc {
  summary: string;
  description: string;
}

/** A table's lookup: the `operationId`, `summary` and `description` a route spreads into its schema. */
export const operationsOf =
  <T extends Record<string, OperationDoc>>(table: T) =>
  <Id extends keyof T & string>(operationId: Id): { operationId: Id } & OperationDoc => ({ operationId, ...(table[operationId] as OperationDoc) });
