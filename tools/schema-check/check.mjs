// Breaking changes of the published schema: for each pair of consecutive
// versions of schema.graphql (files given oldest first, as
// scripts/schema-check takes them from git), every change that
// @graphql-inspector/core rates BREAKING must be named in CHANGELOG.md by its
// path in backticks (e.g. `Order.total` or `OrderStatus.ON_HOLD`). Prints
// every breaking change; exits 1 when any is not listed.
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { diff, CriticalityLevel } from '@graphql-inspector/core';

const [changelogPath, ...versions] = process.argv.slice(2);
const changelog = readFileSync(changelogPath, 'utf8');
let unlisted = 0;
let breaking = 0;
for (let i = 1; i < versions.length; i++) {
  const [before, after] = [versions[i - 1], versions[i]].map((f) => buildSchema(readFileSync(f, 'utf8')));
  for (const change of await diff(before, after)) {
    if (change.criticality.level !== CriticalityLevel.Breaking) continue;
    breaking++;
    const listed = change.path && changelog.includes('`' + change.path + '`');
    if (!listed) unlisted++;
    if (!listed) console.log(`UNLISTED ${versions[i]}: ${change.message}${change.path ? ` (${change.path})` : ''}`);
  }
}
console.log(`${versions.length} versions, ${breaking} breaking changes, ${unlisted} not in ${changelogPath}`);
process.exit(unlisted > 0 ? 1 : 0);
