// The timeline window: renders what the engine says and re-reads it whenever the
// shell pushes an engine event. It never polls; the only timer moves the clocks.

import * as api from "./api";
import { coalesced } from "./coalesce";
import { showError, clearError } from "./alerts";
import { byId } from "./dom";
import { zonedTime } from "./format";
import { totalsText } from "./impact";
import { wireReport } from "./report";
import { readFilters, syncFilterOptions, matches } from "./filters";
import { historyGroups, incidentItem, freshView, monitorItem, tick, type IncidentView } from "./render";
import type { Incident, Snapshot, TrayState } from "./types";

/** How far back the history reaches; the store keeps more, the window stays quick. */
const HISTORY_DAYS = 90;
const HISTORY_LIMIT = 500;

let snap: Snapshot | null = null;
let history: Incident[] = [];
const views = new Map<number, IncidentView>();
let renderedIncidents = "";
let renderedMonitors = "";

const openList = byId<HTMLUListElement>("open-incidents");
const historyRoot = byId("history");

function viewOf(id: number): IncidentView {
  let view = views.get(id);
  if (!view) {
    view = freshView();
    views.set(id, view);
  }
  return view;
}

const OVERALL: Record<TrayState, string> = {
  ok: "All clear",
  maintenance: "Scheduled maintenance",
  unknown: "Some monitors cannot be read",
  degraded: "Degraded service",
  down: "Major outage",
};

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function renderHeader(s: Snapshot): void {
  byId("overall").dataset.state = s.tray;
  byId("overall-title").textContent = OVERALL[s.tray];
  const parts = [
    s.open.length === 0 ? "No open incidents" : plural(s.open.length, "open incident", "open incidents"),
  ];
  if (s.unacknowledged > 0) parts.push(`${s.unacknowledged} unacknowledged`);
  parts.push(plural(s.monitors.length, "monitor", "monitors"));
  if (s.hold) {
    const what = s.hold.reason === "snoozed" ? "Notifications snoozed" : "Quiet hours";
    parts.push(`${what} until ${zonedTime(s.hold.until, true)}`);
  }
  byId("overall-detail").textContent = parts.join(" · ");
  const totals = totalsText(s.impact);
  const impact = byId("impact-totals");
  impact.hidden = totals === null;
  impact.textContent = totals ?? "";
  byId<HTMLButtonElement>("ack-all").disabled = s.unacknowledged === 0;
}

function renderMonitors(s: Snapshot): void {
  const key = JSON.stringify(s.monitors);
  if (key === renderedMonitors) return;
  renderedMonitors = key;
  const now = Date.now();
  byId("monitors").replaceChildren(...s.monitors.map((m) => monitorItem(m, now)));
  byId("monitors-empty").hidden = s.monitors.length > 0;
}

interface Focus {
  id: string;
  key: string;
  selection: [number, number] | null;
}

/** Which control had focus (and where the caret was), so that a re-render puts it back. */
function focusedControl(): Focus | null {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement)) return null;
  const id = active.closest<HTMLElement>("li.incident")?.dataset.incidentId;
  if (!id) return null;
  const selection: [number, number] | null =
    active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : null;
  return { id, key: active.dataset.focusKey ?? "", selection };
}

function restoreFocus(focus: Focus | null): void {
  if (!focus) return;
  const item = document.querySelector<HTMLElement>(`li.incident[data-incident-id="${focus.id}"]`);
  const target = (focus.key ? item?.querySelector<HTMLElement>(`[data-focus-key="${focus.key}"]`) : null) ?? item;
  target?.focus({ preventScroll: true });
  if (focus.selection && target instanceof HTMLTextAreaElement) target.setSelectionRange(...focus.selection);
}

