// Prints how much of the schema is described: types, output fields, their
// arguments, input fields and enum values (scripts/schema-check shows it).
import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType, isInputObjectType, isEnumType, isInterfaceType, isScalarType, isUnionType } from 'graphql';
const s = buildSchema(readFileSync(process.argv[2], 'utf8'));
const c = { types: [0, 0], fields: [0, 0], args: [0, 0], inputFields: [0, 0], enumValues: [0, 0] };
const add = (k, d) => { c[k][1]++; if (d) c[k][0]++; };

for (const t of Object.values(s.getTypeMap())) {
  if (t.name.startsWith('__') || ['String','Int','Float','Boolean','ID'].includes(t.name)) continue;
  add('types', t.description);

  if (isObjectType(t) || isInterfaceType(t)) for (const f of Object.values(t.getFields())) {
    add('fields', f.description);
    for (const a of f.args) add('args', a.description);
  }
  if (isInputObjectType(t)) for (const f of Object.values(t.getFields())) add('inputFields', f.description);
  if (isEnumType(t)) for (const v of t.getValues()) add('enumValues', v.description);
}
console.log("described: " + Object.entries(c).map(([k, [d, n]]) => `${k} ${d}/${n} (${Math.round((100 * d) / n)}%)`).join(", "));
