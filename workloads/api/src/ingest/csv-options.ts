// What a CSV job row stores in jobs.options, and the column-mapping override an upload may carry.
// The upload route validates what it writes and the worker validates what it reads with the same schema.
import { z } from 'zod';
import { DEFAULT_MAPPING, type ColumnMapping } from '../jira/mapping.js';

// A header name: any text a spreadsheet allows in one cell of the first row, bounded.
const header = z.string().trim().min(1, 'must not be empty').max(200);

export const mappingSchema = z.strictObject({
  id: header,
  summary: header,
  description: header,
  status: header,
  priority: header,
  assignee: header,
  created: header,
  updated: header,
  commentPrefix: header,
}) satisfies z.ZodType<ColumnMapping>;

/** The upload's `mapping` field: any subset of ColumnMapping, laid over DEFAULT_MAPPING. */
export const mappingOverrideSchema = mappingSchema
  .partial()
  .transform((m): ColumnMapping => ({ ...DEFAULT_MAPPING, ...m }));

export const charsetSchema = z.enum(['utf-8', 'latin1']);

export const csvJobOptionsSchema = z.object({
  /** Where the file is: this database's upload_chunks, keyed by the job id (ingest/upload-chunks.ts). */
  storage: z.literal('database'),
  charset: charsetSchema.optional(),
  mapping: mappingSchema,
  bytesTotal: z.number().int().nonnegative().optional(),
});

export type CsvJobOptions = z.infer<typeof csvJobOptionsSchema>;
