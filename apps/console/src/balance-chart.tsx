import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatMoney, formatTimestamp, minorToDecimal, type MinorUnits } from './format.ts';

export interface BalancePoint {
  occurred_at: string;
  running_balance: MinorUnits;
}

const CHART_HEIGHT_PX = 260;

/**
 * The running balance of a statement over time, drawn by uPlot as steps (a balance holds its value
 * until the next entry). The y values are floats for drawing only; the legend and the table beside
 * it show the exact digits from the minor units.
 */
export function BalanceChart({ points, currency }: { points: BalancePoint[]; currency: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (element === null || points.length === 0) return;
    const xs = points.map((point) => Date.parse(point.occurred_at) / 1000);
    const ys = points.map((point) => Number(minorToDecimal(point.running_balance, currency)));
    const width = () => Math.max(320, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: CHART_HEIGHT_PX,
        scales: { x: { time: true } },
        series: [
          { label: 'Time (UTC)', value: (_u, _v, _s, index) => (index === null ? '—' : formatTimestamp(points[index]?.occurred_at)) },
          {
            label: `Balance (${currency})`,
            stroke: '#1f6feb',
            fill: 'rgba(31, 111, 235, 0.08)',
            width: 2,
            paths: uPlot.paths.stepped?.({ align: 1 }),
            value: (_u, _v, _s, index) => {
              const point = index === null ? undefined : points[index];
              return point === undefined ? '—' : formatMoney(point.running_balance, currency);
            },
          },
        ],
        axes: [{}, { size: 90, values: (_u, ticks) => ticks.map((tick) => tick.toLocaleString('en-US')) }],
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      },
      [xs, ys],
      element,
    );
    const onResize = () => chart.setSize({ width: width(), height: CHART_HEIGHT_PX });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      chart.destroy();
    };
  }, [points, currency]);
  return <div class="chart" ref={container} data-points={points.length} aria-label={`Running balance in ${currency}`} />;
}
