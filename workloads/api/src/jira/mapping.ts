// Maps a Jira export row (header → cell) to a ticket. Column names vary between Jira instances and
// languages, so the mapping is configurable; defaults match Jira's English CSV export.
import { parseJiraComment, parseJiraDate, type JiraComment } from './comment.js';

export interface ColumnMapping {
  id: string;
  summary: string;
  description: string;
  status: string;
  priority: string;
  assignee: string;
  created: string;
  updated: string;
  /** Header prefix of comment columns: `Comment`, `Comment.1`, ... */
  commentPrefix: string;
}

export const DEFAULT_MAPPING: ColumnMapping = {
  id: 'Issue key',
  summary: 'Summary',
  description: 'Description',
  status: 'Status',
  priority: 'Priority',
  assignee: 'Assignee',
  created: 'Created',
  updated: 'Updated',
  commentPrefix: 'Comment',
};

export interface TicketInput {
  id: string;
  summary: string;
  description: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  comments: JiraComment[];
}

export type RowResult = { ok: true; ticket: TicketInput; warnings: string[] } | { ok: false; error: string };

/**
 * Longest value per field, in characters, for CSV rows and JSON items alike. Status, priority and assignee
 * are btree-indexed in Postgres (an entry over 2704 bytes is refused) and keywords in OpenSearch (a term
 * over 32 KB is refused): at 4 bytes a character these stay far below both. The summary is searchable
 * whole: with the description's searchable head its tsvector stays under Postgres's 1 MB (at most ~6
 * bytes per character of input). Jira itself caps a summary at 255 characters.
 */
export const FIELD_LIMITS = { summary: 10_000, status: 100, priority: 100, assignee: 200 } as const;

// Ids become primary keys and search document ids: keep them to a safe, bounded alphabet.
export const TICKET_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const JIRA_DATE_EXAMPLE = '01/May/24 9:05 AM';

/** `row` pairs each header with its cell; Jira repeats the `Comment` header, hence the array. */
export function mapRow(row: readonly (readonly [string, string])[], m: ColumnMapping): RowResult {
  const warnings: string[] = [];
  // Postgres text cannot hold U+0000 (a byte some exporters leave in binary junk): removed, and said so.
  const clean = (header: string, cell: string): string => {
    if (!cell.includes('\0')) return cell;
    warnings.push(`${header}: NUL characters removed (they cannot be stored)`);
    return cell.replaceAll('\0', '');
  };
  const get = (name: string): string => {
    const cell = row.find(([h]) => h === name)?.[1];
    return cell === undefined ? '' : clean(name, cell).trim();
  };
  const id = get(m.id);
  if (!id) return { ok: false, error: `missing ${m.id}` };
  if (!TICKET_ID.test(id)) return { ok: false, error: `invalid ticket id "${id.slice(0, 40)}"` };
  const fields = {
    summary: get(m.summary),
    status: get(m.status),
    priority: get(m.priority),
    assignee: get(m.assignee),
  };
  // A clipped status or assignee would be a different value (a new facet on the dashboard): the row is
  // refused, naming the field, and can be fixed and imported again.
  for (const key of Object.keys(fields) as (keyof typeof fields)[]) {
    if (fields[key].length > FIELD_LIMITS[key])
      return {
        ok: false,
        error: `${m[key]}: ${fields[key].length} characters, at most ${FIELD_LIMITS[key]}`,
      };
  }
  const date = (name: string): Date | null => {
    const raw = get(name);
    if (!raw) return null;
    const parsed = parseJiraDate(raw);
    if (!parsed)
      warnings.push(`${name}: "${raw.slice(0, 40)}" is not a date like "${JIRA_DATE_EXAMPLE}"; left empty`);
    return parsed;
  };
  // Description and dates before comments, as Jira's export orders them: warnings come in that order.
  const description = get(m.description);
  const createdAt = date(m.created);
  const updatedAt = date(m.updated);
  const comments: JiraComment[] = [];
  const commentHeader = new RegExp(`^${m.commentPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.\\d+)?$`);
  for (const [header, raw] of row) {
    if (!commentHeader.test(header) || !raw.trim()) continue;
    const parsed = parseJiraComment(clean(header, raw));
    if (parsed.ok) comments.push(parsed.comment);
    else warnings.push(`${header}: ${parsed.error}; comment left out`);
  }
  comments.sort((a, b) => a.at.getTime() - b.at.getTime());
  const nullable = (s: string) => (s ? s : null);
  return {
    ok: true,
    warnings,
    ticket: {
      id,
      summary: fields.summary,
      description,
      status: nullable(fields.status),
      priority: nullable(fields.priority),
      assignee: nullable(fields.assignee),
      createdAt,
      updatedAt,
      comments,
    },
  };
}
