// An orderdesk client in TypeScript with graphql-codegen's client preset:
// it signs in, lists confirmed orders, subscribes to one order's timeline,
// previews the order's cancellation with a dry run, asks for it, and prints
// the events the cancellation put on the timeline.
//
//   npm ci && npm run build && npm start -- http://localhost:8080/graphql manager@demo.local demo-password
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from './gql/index.js';

const Login = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(input: { email: $email, password: $password }) {
      session { accessToken }
      errors { code message }
    }
  }
`);

const ConfirmedOrders = graphql(`
  query ConfirmedOrders($first: Int!) {
    orders(first: $first, where: { status: CONFIRMED }) {
      totalCount
      nodes { id number total { amount currency } }
    }
  }
`);

const RequestCancellation = graphql(`
  mutation RequestCancellation($orderId: ID!, $dryRun: Boolean!, $key: String) {
    requestOrderCancellation(input: { orderId: $orderId, reasonCode: CUSTOMER_REQUEST, dryRun: $dryRun, idempotencyKey: $key }) {
      order { status }
      cancellation { status }
      preview { executes statusAfter amountRefunded { amount currency } }
      errors { code field message }
    }
  }
`);

const OrderEvents = graphql(`
  subscription OrderEvents($orderId: ID!) {
    orderEvents(orderId: $orderId) { action actorName }
  }
`);

/** Sends one operation by POST; a request or field error is thrown. */
async function request<R, V>(url: string, token: string | null, doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: print(doc), variables }) });
  const body = (await res.json()) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length || !body.data) {
    const e = body.errors?.[0];
    throw new Error(`${res.status} ${e?.extensions?.code ?? ''} ${e?.message ?? 'no data'}`);
  }
  return body.data;
}

async function main(): Promise<void> {
  const [url = 'http://localhost:8080/graphql', email = 'manager@demo.local', password = 'demo-password'] = process.argv.slice(2);
  const login = (await request(url, null, Login, { email, password })).login;
  if (!login.session) throw new Error(`login: ${login.errors.map((e) => e.code).join(', ')}`);
  const token = login.session.accessToken;

  const orders = (await request(url, token, ConfirmedOrders, { first: 5 })).orders;
  console.log(`${orders.totalCount} confirmed orders`);
  const order = orders.nodes[0];
  if (!order) throw new Error('no confirmed order to cancel');
  for (const node of orders.nodes) console.log(`  ${node.number}  ${node.total.amount} ${node.total.currency}`);

  // The timeline of the order, live: the token goes in connection_init.
  const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
  const events: string[] = [];
  const subscribed = new Promise<void>((resolve, reject) => {
    // graphql-ws does not acknowledge a subscription; the server registers it
    // within milliseconds of the connection's acknowledgement.
    ws.on('connected', () => setTimeout(resolve, 500));
    ws.on('error', reject);
  });
  const unsubscribe = ws.subscribe<{ orderEvents: { action: string; actorName: string | null } }>(
    { query: print(OrderEvents), variables: { orderId: order.id } },
    { next: ({ data }) => data && events.push(data.orderEvents.action), error: (e) => console.error('subscription:', e), complete: () => {} },
  );
  await subscribed;

  const dry = (await request(url, token, RequestCancellation, { orderId: order.id, dryRun: true })).requestOrderCancellation;
  if (!dry.preview) throw new Error(`dry run: ${dry.errors.map((e) => `${e.code} ${e.message}`).join(', ')}`);
  console.log(`dry run for ${order.number}: executes at once: ${dry.preview.executes}, refund ${dry.preview.amountRefunded.amount} ${dry.preview.amountRefunded.currency}, status after: ${dry.preview.statusAfter}`);

  const done = (await request(url, token, RequestCancellation, { orderId: order.id, dryRun: false, key: randomUUID() })).requestOrderCancellation;
  if (done.errors.length || !done.cancellation || !done.order) throw new Error(`cancellation: ${done.errors.map((e) => e.code).join(', ')}`);
  console.log(`cancellation of ${order.number}: ${done.cancellation.status}, order ${done.order.status}`);

  for (let waited = 0; !events.includes('order.cancelled') && waited < 5000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
  unsubscribe();
  await ws.dispose();
  console.log(`timeline events: ${events.join(', ')}`);
  if (!events.includes('order.cancelled')) throw new Error('the subscription did not deliver order.cancelled');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
