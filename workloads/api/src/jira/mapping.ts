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

// Ids become primary keys and search document ids: keep them to a safe, bounded alphabet.
const TICKET_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** `row` pairs each header with its cell; Jira repeats the `Comment` header, hence the array. */
export function mapRow(row: readonly (readonly [string, string])[], m: ColumnMapping): RowResult {
  const get = (name: string): string => row.find(([h]) => h === name)?.[1]?.trim() ?? '';
  const id = get(m.id);
  if (!id) return { ok: false, error: `missing ${m.id}` };
  if (!TICKET_ID.test(id)) return { ok: false, error: `invalid ticket id "${id.slice(0, 40)}"` };
  const warnings: string[] = [];
  const comments: JiraComment[] = [];
  const commentHeader = new RegExp(`^${m.commentPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.\\d+)?$`);
  for (const [header, cell] of row) {
    if (!commentHeader.test(header) || !cell.trim()) continue;
    const parsed = parseJiraComment(cell);
    if (parsed.ok) comments.push(parsed.comment);
    else warnings.push(`${header}: ${parsed.error}`);
  }
  comments.sort((a, b) => a.at.getTime() - b.at.getTime());
  const nullable = (s: string) => (s ? s : null);
  return {
    ok: true,
    warnings,
    ticket: {
      id,
      summary: get(m.summary),
      description: get(m.description),
      status: nullable(get(m.status)),
      priority: nullable(get(m.priority)),
      assignee: nullable(get(m.assignee)),
      createdAt: parseJiraDate(get(m.created)),
      updatedAt: parseJiraDate(get(m.updated)),
      comments,
    },
  };
}
