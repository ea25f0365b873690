// An incident's own window (detail.html#<id>): what happened and when, what it costs,
// the volume chart around it, the vendor's updates, the incidents linked to it and its
// acknowledgement. Re-reads the incident whenever the shell pushes an engine event
// that concerns it; it never polls, and the only timer moves the clock.

import * as api from "./api";
import { coalesced } from "./coalesce";
import { clearError, showError } from "./alerts";
import { volumeChart, type ChartView, type Zoom } from "./chart";
import { byId, h, linkified, isWebUrl } from "./dom";
import { capitalise, zonedTime } from "./format";
import { impactBody } from "./impact";
import {
  acknowledgement,
  badge,
  componentList,
  freshView,
  healthLabel,
  incidentClock,
  kindLabel,
  tick,
  type IncidentView,
} from "./render";
import type { EngineEvent, Incident, IncidentDetail, IncidentUpdate } from "./types";
import { checklist, eventDrops } from "./volume";

/** A routine check moves an open incident's counts and estimate: re-read at most this often for it. */
const CHECK_REFRESH_MS = 15_000;

const id = Number(/^#(\d+)$/.exec(location.hash)?.[1] ?? NaN);

let detail: IncidentDetail | null = null;
let ackView: IncidentView = freshView();
let chartView: ChartView | null = null;
let zoom: Zoom = "full";
let lastLoad = 0;
const rendered = new Map<string, string>();

/** Replaces a section's content when what it shows changed, keeping the focus in it. */
function renderSection(key: string, data: unknown, build: () => (Node | null | false)[]): void {
  const json = JSON.stringify(data);
  if (rendered.get(key) === json) return;
  rendered.set(key, json);
  const root = byId(key);
  const focusKey = root.contains(document.activeElement)
    ? (document.activeElement as HTMLElement | null)?.dataset.focusKey
    : undefined;
  root.replaceChildren(...build().filter((n): n is Node => n instanceof Node));
  if (focusKey) root.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function tag(incident: Incident): HTMLElement {
  const open = incident.ended_at === null;
  return h("span", { class: "state-tag", text: open ? "Open" : "Resolved", attrs: { "data-open": String(open) } });
}

function renderHeader(incident: Incident): void {
  document.title = `Flatline — ${incident.title}`;
  const shown = [incident.title, incident.summary, incident.severity, incident.kind, incident.ended_at];
  renderSection("detail-head", shown, () => [
    h(
      "p",
      { class: "detail-tags" },
      badge(incident.severity),
      h("span", { class: "kind-tag", text: kindLabel(incident.kind), attrs: { "data-kind": incident.kind } }),
      tag(incident),
    ),
    h("h1", { class: "detail-title", text: incident.title, attrs: { id: "detail-title" } }),
    h("p", { class: "detail-summary", text: incident.summary }),
  ]);
}

function fact(term: string, value: Node | string, key: string): HTMLElement {
  return h("div", { attrs: { "data-fact": key } }, h("dt", { text: term }), h("dd", {}, value));
}

function when(iso: string): HTMLTimeElement {
  return h("time", { text: zonedTime(iso), attrs: { datetime: iso } });
}

function renderFacts(incident: Incident): void {
  const clock = incidentClock(incident, Date.now());
  const i = incident;
  const shown = [i.monitor_name, i.kind, i.severity, i.started_at, i.detected_at, i.ended_at, i.counted_until, i.drops, i.checklist];
  renderSection(
    "facts",
    [...shown, i.components],
    () => [
      h(
        "dl",
        { class: "facts" },
        fact("Monitor", incident.monitor_name, "monitor"),
        fact("Kind", kindLabel(incident.kind), "kind"),
        fact("Severity", healthLabel(incident.severity), "severity"),
        fact("Started", when(incident.started_at), "started"),
        fact("Detected", when(incident.detected_at), "detected"),
        fact(
          "Ended",
          incident.ended_at ? when(incident.ended_at) : h("span", { class: "ongoing", text: "ongoing" }),
          "ended",
        ),
        fact(
          clock.label,
          h("span", {
            class: "incident-duration",
            text: clock.text,
            attrs: { "data-started-at": clock.runningFrom },
          }),
          "duration",
        ),
      ),
      eventDrops(incident),
      checklist(incident),
      componentList(incident),
    ],
  );
}

function renderImpact(incident: Incident): void {
  renderSection("impact-body", incident.impact ?? null, () => impactBody(incident));
}

/** What the chart shows, leaving out the clock: an open incident's chart reaches "now". */
function chartKey(d: IncidentDetail): string {
  return JSON.stringify(d.chart && { ...d.chart, until: null });
}

function renderChart(d: IncidentDetail): void {
  byId("chart-section").hidden = d.chart === null;
  const key = chartKey(d);
  if (rendered.get("chart") === key) return;
  rendered.set("chart", key);
  const root = byId("chart-root");
  const focused = root.contains(document.activeElement)
    ? (document.activeElement as HTMLElement | null)?.dataset.zoom
    : undefined;
  if (chartView) zoom = chartView.zoomed;
  chartView?.destroy();
  chartView = null;
  root.replaceChildren();
  if (d.chart === null) return;
  byId("chart-note").textContent =
    d.chart.monitor_id === d.incident.monitor_id
      ? ""
      : `The event volume of ${d.chart.monitor_name}, which this incident most likely caused to drop.`;
  chartView = volumeChart(d.chart, zoom);
  root.append(chartView.root);
  chartView.mount();
  if (focused) root.querySelector<HTMLElement>(`[data-zoom="${CSS.escape(focused)}"]`)?.focus();
}

function incidentButton(incident: Incident, role: string): HTMLElement {
  const open = incident.ended_at === null;
  return h(
    "li",
    { class: "linked-incident", attrs: { "data-incident-id": incident.id, "data-role": role } },
    h(
      "button",
      {
        class: "incident-link-button secondary",
        attrs: { type: "button", "data-incident-id": incident.id, "data-focus-key": `linked-${incident.id}` },
      },
      h("span", { class: "linked-title", text: incident.title }),
      h(
        "span",
        { class: "linked-meta muted" },
        `${healthLabel(incident.severity)} · ${open ? "open since" : "started"} ${zonedTime(incident.started_at)}`,
      ),
    ),
  );
}

function renderLinked(d: IncidentDetail): void {
  const { cause, effects } = d;
  byId("linked-section").hidden = cause === null && effects.length === 0;
  const brief = (i: Incident) => [i.id, i.title, i.severity, i.started_at, i.ended_at];
  renderSection("linked", [cause && brief(cause), effects.map(brief)], () => [
    cause &&
      h(
        "div",
        { class: "linked-group linked-cause" },
        h("h3", { text: "Likely cause" }),
        h("ul", { class: "linked-list" }, incidentButton(cause, "cause")),
      ),
    effects.length > 0 &&
      h(
        "div",
        { class: "linked-group linked-effects" },
        h("h3", { text: effects.length === 1 ? "Likely caused" : `Likely caused these ${effects.length} incidents` }),
        h("ul", { class: "linked-list" }, ...effects.map((e) => incidentButton(e, "effect"))),
      ),
  ]);
}

function update(u: IncidentUpdate): HTMLElement {
  return h(
    "li",
    { class: "update" },
    h(
      "p",
      { class: "update-meta" },
      h("strong", { class: "update-status", text: capitalise(u.status.replaceAll("_", " ")) }),
      " · ",
      h("time", { text: zonedTime(u.at), attrs: { datetime: u.at } }),
    ),
    // Vendor text is untrusted: text nodes (and https links labelled with themselves) only.
    h("p", { class: "update-body" }, ...linkified(u.body)),
  );
}

function renderUpdates(d: IncidentDetail): void {
  const own = d.incident.updates;
  // A volume incident has no vendor of its own: its likely cause's vendor speaks for it.
  const from = own.length > 0 ? d.incident : d.cause && d.cause.updates.length > 0 ? d.cause : null;
  const url = from?.url ?? d.incident.url;
  byId("updates-section").hidden = from === null && url === null;
  renderSection("updates", [from?.id, from?.updates, url], () => [
    from !== null &&
      from !== d.incident &&
      h("p", { class: "muted updates-source", text: `From the likely cause, ${from.title}:` }),
    from !== null && h("ol", { class: "update-timeline" }, ...from.updates.map(update)),
    url !== null &&
      h(
        "p",
        { class: "incident-link" },
        isWebUrl(url)
          ? h("a", { text: "Open the vendor's incident page", attrs: { href: url, rel: "noreferrer", "data-focus-key": "link" } })
          : h("span", { text: `Vendor's incident page: ${url}` }),
      ),
  ]);
}

function renderAck(incident: Incident): void {
  const { draft: _draft, ...view } = ackView;
  renderSection("ack", [incident.acknowledgement, view], () => [acknowledgement(incident, ackView)]);
}

function render(d: IncidentDetail): void {
  renderHeader(d.incident);
  renderFacts(d.incident);
  renderImpact(d.incident);
  renderChart(d);
  renderLinked(d);
  renderUpdates(d);
  renderAck(d.incident);
  byId("detail").setAttribute("aria-busy", "false");
}

async function load(): Promise<void> {
  lastLoad = Date.now();
  try {
    detail = await api.incidentDetail(id);
    clearError("load");
    render(detail);
  } catch (e) {
    const gone = typeof e === "object" && e !== null && (e as { kind?: string }).kind === "not_found";
    showError("load", gone ? `Incident ${id} does not exist.` : `Could not load incident ${id}: ${api.errorMessage(e)}`);
    if (!detail) {
      document.title = `Flatline — incident ${id}`;
      byId("detail-head").replaceChildren(
        h("h1", { class: "detail-title", text: `Incident ${id}`, attrs: { id: "detail-title" } }),
      );
      byId("detail").setAttribute("aria-busy", "false");
    }
  }
}

const refresh = coalesced(load);

/** Whether an engine event changes anything this window shows. */
function concerns(event: EngineEvent): boolean {
  if (event.type === "store_changed") return true;
  if (!detail) return false;
  if (event.type === "checked") {
    // A routine check adds counts to an open incident's chart and grows its estimate.
    const open = detail.incident.ended_at === null || detail.effects.some((e) => e.ended_at === null);
    const watched = [detail.incident.monitor_id, detail.chart?.monitor_id];
    return (
      open &&
      Date.now() - lastLoad >= CHECK_REFRESH_MS &&
      event.monitors.some((m) => watched.includes(m.id))
    );
  }
  const changed = event.incident;
  const linked = [id, detail.cause?.id, ...detail.effects.map((e) => e.id)];
  // A new effect names this incident as its cause.
  return linked.includes(changed.id) || changed.cause?.incident_id === id;
}

/**
 * An open incident's estimate grows on every check, and the engine says so with the
 * whole incident: when nothing but the estimate changed, show it without a re-read.
 */
function grewInPlace(event: EngineEvent): boolean {
  if (!detail || event.type !== "incident_updated" || event.incident.id !== id) return false;
  const { impact: _before, ...was } = detail.incident;
  const { impact: _after, ...now } = event.incident;
  if (JSON.stringify(was) !== JSON.stringify(now)) return false;
  detail = { ...detail, incident: event.incident };
  render(detail);
  return true;
}

function openIncident(target: number): void {
  api
    .openIncidentDetail(target)
    .then(() => clearError(`open-${target}`))
    .catch((e) => showError(`open-${target}`, `Could not open incident ${target}: ${api.errorMessage(e)}`));
}

function setFormOpen(open: boolean): void {
  ackView = { ...ackView, formOpen: open };
  if (detail) renderAck(detail.incident);
  byId("ack").querySelector<HTMLElement>(open ? "textarea[name=note]" : ".ack-button")?.focus();
}

async function submitAck(): Promise<void> {
  ackView = { ...ackView, busy: true };
  if (detail) renderAck(detail.incident);
  try {
    const incident = await api.acknowledge(id, ackView.draft.trim() || null);
    ackView = freshView();
    clearError("ack");
    // Show it now; the engine's event brings the rest.
    if (detail) {
      detail = { ...detail, incident };
      renderAck(incident);
    }
  } catch (e) {
    ackView = { ...ackView, busy: false };
    if (detail) renderAck(detail.incident);
    showError("ack", `Could not acknowledge: ${api.errorMessage(e)}`);
  }
  byId("ack").querySelector<HTMLElement>(".ack-info, .ack-button, textarea")?.focus();
}

function wire(): void {
  document.addEventListener("click", (event) => {
    const target = event.target as Element | null;
    const linked = target?.closest?.<HTMLElement>(".incident-link-button");
    if (linked) {
      openIncident(Number(linked.dataset.incidentId));
      return;
    }
    const link = target?.closest?.<HTMLAnchorElement>("a[href]");
    if (link) {
      event.preventDefault();
      if (/^https:/.test(link.href)) {
        api.openExternal(link.href).catch((e) => showError("link", `Could not open ${link.href}: ${api.errorMessage(e)}`));
      }
      return;
    }
    if (target?.closest("#ack .ack-button")) setFormOpen(true);
    else if (target?.closest("#ack .ack-cancel")) setFormOpen(false);
  });
  document.addEventListener("submit", (event) => {
    if (!(event.target instanceof Element) || !event.target.closest("#ack")) return;
    event.preventDefault();
    void submitAck();
  });
  document.addEventListener("input", (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.closest("#ack")) ackView.draft = event.target.value;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && (event.target as Element | null)?.closest?.("#ack .ack-form")) setFormOpen(false);
  });
}

async function start(): Promise<void> {
  wire();
  if (!Number.isSafeInteger(id)) {
    showError("load", `This window names no incident (${location.hash || "no #id"}).`);
    byId("detail").setAttribute("aria-busy", "false");
    return;
  }
  // Listen before the first read so that nothing that happens in between is missed.
  await api
    .onEngineEvent((event) => {
      if (grewInPlace(event)) return;
      if (concerns(event)) refresh();
    })
    .catch((e) => showError("events", `Live updates are unavailable: ${api.errorMessage(e)}`));
  await load();
  setInterval(() => tick(document, Date.now()), 1000);
}

void start().catch((e) => showError("start", `The window failed to start: ${api.errorMessage(e)}`));
