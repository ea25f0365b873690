// The volume chart of the detail window: one uPlot panel per affected event type,
// each with the observed counts, the expected line, the expected band (low–high) and
// the incident window shaded. uPlot draws on canvas and styles its own elements
// through CSSOM, which the strict CSP (style-src 'self') allows; its stylesheet comes
// in through Vite as a file of the bundle.

import "./locale";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom";
import { count, zoneName, zonedTime } from "./format";
import type { ChartSeries, VolumeChart } from "./types";
import { eventName } from "./volume";

/** What the x axis shows: the incident only, or the whole chart (the incident ±24 h). */
export type Zoom = "incident" | "full";

export interface ChartView {
  /** The element to put in the page: zoom buttons, panels and the text alternative. */
  root: HTMLElement;
  /** Draws the panels; call once `root` is in the document (uPlot measures it). */
  mount(): void;
  zoom(to: Zoom): void;
  readonly zoomed: Zoom;
  destroy(): void;
}

const PANEL_HEIGHT = 190;

interface Totals {
  expected: number;
  observed: number;
  /** Buckets with no expectation (still learning), left out of `expected`. */
  unjudged: number;
}

/** Sums over the buckets that start in `[from, until)`. */
function totals(chart: VolumeChart, s: ChartSeries, from: number, until: number): Totals {
  const t: Totals = { expected: 0, observed: 0, unjudged: 0 };
  chart.starts.forEach((start, i) => {
    if (start < from || start >= until) return;
    const expected = s.expected[i];
    t.observed += s.observed[i] ?? 0;
    if (expected === null || expected === undefined) t.unjudged += 1;
    else t.expected += expected;
  });
  return t;
}

/** The incident's stretch on the x axis: its end, or now while it is open. */
export function incidentRange(chart: VolumeChart, now: number = Date.now() / 1000): [number, number] {
  const end = chart.incident_end ?? Math.max(now, chart.until);
  // A range of zero width would collapse the axis.
  return [chart.incident_start, Math.max(end, chart.incident_start + chart.step_secs)];
}

function bucketWords(stepSecs: number): string {
  if (stepSecs === 60) return "per minute";
  if (stepSecs === 3600) return "per hour";
  if (stepSecs === 86_400) return "per day";
  return `per ${Math.round(stepSecs / 60)} minutes`;
}

function missingShare(t: Totals): string {
  if (t.expected <= 0) return "";
  const share = Math.max(0, t.expected - t.observed) / t.expected;
  return `, ${Math.round(share * 100)}% missing`;
}

/** What a screen reader hears for the whole chart. */
function summary(chart: VolumeChart, sums: Totals[]): string {
  const span = `${zonedTime(chart.from * 1000)} to ${zonedTime(chart.until * 1000)}`;
  const events = chart.series.map((s, i) => {
    const t = sums[i] ?? { expected: 0, observed: 0, unjudged: 0 };
    return `${eventName(s.event)}: ${count(t.observed)} observed against ${count(t.expected)} expected${missingShare(t)}`;
  });
  const during = chart.incident_end === null ? "since the incident began" : "during the incident";
  return (
    `Event counts ${bucketWords(chart.step_secs)} of ${chart.monitor_name}, ${span}, with the expected ` +
    `range and the incident window shaded. ${capitalised(during)}: ${events.join("; ")}.`
  );
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The text alternative: expected against observed per event type, as a table. */
function totalsTable(chart: VolumeChart, sums: Totals[]): HTMLTableElement {
  const head = ["Event", "Expected", "Observed", "Missing"];
  return h(
    "table",
    { class: "visually-hidden chart-totals", attrs: { id: "chart-totals" } },
    h("caption", {
      text: `Events ${chart.incident_end === null ? "since the incident began" : "during the incident"} (${chart.monitor_name})`,
    }),
    h("thead", {}, h("tr", {}, ...head.map((text) => h("th", { text, attrs: { scope: "col" } })))),
    h(
      "tbody",
      {},
      ...chart.series.map((s, i) => {
        const t = sums[i] ?? { expected: 0, observed: 0, unjudged: 0 };
        return h(
          "tr",
          { attrs: { "data-event": s.event } },
          h("th", { text: eventName(s.event), attrs: { scope: "row" } }),
          h("td", { text: t.expected > 0 || t.unjudged === 0 ? count(t.expected) : "not known (still learning)" }),
          h("td", { text: count(t.observed) }),
          h("td", { text: count(Math.max(0, t.expected - t.observed)) }),
        );
      }),
    ),
  );
}

interface Palette {
  observed: string;
  expected: string;
  band: string;
  shade: string;
  axis: string;
  grid: string;
}

/** Canvas colours come from the stylesheet's tokens, so dark mode follows. */
function palette(from: Element): Palette {
  const css = getComputedStyle(from);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    observed: v("--chart-observed", "#0e5c63"),
    expected: v("--chart-expected", "#566171"),
    band: v("--chart-band", "rgba(86, 97, 113, 0.18)"),
    shade: v("--chart-shade", "rgba(155, 28, 36, 0.12)"),
    axis: v("--muted", "#566171"),
    grid: v("--border", "#dde1e6"),
  };
}

