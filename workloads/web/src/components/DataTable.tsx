// The text alternative of a chart, and the plain tables of the pages.
import type { ReactNode } from 'react';

export interface DataTableProps {
  caption: string;
  columns: string[];
  rows: ReactNode[][];
  /** Numeric columns are right-aligned. */
  numeric?: number[];
}

export function DataTable({ caption, columns, rows, numeric = [] }: DataTableProps) {
  return (
    <div className="table-scroll">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={c} scope="col" className={numeric.includes(i) ? 'num' : undefined}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length}>No data.</td>
            </tr>
          ) : (
            rows.map((r, i) => (
              <tr key={i}>
                {r.map((cell, j) => (
                  <td key={j} className={numeric.includes(j) ? 'num' : undefined}>
                    {cell}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
