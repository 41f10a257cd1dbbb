// ECharts for the statistics and overview pages: only the line and bar charts and the components
// they use are bundled. A chart is a <div> the page places first; it is drawn (on a canvas) when its
// option is set, follows its box's size, and is disposed with the page.
import { BarChart, type BarSeriesOption, LineChart, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  type GridComponentOption,
  LegendComponent,
  type LegendComponentOption,
  TitleComponent,
  type TitleComponentOption,
  TooltipComponent,
  type TooltipComponentOption,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { el } from './dom';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TitleComponentOption
  | TooltipComponentOption
>;

export interface Chart {
  node: HTMLElement;
  // Draws (or redraws) the chart; the node must be in the document by then.
  set(option: ChartOption): void;
  dispose(): void;
}

// The palette of the dashboard (navy, green, amber, red ...), so charts match the badges.
export const PALETTE = [
  '#1d5a9e',
  '#1e8e3e',
  '#d98e04',
  '#c62828',
  '#6a1b9a',
  '#00838f',
  '#ef6c00',
  '#5d4037',
  '#8a94a3',
  '#ad1457',
];

export function chart(testid: string, options: { dark?: boolean; className?: string } = {}): Chart {
  const node = el('div', { class: options.className ?? 'chart', testid });
  let instance: echarts.ECharts | null = null;
  const resize = new ResizeObserver(() => instance?.resize());
  return {
    node,
    set(option) {
      if (!instance) {
        instance = echarts.init(node, options.dark ? 'dark' : undefined, { renderer: 'canvas' });
        resize.observe(node);
      }
      instance.setOption(
        {
          color: PALETTE,
          backgroundColor: 'transparent',
          animation: false,
          ...option,
          tooltip: canvasTooltips(option.tooltip),
        },
        { notMerge: true },
      );
      node.dataset.state = 'ready';
    },
    dispose() {
      resize.disconnect();
      instance?.dispose();
      instance = null;
    },
  };
}

// Tooltips are drawn on the canvas (renderMode 'richText'), never as HTML: series and category
// names come from data (sites, cargo categories), and ECharts' HTML tooltips also carry style
// attributes that a Content-Security-Policy without style-src 'unsafe-inline' refuses. Custom
// formatters are not used anywhere (web/tests/unsafe-html.test.mjs checks).
function canvasTooltips(tooltip: ChartOption['tooltip']): ChartOption['tooltip'] {
  if (tooltip === undefined) return undefined;
  const list = Array.isArray(tooltip) ? tooltip : [tooltip];
  return list.map((one) => ({ ...one, renderMode: 'richText' as const }));
}

// The common frame of a time-series chart: a category axis of periods, a legend on top, a tooltip
// on the axis, and room for the labels.
export function periodChart(
  periods: string[],
  series: Array<BarSeriesOption | LineSeriesOption>,
  yName = '',
): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: 20, top: 52, bottom: 28 },
    xAxis: { type: 'category', data: periods },
    yAxis: { type: 'value', name: yName, minInterval: 1 },
    series,
  };
}