function renderIncidents(force = false): void {
  if (!snap) return;
  const filters = readFilters();
  // Drafts are left out: typing must not re-render the list under the caret.
  const viewKey = [...views].map(([id, v]) => [id, v.formOpen, v.updatesOpen, v.busy]);
  const key = JSON.stringify([snap.open, history, filters, viewKey]);
  if (!force && key === renderedIncidents) return;
  renderedIncidents = key;

  const focus = focusedControl();
  const now = Date.now();
  const open = snap.open.filter((i) => matches(i, filters));
  const resolved = history.filter((i) => i.ended_at !== null && matches(i, filters));
  openList.replaceChildren(...open.map((i) => incidentItem(i, viewOf(i.id), now)));
  historyRoot.replaceChildren(...historyGroups(resolved, viewOf, now));

  const filtered = filters.monitor !== "" || filters.kind !== "" || filters.severity !== "";
  const openEmpty = byId("open-empty");
  openEmpty.hidden = open.length > 0;
  openEmpty.textContent =
    filtered && snap.open.length > 0
      ? "No open incidents match the filters."
      : snap.tray === "ok"
        ? "No open incidents. Every monitored service looks healthy."
        : "No open incidents.";
  const historyEmpty = byId("history-empty");
  historyEmpty.hidden = resolved.length > 0;
  historyEmpty.textContent = filtered
    ? "No resolved incidents match the filters."
    : `No resolved incidents in the last ${HISTORY_DAYS} days.`;

  const total = snap.open.length + history.filter((i) => i.ended_at !== null).length;
  const shown = open.length + resolved.length;
  byId("filter-status").textContent = filtered ? `Showing ${shown} of ${plural(total, "incident", "incidents")}` : "";
  restoreFocus(focus);
}

function render(): void {
  if (!snap) return;
  renderHeader(snap);
  renderMonitors(snap);
  syncFilterOptions(snap.monitors, [...snap.open, ...history]);
  renderIncidents();
}

async function load(): Promise<void> {
  const since = new Date(Date.now() - HISTORY_DAYS * 86_400_000).toISOString();
  try {
    const [s, all] = await Promise.all([
      api.snapshot(),
      api.incidents({ open_only: false, since, limit: HISTORY_LIMIT }),
    ]);
    snap = s;
    history = all;
    clearError("load");
    render();
  } catch (e) {
    showError("load", `Could not load incidents: ${api.errorMessage(e)}`);
    byId("overall-detail").textContent = "Status unavailable";
  }
}

const refresh = coalesced(load);

/** Brings an incident into view and focus; false when the window does not have it. */
function focusIncident(id: number): boolean {
  let item = document.getElementById(`incident-${id}`);
  if (!item) {
    // The incident may be hidden by a filter: someone asked for it, so show it.
    byId<HTMLFormElement>("filters").reset();
    renderIncidents(true);
    item = document.getElementById(`incident-${id}`);
  }
  if (!item) return false;
  item.scrollIntoView({ block: "center" });
  item.focus();
  return true;
}

function incidentOf(target: EventTarget | null): { id: number; item: HTMLElement } | null {
  if (!(target instanceof Element)) return null;
  const item = target.closest<HTMLElement>("li.incident");
  const id = Number(item?.dataset.incidentId);
  return item && Number.isInteger(id) ? { id, item } : null;
}

function setFormOpen(id: number, open: boolean): void {
  viewOf(id).formOpen = open;
  renderIncidents(true);
  const item = document.getElementById(`incident-${id}`);
  item?.querySelector<HTMLElement>(open ? "textarea[name=note]" : ".ack-button")?.focus();
}

async function submitAck(id: number): Promise<void> {
  const view = viewOf(id);
  view.busy = true;
  renderIncidents(true);
  try {
    const incident = await api.acknowledge(id, view.draft.trim() || null);
    views.set(id, freshView());
    clearError(`ack-${id}`);
    // Show the result now; the engine's event will bring the rest of the state.
    if (snap) snap.open = snap.open.map((i) => (i.id === id ? incident : i));
    history = history.map((i) => (i.id === id ? incident : i));
  } catch (e) {
    view.busy = false;
    showError(`ack-${id}`, `Could not acknowledge incident ${id}: ${api.errorMessage(e)}`);
  }
  renderIncidents(true);
  document.getElementById(`incident-${id}`)?.focus();
}

