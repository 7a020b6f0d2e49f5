// The dashboard's charts. Each is wrapped in ChartFigure (caption, accessible name, data table) and drawn
// without animation so what is announced and what is on screen agree at once.
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ReferenceDot,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Anomaly, GroupStat, Label, Overview, TicketDetail } from '../api';
import { formatDate, formatGroupKey, formatScore, LABEL_COLORS } from '../format';
import { ChartFigure } from './ChartFigure';

const LABELS: Label[] = ['negative', 'neutral', 'positive'];
const HEIGHT = 260;
// Legend entries take their series colour by default; text in the page colour keeps its contrast.
const legendText = (value: string) => <span className="legend-text">{value}</span>;

export function DistributionPie({ title, counts }: { title: string; counts: Record<Label, number> }) {
  const data = LABELS.map((l) => ({ name: l, value: counts[l], fill: LABEL_COLORS[l] }));
  const total = data.reduce((a, d) => a + d.value, 0);
  const pct = (v: number) => (total ? `${Math.round((100 * v) / total)}%` : '0%');
  return (
    <ChartFigure
      title={title}
      summary={data.map((d) => `${d.name} ${d.value} (${pct(d.value)})`).join(', ')}
      table={{
        columns: ['Label', 'Count', 'Share'],
        rows: data.map((d) => [d.name, d.value, pct(d.value)]),
        numeric: [1, 2],
      }}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <PieChart accessibilityLayer={false}>
          <Pie
            // Empty slices would only stack their labels on top of each other; the table lists them.
            data={data.filter((d) => d.value > 0)}
            dataKey="value"
            nameKey="name"
            outerRadius="75%"
            isAnimationActive={false}
            label={({ value }) => String(value)}
          />
          <Tooltip />
          <Legend formatter={legendText} />
        </PieChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function TrendByDay({ days, anomalies }: { days: Overview['trendByDay']; anomalies: Anomaly[] }) {
  const flagged = new Map(anomalies.map((a) => [a.day, a]));
  return (
    <ChartFigure
      wide
      title="Sentiment by day"
      summary={
        days.length
          ? `Average comment score per day from ${days[0]!.day} to ${days[days.length - 1]!.day}; ${anomalies.length} anomalous day(s) marked.`
          : 'No comments in this period.'
      }
      table={{
        columns: ['Day', 'Comments', 'Average score', 'Negative', 'Neutral', 'Positive', 'Anomaly'],
        rows: days.map((d) => [
          d.day,
          d.comments,
          formatScore(d.avgScore),
          d.negative,
          d.neutral,
          d.positive,
          flagged.get(d.day)?.direction ?? '',
        ]),
        numeric: [1, 2, 3, 4, 5],
      }}
    >
      <ResponsiveContainer width="100%" height={HEIGHT + 40}>
        <ComposedChart data={days} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis yAxisId="score" domain={[-1, 1]} />
          <YAxis yAxisId="count" orientation="right" allowDecimals={false} />
          <Tooltip />
          <Legend formatter={legendText} />
          <Bar yAxisId="count" dataKey="comments" name="Comments" fill="#aab7c4" isAnimationActive={false} />
          <Line
            yAxisId="score"
            dataKey="avgScore"
            name="Average score"
            stroke="#1f4e79"
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          {anomalies.map((a) => (
            <ReferenceDot
              key={a.day}
              yAxisId="score"
              x={a.day}
              y={a.avgScore}
              r={7}
              fill={a.direction === 'negative' ? LABEL_COLORS.negative : LABEL_COLORS.positive}
              stroke="#000"
              className="anomaly-marker"
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function GroupBars({ title, groups }: { title: string; groups: GroupStat[] }) {
  const data = groups.map((g) => ({ ...g, name: formatGroupKey(g.key) }));
  return (
    <ChartFigure
      title={title}
      summary={
        data.map((g) => `${g.name}: ${g.tickets} tickets, ${g.negative} negative`).join('; ') || 'No tickets.'
      }
      table={{
        columns: ['Group', 'Tickets', 'Negative', 'Average score'],
        rows: data.map((g) => [g.name, g.tickets, g.negative, formatScore(g.avgScore)]),
        numeric: [1, 2, 3],
      }}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart data={data} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="name" />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Legend formatter={legendText} />
          <Bar dataKey="tickets" name="Tickets" fill="#1f4e79" isAnimationActive={false} />
          <Bar dataKey="negative" name="Negative" fill={LABEL_COLORS.negative} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function Trajectory({ points }: { points: TicketDetail['trajectory'] }) {
  const data = points.map((p) => ({ ...p, when: formatDate(p.at) }));
  return (
    <ChartFigure
      wide
      title="Sentiment trajectory"
      summary={
        points.length
          ? `Score of each of ${points.length} comments and the recency-weighted rolling score, ending at ${formatScore(points[points.length - 1]!.rolling)}.`
          : 'No comments.'
      }
      table={{
        columns: ['Comment', 'Time', 'Score', 'Rolling'],
        rows: data.map((p) => [p.seq, p.when, formatScore(p.score), formatScore(p.rolling)]),
        numeric: [0, 2, 3],
      }}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <LineChart data={data} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="seq" />
          <YAxis domain={[-1, 1]} />
          <Tooltip />
          <Legend formatter={legendText} />
          <Line dataKey="score" name="Comment score" stroke="#7f8c8d" isAnimationActive={false} />
          <Line
            dataKey="rolling"
            name="Rolling score"
            stroke="#1f4e79"
            strokeWidth={2}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
