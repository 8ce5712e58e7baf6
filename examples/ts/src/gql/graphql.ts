/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** CancellationRecordStatus is enum for the field status */
export type CancellationRecordStatus =
  /** Approved and about to execute (it executes in the same transaction as the last approval). */
  | 'APPROVED'
  /** Sent to the customer's confirmation page; waits for their answer before any approval. */
  | 'AWAITING_CUSTOMER'
  /** Done: the quantities are cancelled, stock released and money moved as its effect says. */
  | 'EXECUTED'
  /** Turned down, withdrawn or declined by the customer: the order is unchanged. */
  | 'REJECTED'
  /** Waits for the approvals it needs (a sales manager, and finance where money goes back). */
  | 'REQUESTED';

/** The kind of a business-rule failure, for clients to act on (UserError.code). */
export type ErrorCode =
  /** It needs an approval first (request it, e.g. requestOrderCancellation); nothing changed. */
  | 'APPROVAL_REQUIRED'
  /** The customer's open unpaid orders and this one pass the credit limit. */
  | 'CREDIT_LIMIT_EXCEEDED'
  /** The requested delivery date is sooner than delivery can be. */
  | 'DELIVERY_DATE_INFEASIBLE'
  /** Something with this unique value (an email, a SKU) exists already. */
  | 'DUPLICATE'
  /** The idempotency key was used for a different request. */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** Not enough stock is available for a line. */
  | 'INSUFFICIENT_STOCK'
  /** A value is missing or not allowed; field names it. */
  | 'INVALID'
  /** The email or password is wrong. */
  | 'INVALID_CREDENTIALS'
  /** The token (refresh token, link) is invalid, expired or revoked. */
  | 'INVALID_TOKEN'
  /** The action does not fit the order's (or the record's) status now. */
  | 'INVALID_TRANSITION'
  /** Your role may not do this, or something open on the order stands in the way (the message says which). */
  | 'NOT_ALLOWED'
  /** What the input names does not exist, or you may not see it. */
  | 'NOT_FOUND'
  /** The payment is more than the order still owes. */
  | 'PAYMENT_EXCEEDS_OUTSTANDING'
  /** A price is neither the list price nor within the allowed discount. */
  | 'PRICE_CHECK_FAILED'
  /** The refund is more than was captured and not yet refunded. */
  | 'REFUND_EXCEEDS_CAPTURED'
  /** A request with this idempotency key is still running: retry shortly. */
  | 'REQUEST_IN_PROGRESS'
  /** Too many failed sign-ins: wait as long as the message says. */
  | 'TOO_MANY_ATTEMPTS'
  /** It changed since you read it (expectedVersion): read it again and retry. */
  | 'VERSION_CONFLICT';

/** OrderStatus is enum for the field status */
export type OrderStatus =
  /** Cancelled before shipment: stock released, money refunded or payments cancelled; final. */
  | 'CANCELLED'
  /** Delivered, settled and with nothing open: final. */
  | 'COMPLETED'
  /** Accepted: stock reserved, payments may be taken; may ship in one or more shipments. */
  | 'CONFIRMED'
  /** The customer has the goods; returns go through a ReturnOrder. */
  | 'DELIVERED'
  /** Being entered: lines and details may still change; nothing is reserved. */
  | 'DRAFT'
  /** Submitted and checked (stock, price, credit, delivery date); held for a manager when a check failed where policy allows. */
  | 'PENDING_REVIEW'
  /** Refused at review, with its reason: final (reorder makes a new draft). */
  | 'REJECTED'
  /** Every open line has shipped. */
  | 'SHIPPED'
  /** Invalidated for good (entered in error, fraud): stock released, money refunded; can never be undone. */
  | 'VOIDED';

export type LoginMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type LoginMutation = { login: { session: { accessToken: string } | null, errors: Array<{ code: ErrorCode, message: string }> } };

export type ConfirmedOrdersQueryVariables = Exact<{
  first: number;
}>;


export type ConfirmedOrdersQuery = { orders: { totalCount: number, nodes: Array<{ id: string, number: string, total: { amount: string, currency: string } }> } };

export type RequestCancellationMutationVariables = Exact<{
  orderId: string;
  dryRun: boolean;
  key?: string | null | undefined;
}>;


export type RequestCancellationMutation = { requestOrderCancellation: { order: { status: OrderStatus } | null, cancellation: { status: CancellationRecordStatus } | null, preview: { executes: boolean, statusAfter: OrderStatus, amountRefunded: { amount: string, currency: string } } | null, errors: Array<{ code: ErrorCode, field: string | null, message: string }> } };

export type OrderEventsSubscriptionVariables = Exact<{
  orderId: string;
}>;


export type OrderEventsSubscription = { orderEvents: { action: string, actorName: string } };


export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const ConfirmedOrdersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConfirmedOrders"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"where"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"CONFIRMED"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConfirmedOrdersQuery, ConfirmedOrdersQueryVariables>;
export const RequestCancellationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RequestCancellation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestOrderCancellation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"orderId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"reasonCode"},"value":{"kind":"EnumValue","value":"CUSTOMER_REQUEST"}},{"kind":"ObjectField","name":{"kind":"Name","value":"dryRun"},"value":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cancellation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"preview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executes"}},{"kind":"Field","name":{"kind":"Name","value":"statusAfter"}},{"kind":"Field","name":{"kind":"Name","value":"amountRefunded"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RequestCancellationMutation, RequestCancellationMutationVariables>;
export const OrderEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OrderEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"orderId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"actorName"}}]}}]}}]} as unknown as DocumentNode<OrderEventsSubscription, OrderEventsSubscriptionVariables>;