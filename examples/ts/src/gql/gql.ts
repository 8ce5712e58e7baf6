/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(input: { email: $email, password: $password }) {\n      session { accessToken }\n      errors { code message }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query ConfirmedOrders($first: Int!) {\n    orders(first: $first, where: { status: CONFIRMED }) {\n      totalCount\n      nodes { id number total { amount currency } }\n    }\n  }\n": typeof types.ConfirmedOrdersDocument,
    "\n  mutation RequestCancellation($orderId: ID!, $dryRun: Boolean!, $key: String) {\n    requestOrderCancellation(input: { orderId: $orderId, reasonCode: CUSTOMER_REQUEST, dryRun: $dryRun, idempotencyKey: $key }) {\n      order { status }\n      cancellation { status }\n      preview { executes statusAfter amountRefunded { amount currency } }\n      errors { code field message }\n    }\n  }\n": typeof types.RequestCancellationDocument,
    "\n  subscription OrderEvents($orderId: ID!) {\n    orderEvents(orderId: $orderId) { action actorName }\n  }\n": typeof types.OrderEventsDocument,
};
const documents: Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(input: { email: $email, password: $password }) {\n      session { accessToken }\n      errors { code message }\n    }\n  }\n": types.LoginDocument,
    "\n  query ConfirmedOrders($first: Int!) {\n    orders(first: $first, where: { status: CONFIRMED }) {\n      totalCount\n      nodes { id number total { amount currency } }\n    }\n  }\n": types.ConfirmedOrdersDocument,
    "\n  mutation RequestCancellation($orderId: ID!, $dryRun: Boolean!, $key: String) {\n    requestOrderCancellation(input: { orderId: $orderId, reasonCode: CUSTOMER_REQUEST, dryRun: $dryRun, idempotencyKey: $key }) {\n      order { status }\n      cancellation { status }\n      preview { executes statusAfter amountRefunded { amount currency } }\n      errors { code field message }\n    }\n  }\n": types.RequestCancellationDocument,
    "\n  subscription OrderEvents($orderId: ID!) {\n    orderEvents(orderId: $orderId) { action actorName }\n  }\n": types.OrderEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(input: { email: $email, password: $password }) {\n      session { accessToken }\n      errors { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(input: { email: $email, password: $password }) {\n      session { accessToken }\n      errors { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConfirmedOrders($first: Int!) {\n    orders(first: $first, where: { status: CONFIRMED }) {\n      totalCount\n      nodes { id number total { amount currency } }\n    }\n  }\n"): (typeof documents)["\n  query ConfirmedOrders($first: Int!) {\n    orders(first: $first, where: { status: CONFIRMED }) {\n      totalCount\n      nodes { id number total { amount currency } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestCancellation($orderId: ID!, $dryRun: Boolean!, $key: String) {\n    requestOrderCancellation(input: { orderId: $orderId, reasonCode: CUSTOMER_REQUEST, dryRun: $dryRun, idempotencyKey: $key }) {\n      order { status }\n      cancellation { status }\n      preview { executes statusAfter amountRefunded { amount currency } }\n      errors { code field message }\n    }\n  }\n"): (typeof documents)["\n  mutation RequestCancellation($orderId: ID!, $dryRun: Boolean!, $key: String) {\n    requestOrderCancellation(input: { orderId: $orderId, reasonCode: CUSTOMER_REQUEST, dryRun: $dryRun, idempotencyKey: $key }) {\n      order { status }\n      cancellation { status }\n      preview { executes statusAfter amountRefunded { amount currency } }\n      errors { code field message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OrderEvents($orderId: ID!) {\n    orderEvents(orderId: $orderId) { action actorName }\n  }\n"): (typeof documents)["\n  subscription OrderEvents($orderId: ID!) {\n    orderEvents(orderId: $orderId) { action actorName }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;