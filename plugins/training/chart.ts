import type { TimelinePoint } from './followUp.js';

/**
 * Geometry of the completion chart, drawn as SVG by the view (attributes only: the CSP
 * forbids style attributes). Two running totals over the weeks: started and completed.
 */
export interface LineChart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
  series: { id: string; label: string; points: string; last: { x: number; y: number; value: number } }[];
}

export function completionChart(points: TimelinePoint[], width = 720, height = 280): LineChart | null {
  if (!points.length) return null;
  const plot = { left: 56, right: width - 16, top: 16, bottom: height - 40 };
  const max = Math.max(1, ...points.map((p) => p.startedTotal));
  const step = niceStep(max / 4);
  const top = Math.ceil(max / step) * step;
  const x = (i: number) => (points.length === 1 ? (plot.left + plot.right) / 2 : plot.left + ((plot.right - plot.left) * i) / (points.length - 1));
  const y = (v: number) => plot.bottom - ((plot.bottom - plot.top) * v) / top;
  const yTicks = [];
  for (let v = 0; v <= top; v += step) yTicks.push({ y: round(y(v)), label: v.toLocaleString('fr-FR') });
  const every = Math.max(1, Math.ceil(points.length / 8));
  const xTicks = points
    .map((p, i) => ({ i, p }))
    .filter(({ i }) => i % every === 0 || i === points.length - 1)
    .map(({ i, p }) => ({ x: round(x(i)), label: frenchDay(p.week) }));
  const series = (id: string, label: string, pick: (p: TimelinePoint) => number) => ({
    id,
    label,
    points: points.map((p, i) => `${round(x(i))},${round(y(pick(p)))}`).join(' '),
    last: { x: round(x(points.length - 1)), y: round(y(pick(points[points.length - 1]!))), value: pick(points[points.length - 1]!) },
  });
  return {
    width,
    height,
    plot,
    yTicks,
    xTicks,
    series: [series('started', 'Ont commencé', (p) => p.startedTotal), series('completed', 'Ont terminé', (p) => p.completedTotal)],
  };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function frenchDay(isoDay: string): string {
  const [y, m, d] = isoDay.split('-');
  return `${d}/${m}/${y!.slice(2)}`;
}
