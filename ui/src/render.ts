// Markup for incidents and monitors. Pure functions of the data and the window's
// own view state (open forms, drafts); interaction is wired once in main.ts by
// delegation, so re-rendering never loses a handler.

import { h, isWebUrl, linkified, time } from "./dom";
import { ago, capitalise, dayHeading, dayKey, duration, fullTime, shortTime } from "./format";
import { HEALTH_LABEL, KIND_LABEL, type Health, type Incident, type MonitorStatus } from "./types";
import { impactLine } from "./impact";
import { checklist, eventDrops, likelyCause, volumeStreams } from "./volume";

/** What the window remembers about one incident between renders. */
export interface IncidentView {
  formOpen: boolean;
  draft: string;
  /** Whether the vendor's updates are expanded; null until the user chooses. */
  updatesOpen: boolean | null;
  busy: boolean;
}

export const freshView = (): IncidentView => ({ formOpen: false, draft: "", updatesOpen: null, busy: false });

export function healthLabel(health: Health): string {
  return capitalise(HEALTH_LABEL[health] ?? health);
}

export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? capitalise(kind.replaceAll("_", " "));
}

export function badge(health: Health): HTMLElement {
  return h("span", { class: "badge", text: healthLabel(health), attrs: { "data-severity": health } });
}

function meta(rows: [string, Node | string][]): HTMLDListElement {
  const list = h("dl", { class: "meta" });
  for (const [term, value] of rows) {
    list.append(h("div", {}, h("dt", { text: term }), h("dd", {}, value)));
  }
  return list;
}

/** How long an incident has lasted, and the start to count on from while it still runs. */
export interface Clock {
  label: string;
  text: string;
  /** Set while the clock runs, for `tick`. */
  runningFrom: string | null;
}

/** Until the incident's end, or while it is open, until the engine says it stopped. */
export function incidentClock(incident: Incident, now: number): Clock {
  const start = Date.parse(incident.started_at);
  if (incident.ended_at !== null) {
    return { label: "Lasted", text: duration(Date.parse(incident.ended_at) - start), runningFrom: null };
  }
  if (incident.counted_until !== null) {
    return { label: "Was down for", text: duration(Date.parse(incident.counted_until) - start), runningFrom: null };
  }
  return { label: "Open for", text: duration(now - start), runningFrom: incident.started_at };
}

function vendorUpdates(incident: Incident, view: IncidentView): HTMLElement | null {
  if (incident.updates.length === 0) return null;
  const count = incident.updates.length;
  // While an incident is open, what the vendor says is the news: shown unless folded.
  const expanded = view.updatesOpen ?? incident.ended_at === null;
  return h(
    "details",
    { class: "vendor-updates", attrs: { open: expanded } },
    h("summary", {
      text: `Vendor updates (${count})`,
      attrs: { "data-focus-key": "updates" },
    }),
    h(
      "ol",
      {},
      ...incident.updates.map((u) =>
        h(
          "li",
          { class: "vendor-update" },
          h(
            "p",
            { class: "vendor-update-meta" },
            h("strong", { class: "vendor-update-status", text: capitalise(u.status.replaceAll("_", " ")) }),
            " · ",
            time(u.at),
          ),
          h("p", { class: "vendor-update-body" }, ...linkified(u.body)),
        ),
      ),
    ),
  );
}

/** Who acknowledged and why, or the button and form to acknowledge with a note. */
export function acknowledgement(incident: Incident, view: IncidentView): HTMLElement {
  const ack = incident.acknowledgement;
  if (ack) {
    const text = `Acknowledged by ${ack.by} at ${shortTime(ack.at)}${ack.note ? `: ${ack.note}` : ""}`;
    return h("div", { class: "ack" }, h("p", { class: "ack-info", text, attrs: { title: fullTime(ack.at) } }));
  }
  const formId = `ack-form-${incident.id}`;
  const noteId = `ack-note-${incident.id}`;
  const note = h("textarea", {
    attrs: { id: noteId, name: "note", rows: 2, maxlength: 2000, "data-focus-key": "note", disabled: view.busy },
  });
  note.value = view.draft;
  return h(
    "div",
    { class: "ack" },
    h("button", {
      class: "ack-button secondary",
      text: "Acknowledge…",
      attrs: {
        type: "button",
        "aria-expanded": String(view.formOpen),
        "aria-controls": formId,
        hidden: view.formOpen,
        "data-focus-key": "ack-button",
      },
    }),
    h(
      "form",
      { class: "ack-form", attrs: { id: formId, hidden: !view.formOpen, "aria-busy": view.busy } },
      h("label", { text: "Note (optional)", attrs: { for: noteId } }),
      note,
      h(
        "div",
        { class: "form-actions" },
        h("button", {
          text: view.busy ? "Acknowledging…" : "Acknowledge",
          attrs: { type: "submit", disabled: view.busy, "data-focus-key": "ack-submit" },
        }),
        h("button", {
          class: "ack-cancel secondary",
          text: "Cancel",
          attrs: { type: "button", disabled: view.busy, "data-focus-key": "ack-cancel" },
        }),
      ),
    ),
  );
}

