// The one-page-or-so summary PDF: overview numbers, distributions and the most negative tickets.
// pdfkit's built-in Helvetica needs no font files; it covers Latin-1, which suits a printable digest.
import PDFDocument from 'pdfkit';
import type { DayRange, Overview } from '../store/dashboard.js';

export interface SummaryMeta {
  platform: string;
  generatedAt: Date;
  range: DayRange;
}

const LABEL_COLORS = { negative: '#c0392b', neutral: '#7f8c8d', positive: '#27ae60' } as const;

const score = (s: number | null) => (s === null ? '-' : s.toFixed(2));

/** Returns the document as a readable stream, already ended. */
export function summaryPdf(o: Overview, meta: SummaryMeta): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Sentiment summary: ${meta.platform}`, Producer: 'sentiment-api' },
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.fontSize(18).font('Helvetica-Bold').text(`Sentiment summary: ${meta.platform}`);
  doc
    .fontSize(9)
    .font('Helvetica')
    .fillColor('#555')
    .text(
      `Generated ${meta.generatedAt.toISOString()}  |  Comments from ${meta.range.from ?? 'the beginning'} to ${meta.range.to ?? 'today'} (UTC days)`,
    );
  doc.fillColor('black').moveDown();

  const heading = (title: string) =>
    doc.moveDown(0.6).fontSize(12).font('Helvetica-Bold').text(title).font('Helvetica').fontSize(10);
  heading('Totals');
  doc.text(`${o.totals.tickets} tickets, ${o.totals.comments} comments`);

  const distribution = (title: string, d: Overview['distribution']) => {
    heading(title);
    const total = d.negative + d.neutral + d.positive;
    doc.text(
      (['negative', 'neutral', 'positive'] as const)
        .map((k) => `${k} ${d[k]} (${total ? Math.round((100 * d[k]) / total) : 0}%)`)
        .join('   '),
    );
    if (total === 0) return;
    // A stacked bar: the shares at a glance.
    const y = doc.y + 4;
    let x = left;
    for (const k of ['negative', 'neutral', 'positive'] as const) {
      const w = (width * d[k]) / total;
      doc.rect(x, y, w, 10).fill(LABEL_COLORS[k]);
      x += w;
    }
    doc.fillColor('black');
    doc.x = left;
    doc.y = y + 16;
  };
  distribution('Comments by label', o.distribution);
  distribution('Tickets by label (rolled up)', o.ticketDistribution);

  heading('Ticket trends');
  doc.text(
    `improving ${o.trends.improving}   declining ${o.trends.declining}   stable ${o.trends.stable}   volatile ${o.trends.volatile}`,
  );

  heading('By priority');
  for (const p of o.byPriority)
    doc.text(
      `${p.key ?? '(none)'}: ${p.tickets} tickets, mean score ${score(p.avgScore)}, ${p.negative} negative`,
    );

  heading('Most negative tickets');
  if (o.topNegative.length === 0) doc.text('None.');
  for (const t of o.topNegative) {
    doc
      .font('Helvetica-Bold')
      .text(`${t.id}  ${score(t.sentimentScore)}`, { continued: true })
      .font('Helvetica')
      .text(
        `  ${t.summary.slice(0, 120)}  [${t.status ?? '-'} / ${t.priority ?? '-'} / ${t.assignee ?? 'unassigned'} / ${t.trend ?? '-'}]`,
      );
  }
  doc.end();
  return doc;
}
