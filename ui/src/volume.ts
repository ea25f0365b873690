// Volume incidents and volume monitors: which event types fell, by how much, what
// likely caused it, what to check when no vendor admits to anything, and how soon a
// silence would be noticed at all. Event names are the shop's own text: text nodes only.

import { h, time } from "./dom";
import { count, roughDuration, shortTime } from "./format";
import { ALL_EVENTS, type Cause, type EventDrop, type Incident, type StreamStatus, type VolumeStatus } from "./types";

const DROP_KIND: Record<string, string> = {
  silence: "Silence",
  drop: "Drop",
  funnel_break: "Funnel break",
};

/** How a stream stands, for the ones that need a word beside their name. */
const STREAM_STATE: Record<string, string> = {
  silence: "silent",
  drop: "dropped",
  funnel_break: "funnel break",
};

/** An event type as people read it; the pooled stream is "All events". */
export function eventName(event: string): string {
  return event === ALL_EVENTS ? "All events" : event;
}

function label(table: Record<string, string>, key: string): string {
  return table[key] ?? key.replaceAll("_", " ");
}

/** Expected events that did not arrive; a surge is not negative loss. */
function missing(drop: EventDrop): number {
  return Math.max(0, drop.expected - drop.observed);
}

function numberCell(n: number): HTMLTableCellElement {
  return h("td", { class: "num", text: count(n) });
}

/** Since when a drop lasts, or lasted; while it is open, whether the events flow again. */
function whenCell(d: EventDrop): HTMLTableCellElement {
  if (d.end !== null) return h("td", {}, time(d.start), " – ", time(d.end));
  if (d.back_since === null) return h("td", {}, "since ", time(d.start));
  return h("td", {}, "since ", time(d.start), "; flowing again since ", time(d.back_since));
}

/** One row per affected event type: how it fell, since when, and by how much. */
export function eventDrops(incident: Incident): HTMLElement | null {
  if (incident.drops.length === 0) return null;
  const head: [string, string?][] = [
    ["Event"],
    ["What happened"],
    ["When"],
    ["Expected", "num"],
    ["Observed", "num"],
    ["Missing", "num"],
  ];
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "event-drops" },
      h("caption", { text: "Affected events (sums over each drop)" }),
      h("thead", {}, h("tr", {}, ...head.map(([text, cls]) => h("th", { class: cls, text, attrs: { scope: "col" } })))),
      h(
        "tbody",
        {},
        ...incident.drops.map((d) =>
          h(
            "tr",
            {
              class: "event-drop",
              attrs: { "data-event": d.event, "data-kind": d.kind, "data-open": String(d.end === null) },
            },
            h("th", { text: eventName(d.event), attrs: { scope: "row" } }),
            h("td", { text: label(DROP_KIND, d.kind) }),
            whenCell(d),
            numberCell(d.expected),
            numberCell(d.observed),
            numberCell(missing(d)),
          ),
        ),
      ),
    ),
  );
}

/** The upstream incident that most likely explains the drop, linked within the window. */
export function likelyCause(cause: Cause): HTMLElement {
  return h(
    "p",
    { class: "likely-cause" },
    h("span", { class: "likely-cause-label", text: "Likely cause: " }),
    h("a", {
      text: cause.title,
      attrs: {
        href: `#incident-${cause.incident_id}`,
        "data-incident-link": cause.incident_id,
        "data-focus-key": "cause",
      },
    }),
  );
}

/** For silent outages: what usually explains a drop no status page admits to. */
export function checklist(incident: Incident): HTMLElement | null {
  if (incident.checklist.length === 0) return null;
  const headingId = `incident-${incident.id}-checklist`;
  return h(
    "section",
    { class: "checklist", attrs: { "aria-labelledby": headingId } },
    h("h4", { text: "Every upstream status page is green. Check:", attrs: { id: headingId } }),
    h("ul", {}, ...incident.checklist.map((item) => h("li", { text: item }))),
  );
}

function bucketName(stepSecs: number): string {
  if (stepSecs === 60) return "minute";
  if (stepSecs === 3600) return "hour";
  if (stepSecs === 86_400) return "day";
  return `${roughDuration(stepSecs)} bucket`;
}

/** What a stream's second line says: its alarm word (and whether it flows again), or
 * how long a silence would go unnoticed. */
function streamNote(s: StreamStatus): HTMLElement | null {
  const alarm = STREAM_STATE[s.state];
  if (alarm) {
    const text =
      s.back_for_secs === null
        ? alarm
        : `${alarm}; flowing again for ${roughDuration(s.back_for_secs)}, confirming`;
    return h("span", { class: "stream-alarm", text });
  }
  if (s.state === "learning") {
    // Learning again after months of watching needs saying why, or it reads as a fault.
    const lead = !s.relearning
      ? "still learning"
      : s.too_sparse
        ? "learning again, by the hour: fewer events than buckets; hourly buckets find its drops sooner"
        : "learning again: for days it ran far above what had been learnt";
    const secs = s.silence_alert_after_secs;
    if (!s.relearning && secs === null) return null;
    const text = secs === null ? lead : `${lead}; a total silence would already be alarmed after ${roughDuration(secs)}`;
    return h("span", { class: "silence-note", text });
  }
  return h("span", {
    class: "silence-note",
    text:
      s.silence_alert_after_secs === null
        ? "nothing expected now: a silence would go unnoticed"
        : `a total silence would be alarmed after ${roughDuration(s.silence_alert_after_secs)}`,
  });
}

/** Per event type, the latest complete bucket: observed against expected. */
export function volumeStreams(volume: VolumeStatus): HTMLElement | null {
  if (volume.streams.length === 0) return null;
  const unit = bucketName(volume.step_secs);
  const caption = volume.bucket_start
    ? `Latest complete ${unit}, from ${shortTime(volume.bucket_start)}`
    : `Latest complete ${unit}`;
  return h(
    "table",
    { class: "volume-streams" },
    h("caption", { text: caption }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { text: "Event", attrs: { scope: "col" } }),
        h("th", { class: "num", text: "Observed", attrs: { scope: "col" } }),
        h("th", { class: "num", text: "Expected", attrs: { scope: "col" } }),
      ),
    ),
    h(
      "tbody",
      {},
      ...volume.streams.map((s) =>
        h(
          "tr",
          { class: "volume-stream", attrs: { "data-event": s.event, "data-state": s.state } },
          h(
            "th",
            { attrs: { scope: "row" } },
            h("span", { class: "stream-name", text: eventName(s.event) }),
            streamNote(s),
          ),
          numberCell(s.observed),
          s.state === "learning"
            ? h("td", { class: "num learning", text: `learning (${Math.round(s.learned * 100)}%)` })
            : numberCell(s.expected),
        ),
      ),
    ),
  );
}
