// The structural checks of the OpenAPI schema (types, enums, patterns, bounds, required fields), as
// the API server applies them before the CEL rules, with the same wording. `render -f` and the
// operator use it so an object that never met an API server is judged the same way. Unknown fields
// are not errors: the API server prunes them too.
import type { JSONSchema } from './schema.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOk(value: unknown, type: NonNullable<JSONSchema['type']>): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === type;
  }
}

export function schemaProblems(value: unknown, schema: JSONSchema, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (schema['x-kubernetes-int-or-string']) {
    if (!Number.isInteger(value) && typeof value !== 'string')
      return [`${path} in body must be of type int-or-string`];
  } else if (schema.type && !typeOk(value, schema.type)) {
    return [`${path} in body must be of type ${schema.type}`];
  }
  const problems: string[] = [];
  if (schema.enum && !schema.enum.includes(value as string)) {
    problems.push(
      `${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  }
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      problems.push(`${path} in body may not be longer than ${schema.maxLength}`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      problems.push(`${path} in body should match '${schema.pattern}'`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      problems.push(`${path} in body should be greater than or equal to ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      problems.push(`${path} in body should be less than or equal to ${schema.maximum}`);
    }
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) problems.push(`${path}.${key}: Required value`);
    }
    for (const [key, child] of Object.entries(value)) {
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      if (sub) problems.push(...schemaProblems(child, sub, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => problems.push(...schemaProblems(item, schema.items!, `${path}[${i}]`)));
  }
  return problems;
}