type Column = (number | null)[];

function panelOptions(
  s: ChartSeries,
  colours: Palette,
  width: number,
  syncKey: string,
  onDraw: (u: uPlot) => void,
  onScale: (u: uPlot, key: string) => void,
): uPlot.Options {
  const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? "—" : count(v));
  const axis: uPlot.Axis = {
    stroke: colours.axis,
    grid: { stroke: colours.grid, width: 1 },
    ticks: { stroke: colours.grid, width: 1 },
  };
  return {
    width,
    height: PANEL_HEIGHT,
    class: "volume-plot",
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    series: [
      { label: `Time (${zoneName()})`, value: (_u, v) => (v === null ? "—" : zonedTime(v * 1000)) },
      { label: "Expected low", stroke: colours.expected, width: 0, points: { show: false }, value },
      { label: "Expected high", stroke: colours.expected, width: 0, points: { show: false }, value },
      { label: "Expected", stroke: colours.expected, width: 1.5, dash: [6, 4], points: { show: false }, value },
      { label: `Observed ${eventName(s.event)}`, stroke: colours.observed, width: 2, value },
    ],
    bands: [{ series: [2, 1], fill: colours.band }],
    axes: [axis, { ...axis, size: 60, values: (_u, splits) => splits.map((n) => count(n)) }],
    // The panels share a cursor; only the zoom buttons change the x range (no drag zoom).
    cursor: { sync: { key: syncKey }, drag: { x: false, y: false } },
    hooks: { drawClear: [onDraw], setScale: [onScale] },
    legend: { show: true, live: true },
  };
}

let charts = 0;

