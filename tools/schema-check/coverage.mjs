// Prints how much of the schema is described: types, output fields, their
// arguments, input fields and enum values (scripts/schema-check shows it).
// Each argument is a schema file; several are read as one schema (e.g.
// schema/*.graphql before go generate prints schema.graphql). With
// --missing it lists what has no description, one type per line, and
// exits 1 when anything is missing.
import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType, isInputObjectType, isEnumType, isInterfaceType } from 'graphql';

const args = process.argv.slice(2);
const listMissing = args.includes('--missing');
const files = args.filter((a) => a !== '--missing');
const s = buildSchema(files.map((f) => readFileSync(f, 'utf8')).join('\n'));
const c = { types: [0, 0], fields: [0, 0], args: [0, 0], inputFields: [0, 0], enumValues: [0, 0] };
const missing = [];

for (const t of Object.values(s.getTypeMap())) {
  if (t.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(t.name)) continue;
  const miss = [];
  const add = (k, d, name) => {
    c[k][1]++;
    if (d) c[k][0]++;
    else miss.push(name);
  };
  add('types', t.description, '(type)');
  if (isObjectType(t) || isInterfaceType(t)) for (const f of Object.values(t.getFields())) {
    add('fields', f.description, f.name);
    for (const a of f.args) add('args', a.description, `${f.name}(${a.name})`);
  }
  if (isInputObjectType(t)) for (const f of Object.values(t.getFields())) add('inputFields', f.description, f.name);
  if (isEnumType(t)) for (const v of t.getValues()) add('enumValues', v.description, v.name);
  if (miss.length) missing.push(`${t.name}: ${miss.join(' ')}`);
}
console.log('described: ' + Object.entries(c).map(([k, [d, n]]) => `${k} ${d}/${n} (${Math.round((100 * d) / n)}%)`).join(', '));
if (listMissing && missing.length) {
  console.log(missing.join('\n'));
  process.exit(1);
}
