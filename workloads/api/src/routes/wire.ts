// Pieces of the wire contract that several routes share. The routes' zod schemas are the one source of
// the API's shapes: src/openapi.ts renders them into /openapi.json and the dashboard's types are generated
// from that. A schema with a `meta({ id })` becomes a named component (`components.schemas.<id>`).
import { z } from 'zod';
import { ROLES } from '../auth/tokens.js';

export const roleSchema = z.enum(ROLES).meta({ id: 'Role' });
export const labelSchema = z.enum(['negative', 'neutral', 'positive']).meta({ id: 'Label' });
export const trendSchema = z.enum(['improving', 'declining', 'stable', 'volatile']).meta({ id: 'Trend' });
export type Label = z.infer<typeof labelSchema>;

/** An instant as the API writes it: Date#toISOString (UTC, `Z`). */
export const timestamp = z.iso.datetime();
/** A UTC day, YYYY-MM-DD. */
export const isoDay = z.iso.date();
export const nullableText = z.string().nullable();
export const count = z.int().nonnegative();

/** Every error answer (the error middleware in server.ts writes it). */
export const errorBody = z
  .object({
    error: z.string(),
    errorId: z.string().optional().describe('on a 500: where the server logged the details'),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBody>;
