// Hourly bar charts (uPlot, vendored in vendor/), each with a table of its numbers.
import {el, table} from './dom.js';

const COLOURS = {stroke: '#1d4f91', fill: 'rgba(29, 79, 145, 0.8)', axis: '#1b1b1b', grid: '#d0d4da'};
const HEIGHT = 200;

function plotOptions(labels, title, width) {
  return {
    width, height: HEIGHT,
    legend: {show: false},
    cursor: {drag: {x: false, y: false}},
    scales: {
      x: {time: false, range: [-0.5, labels.length - 0.5]},
      y: {range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1]},
    },
    axes: [
      {stroke: COLOURS.axis, grid: {show: false}, space: 24,
       values: (u, ticks) => ticks.map((t) => (labels[t] ? labels[t].slice(11, 13) : ''))},
      {stroke: COLOURS.axis, grid: {stroke: COLOURS.grid}, size: 60},
    ],
    series: [{}, {label: title, stroke: COLOURS.stroke, fill: COLOURS.fill,
                  paths: uPlot.paths.bars({size: [0.7, 40]}), points: {show: false}}],
  };
}

// A figure for one figure of the day: `values[i]` is the number for `labels[i]`.
// data-points holds [label, value] pairs as drawn, for the tests and for scripts.
export function hourChart(parent, name, title, labels, values) {
  const plot = el('div', {class: 'plot', 'aria-hidden': 'true'});
  const rows = labels.map((label, i) => ({label, value: values[i]}));
  const numbers = el('details', {}, el('summary', {}, `${title}: the numbers`),
                     table(title, [['Hour', (r) => r.label.slice(11)], [title, (r) => r.value]], rows));
  const figure = el('figure', {class: 'chart', 'data-chart': name,
                               'data-points': JSON.stringify(labels.map((l, i) => [l, values[i]]))},
                    el('figcaption', {}, title), plot, numbers);
  parent.append(figure);
  const width = () => Math.max(260, plot.clientWidth || parent.clientWidth);
  const chart = new uPlot(plotOptions(labels, title, width()),
                          [labels.map((_, i) => i), values], plot);
  new ResizeObserver(() => chart.setSize({width: width(), height: HEIGHT})).observe(plot);
  return chart;
}
