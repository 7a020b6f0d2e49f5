// Jira CSV exports put each comment in a `Comment.N` cell as `DD/Mon/YY hh:mm AM;author;text`.
// The text itself may contain ';', so only the first two separators are structural.

export interface JiraComment {
  at: Date;
  author: string;
  text: string;
}

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

const STAMP = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{2}) (\d{1,2}):(\d{2}) ([AP]M)$/i;

/** Parses a Jira timestamp as UTC (the export carries no zone); null when malformed. */
export function parseJiraDate(raw: string): Date | null {
  const m = STAMP.exec(raw.trim());
  if (!m) return null;
  const [, dd, mon, yy, hh, mm, ampm] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const month = MONTHS[mon.toLowerCase()];
  const hour12 = Number(hh);
  const minute = Number(mm);
  const day = Number(dd);
  if (month === undefined || hour12 < 1 || hour12 > 12 || minute > 59 || day < 1 || day > 31) return null;
  const hour = (hour12 % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
  const date = new Date(Date.UTC(2000 + Number(yy), month, day, hour, minute));
  // Reject overflow such as 31/Feb, which Date silently rolls into March.
  if (date.getUTCDate() !== day) return null;
  return date;
}

export type CommentParse = { ok: true; comment: JiraComment } | { ok: false; error: string };

export function parseJiraComment(cell: string): CommentParse {
  const first = cell.indexOf(';');
  const second = first < 0 ? -1 : cell.indexOf(';', first + 1);
  if (first < 0 || second < 0) return { ok: false, error: 'expected "date;author;text"' };
  const at = parseJiraDate(cell.slice(0, first));
  if (!at) return { ok: false, error: `bad comment date "${cell.slice(0, first).slice(0, 40)}"` };
  const author = cell.slice(first + 1, second).trim();
  const text = cell.slice(second + 1).trim();
  if (!text) return { ok: false, error: 'empty comment text' };
  return { ok: true, comment: { at, author, text } };
}