function vendorLink(url: string): HTMLElement {
  // Only https leaves the app (in the system browser); any other address stays text.
  const target = isWebUrl(url)
    ? h("a", { text: "Open the vendor's incident page", attrs: { href: url, rel: "noreferrer", "data-focus-key": "link" } })
    : h("span", { text: `Vendor's incident page: ${url}` });
  return h("p", { class: "incident-link" }, target);
}

/** A status incident's affected components; a volume incident's components are its
 * event types, already in its table of drops. */
export function componentList(incident: Incident): HTMLElement | null {
  if (incident.components.length === 0 || incident.drops.length > 0) return null;
  return h(
    "ul",
    { class: "components", attrs: { "aria-label": "Affected components" } },
    ...incident.components.map((c) => h("li", { class: "component", text: c })),
  );
}

export function incidentItem(incident: Incident, view: IncidentView, now: number): HTMLLIElement {
  const open = incident.ended_at === null;
  const clock = incidentClock(incident, now);
  const titleId = `incident-${incident.id}-title`;
  const metaRows: [string, Node | string][] = [
    ["Monitor", incident.monitor_name],
    ["Started", time(incident.started_at)],
    ["Detected", time(incident.detected_at)],
  ];
  if (incident.ended_at) metaRows.push(["Ended", time(incident.ended_at)]);

  return h(
    "li",
    {
      class: "incident",
      attrs: {
        id: `incident-${incident.id}`,
        tabindex: -1,
        "aria-labelledby": titleId,
        "data-incident-id": incident.id,
        "data-monitor-id": incident.monitor_id,
        "data-kind": incident.kind,
        "data-acknowledged": String(incident.acknowledgement !== null),
        "data-severity": incident.severity,
        "data-open": String(open),
      },
    },
    h(
      "div",
      { class: "incident-head" },
      badge(incident.severity),
      h("span", { class: "kind-tag", text: kindLabel(incident.kind), attrs: { "data-kind": incident.kind } }),
      h("h3", { class: "incident-title", text: incident.title, attrs: { id: titleId } }),
      h(
        "p",
        { class: "incident-clock" },
        h("span", { class: "muted", text: `${clock.label} ` }),
        h("span", {
          class: "incident-duration",
          text: clock.text,
          attrs: { "data-started-at": clock.runningFrom },
        }),
      ),
      h("button", {
        class: "details-button secondary",
        text: "Details",
        attrs: {
          type: "button",
          "aria-describedby": titleId,
          "data-focus-key": "details",
          title: "Chart, impact and linked incidents in a window of their own",
        },
      }),
    ),
    h("p", { class: "incident-summary", text: incident.summary }),
    impactLine(incident),
    incident.cause !== null && likelyCause(incident.cause),
    meta(metaRows),
    eventDrops(incident),
    checklist(incident),
    componentList(incident),
    vendorUpdates(incident, view),
    incident.url !== null && vendorLink(incident.url),
    acknowledgement(incident, view),
  );
}

/** Resolved incidents under one heading per local day they started, newest first. */
export function historyGroups(
  incidents: Incident[],
  views: (id: number) => IncidentView,
  now: number,
): HTMLElement[] {
  const days = new Map<string, Incident[]>();
  const newestFirst = [...incidents].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  for (const incident of newestFirst) {
    const key = dayKey(incident.started_at);
    days.set(key, [...(days.get(key) ?? []), incident]);
  }
  return [...days].map(([key, items]) => {
    const headingId = `day-${key}`;
    return h(
      "section",
      { class: "day", attrs: { "aria-labelledby": headingId } },
      h("h3", { class: "day-heading", text: dayHeading(key), attrs: { id: headingId } }),
      h("ul", { class: "incidents" }, ...items.map((i) => incidentItem(i, views(i.id), now))),
    );
  });
}

export function monitorItem(monitor: MonitorStatus, now: number): HTMLLIElement {
  const lastCheck = monitor.last_check
    ? h("time", {
        text: ago(monitor.last_check, now),
        attrs: { datetime: monitor.last_check, title: fullTime(monitor.last_check), "data-relative": "" },
      })
    : "never";
  return h(
    "li",
    { class: "monitor", attrs: { "data-monitor-id": monitor.id, "data-state": monitor.state } },
    h(
      "div",
      { class: "monitor-head" },
      h("span", { class: "monitor-name", text: monitor.name }),
      monitor.paused
        ? h("span", { class: "badge", text: "Paused", attrs: { "data-severity": "paused" } })
        : h("span", {
            class: "badge monitor-state",
            text: healthLabel(monitor.state),
            attrs: { "data-severity": monitor.state },
          }),
    ),
    h("p", { class: "monitor-summary", text: monitor.summary }),
    monitor.volume !== null && volumeStreams(monitor.volume),
    meta([
      ["Last check", lastCheck],
      ["Latency", monitor.latency_ms === null ? "—" : `${monitor.latency_ms} ms`],
    ]),
    monitor.error !== null && h("p", { class: "monitor-error", text: `Last error: ${monitor.error}` }),
  );
}

/** Brings the live parts up to date without re-rendering: called every second. */
export function tick(root: ParentNode, now: number): void {
  for (const node of root.querySelectorAll<HTMLElement>(".incident-duration[data-started-at]")) {
    node.textContent = duration(now - Date.parse(node.dataset.startedAt ?? ""));
  }
  for (const node of root.querySelectorAll<HTMLTimeElement>("time[data-relative]")) {
    node.textContent = ago(node.dateTime, now);
  }
}
