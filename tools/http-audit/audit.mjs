// Audits a GraphQL-over-HTTP server with graphql-http's server audits,
// signed in (the audits read the schema, which is not open to anonymous
// callers). Prints each audit that is not ok and the tally; exits 1 on any
// error, warning or notice.
import { auditServer } from 'graphql-http';

const [url, email, password] = process.argv.slice(2);
const login = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query: 'mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { session { accessToken } } }',
    variables: { e: email, p: password },
  }),
}).then((r) => r.json());
const token = login.data?.login?.session?.accessToken;
if (!token) throw new Error(`sign-in failed: ${JSON.stringify(login)}`);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const tally = {};
for (const r of results) {
  tally[r.status] = (tally[r.status] || 0) + 1;
  if (r.status !== 'ok') console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}`);
}
console.log(JSON.stringify(tally));
process.exit(Object.keys(tally).some((s) => s !== 'ok') ? 1 : 0);