/** Builds the chart section's content for `chart`, zoomed to `initial`. */
export function volumeChart(chart: VolumeChart, initial: Zoom): ChartView {
  const syncKey = `volume-${++charts}`;
  const [incidentStart, incidentEnd] = incidentRange(chart);
  const sums = chart.series.map((s) => totals(chart, s, incidentStart, incidentEnd));
  const plots: uPlot[] = [];
  let zoomed: Zoom = initial;

  const zoomButton = (to: Zoom, text: string, title: string) =>
    h("button", {
      class: "secondary zoom-button",
      text,
      attrs: { type: "button", title, "data-zoom": to, "aria-pressed": String(to === zoomed) },
    });
  const buttons = [
    zoomButton("incident", "Incident", "Show the incident only"),
    zoomButton("full", "±24 h", "Show 24 hours either side of the incident"),
  ];
  const toolbar = h(
    "div",
    { class: "chart-toolbar" },
    h(
      "div",
      { class: "zoom-buttons", attrs: { role: "group", "aria-label": "Chart range" } },
      ...buttons,
    ),
    h(
      "p",
      { class: "chart-key muted" },
      h("span", { class: "key key-observed", text: "observed" }),
      h("span", { class: "key key-expected", text: "expected" }),
      h("span", { class: "key key-band", text: "expected range" }),
      h("span", { class: "key key-shade", text: "incident" }),
    ),
  );
  const panels = chart.series.map((s) =>
    h(
      "figure",
      { class: "chart-panel", attrs: { "data-event": s.event } },
      h("figcaption", { class: "chart-panel-title", text: eventName(s.event) }),
      h("div", { class: "chart-plot" }),
    ),
  );
  const plotArea = h(
    "div",
    {
      class: "chart",
      attrs: { id: "chart", role: "img", "aria-label": summary(chart, sums), "aria-describedby": "chart-totals" },
    },
    ...panels,
  );
  const empty =
    chart.series.length === 0
      ? h("p", { class: "empty", text: "No counts are stored for the affected event types around this incident." })
      : null;
  const root = h("div", { class: "chart-body" }, toolbar, plotArea, empty, totalsTable(chart, sums));

  const range = (to: Zoom): [number, number] =>
    to === "incident" ? incidentRange(chart) : [chart.from, Math.max(chart.until, chart.from + chart.step_secs)];

  const applyZoom = (to: Zoom) => {
    zoomed = to;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.zoom === to));
    const [min, max] = range(to);
    for (const u of plots) u.setScale("x", { min, max });
  };

  for (const b of buttons) b.addEventListener("click", () => applyZoom(b.dataset.zoom as Zoom));

  let resize: ResizeObserver | null = null;

  const mount = () => {
    const colours = palette(root);
    const xs = chart.starts;
    chart.series.forEach((s, i) => {
      const panel = panels[i];
      const target = panel?.querySelector<HTMLElement>(".chart-plot");
      if (!panel || !target) return;
      // The shaded window where the incident lies, drawn under the grid and the lines.
      const shade = (u: uPlot) => {
        const [start, end] = incidentRange(chart);
        const { left, top, width, height } = u.bbox;
        const x0 = Math.max(left, Math.min(left + width, u.valToPos(start, "x", true)));
        const x1 = Math.max(left, Math.min(left + width, u.valToPos(end, "x", true)));
        if (x1 > x0) {
          u.ctx.save();
          u.ctx.fillStyle = colours.shade;
          u.ctx.fillRect(x0, top, x1 - x0, height);
          u.ctx.restore();
        }
        // Where it was drawn, in canvas pixels: for tests and anyone inspecting.
        panel.dataset.shade = [x0, x1, top, top + height].map(Math.round).join(",");
      };
      const recordScale = (u: uPlot, key: string) => {
        if (key !== "x") return;
        const { min, max } = u.scales.x ?? {};
        if (min === undefined || max === undefined) return;
        plotArea.dataset.xMin = String(Math.round(min));
        plotArea.dataset.xMax = String(Math.round(max));
      };
      const data: uPlot.AlignedData = [xs, s.low as Column, s.high as Column, s.expected as Column, s.observed as Column];
      const width = Math.max(240, target.clientWidth || plotArea.clientWidth);
      plots.push(new uPlot(panelOptions(s, colours, width, syncKey, shade, recordScale), data, target));
    });
    applyZoom(zoomed);
    resize = new ResizeObserver(() => {
      for (const u of plots) {
        const width = Math.max(240, u.root.parentElement?.clientWidth ?? u.width);
        if (width !== u.width) u.setSize({ width, height: PANEL_HEIGHT });
      }
    });
    resize.observe(plotArea);
  };

  return {
    root,
    mount,
    zoom: applyZoom,
    get zoomed() {
      return zoomed;
    },
    destroy() {
      resize?.disconnect();
      for (const u of plots) u.destroy();
      plots.length = 0;
    },
  };
}