function wire(): void {
  document.addEventListener("click", (event) => {
    const target = event.target as Element | null;
    // A link to another incident (a likely cause) stays in the window, even past a filter.
    const inApp = target?.closest?.<HTMLAnchorElement>("a[data-incident-link]");
    if (inApp) {
      event.preventDefault();
      const id = Number(inApp.dataset.incidentLink);
      if (!focusIncident(id)) {
        showError("cause", `Incident ${id} is not in this window's history (the last ${HISTORY_DAYS} days).`);
      }
      return;
    }
    const link = target?.closest?.<HTMLAnchorElement>("a[href]");
    if (link && /^https:/.test(link.href)) {
      event.preventDefault();
      api.openExternal(link.href).catch((e) => showError("link", `Could not open ${link.href}: ${api.errorMessage(e)}`));
      return;
    }
    const incident = incidentOf(target);
    if (!incident) return;
    if (target?.closest(".details-button")) {
      api
        .openIncidentDetail(incident.id)
        .then(() => clearError(`details-${incident.id}`))
        .catch((e) =>
          showError(`details-${incident.id}`, `Could not open incident ${incident.id}: ${api.errorMessage(e)}`),
        );
    } else if (target?.closest(".ack-button")) setFormOpen(incident.id, true);
    else if (target?.closest(".ack-cancel")) setFormOpen(incident.id, false);
    else if (target?.closest(".vendor-updates > summary")) {
      // The click comes before the element toggles (and keyboard activation is a
      // click too): remember the user's choice so re-renders keep it.
      const details = target.closest<HTMLDetailsElement>("details");
      if (details) viewOf(incident.id).updatesOpen = !details.open;
    }
  });

  document.addEventListener("submit", (event) => {
    const incident = incidentOf(event.target);
    if (!incident) return;
    event.preventDefault();
    void submitAck(incident.id);
  });

  document.addEventListener("input", (event) => {
    const incident = incidentOf(event.target);
    if (incident && event.target instanceof HTMLTextAreaElement) viewOf(incident.id).draft = event.target.value;
  });

  document.addEventListener("keydown", (event) => {
    const incident = incidentOf(event.target);
    if (event.key === "Escape" && incident && (event.target as Element).closest(".ack-form")) {
      setFormOpen(incident.id, false);
    }
  });


  byId("filters").addEventListener("change", () => renderIncidents());
  byId("filters").addEventListener("submit", (event) => event.preventDefault());

  const checkButton = byId<HTMLButtonElement>("check-now");
  checkButton.addEventListener("click", () => {
    checkButton.disabled = true;
    checkButton.textContent = "Checking…";
    api
      .checkNow()
      .then((s) => {
        clearError("check");
        snap = s;
        render();
      })
      .catch((e) => showError("check", `Check failed: ${api.errorMessage(e)}`))
      .finally(() => {
        checkButton.disabled = false;
        checkButton.textContent = "Check now";
      });
  });

  const ackAll = byId<HTMLButtonElement>("ack-all");
  ackAll.addEventListener("click", () => {
    ackAll.disabled = true;
    api
      .acknowledgeAll()
      .then(() => clearError("ack-all"))
      .catch((e) => showError("ack-all", `Could not acknowledge all: ${api.errorMessage(e)}`))
      .finally(refresh);
  });
}

async function start(): Promise<void> {
  wire();
  wireReport();
  // Listen before the first read so that nothing that happens in between is missed.
  await Promise.all([
    api.onEngineEvent(() => refresh()),
    api.onFocusIncident((id) => focusIncident(id)),
  ]).catch((e) => showError("events", `Live updates are unavailable: ${api.errorMessage(e)}`));
  await load();
  const wanted = /^#incident-(\d+)$/.exec(location.hash);
  if (wanted?.[1]) focusIncident(Number(wanted[1]));
  setInterval(() => tick(document, Date.now()), 1000);
}

void start().catch((e) => showError("start", `The window failed to start: ${api.errorMessage(e)}`));
