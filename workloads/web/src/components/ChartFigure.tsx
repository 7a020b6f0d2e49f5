// Every chart is a figure with a caption, an accessible name plus a one-line summary on the drawing, and
// its data as a table for keyboard and screen-reader users.
import { useId, type ReactNode } from 'react';
import { DataTable, type DataTableProps } from './DataTable';

interface Props {
  title: string;
  /** What the chart shows, in words (read out as the image's name). */
  summary: string;
  table: Omit<DataTableProps, 'caption'>;
  children: ReactNode;
  wide?: boolean;
}

export function ChartFigure({ title, summary, table, children, wide }: Props) {
  const id = useId();
  return (
    <figure className={`card chart${wide ? ' wide' : ''}`} aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      <div className="chart-box" role="img" aria-label={`${title}. ${summary}`}>
        {children}
      </div>
      <details>
        <summary>Data table</summary>
        <DataTable caption={title} {...table} />
      </details>
    </figure>
  );
}
