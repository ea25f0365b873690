// The revenue impact of one incident: the engine's estimate, large, with its model
// and inputs beside it exactly as the engine words them, and its breakdown. A missing
// input is said in words: an estimate that cannot be made is never shown as $0.

import { h } from "./dom";
import { capitalise, count, money, percent, zonedTime } from "./format";
import type { Estimate, EventImpact, HourImpact, ImpactTotals, Incident, PeriodTotal } from "./types";
import { eventName } from "./volume";

const MODEL_LABEL: Record<string, string> = {
  hourly_rate: "Hourly rate model",
  conversion_value: "Conversion value model",
};

/** The separator between the figure and its inputs in the engine's summary line. */
const SUMMARY_SEPARATOR = " · ";

/**
 * The engine's one line, split into the figure ("est. $1,240") and what it is made
 * of ("1.6 h × $800/h × 97% of funnel"). A line without the usual shape is kept
 * whole as the inputs, and the figure is written from the amount.
 */
export function splitSummary(estimate: Estimate & { amount: number }): [figure: string, inputs: string] {
  const at = estimate.summary.indexOf(SUMMARY_SEPARATOR);
  const head = at < 0 ? estimate.summary : estimate.summary.slice(0, at);
  if (head.startsWith("est. ")) {
    return [head, at < 0 ? "" : estimate.summary.slice(at + SUMMARY_SEPARATOR.length)];
  }
  return [`est. ${money(estimate.amount, estimate.currency)}`, estimate.summary];
}

function amountCell(amount: number | null, currency: string): HTMLTableCellElement {
  if (amount === null) {
    return h("td", { class: "num unknown", text: "not known" });
  }
  return h("td", { class: "num", text: money(amount, currency) });
}

function headRow(columns: [string, string?][]): HTMLTableSectionElement {
  return h("thead", {}, h("tr", {}, ...columns.map(([text, cls]) => h("th", { class: cls, text, attrs: { scope: "col" } }))));
}

function byEventTable(rows: EventImpact[], estimate: Estimate): HTMLElement {
  const currency = estimate.currency;
  // Values per conversion matter to the conversion value model, or wherever one is set.
  const values = estimate.model.kind === "conversion_value" || rows.some((r) => r.value !== null);
  const columns: [string, string?][] = [["Event"], ["Expected", "num"], ["Observed", "num"], ["Missing", "num"]];
  if (values) columns.push(["Value each", "num"]);
  columns.push(["Impact", "num"]);
  return h(
    "table",
    { class: "impact-breakdown", attrs: { "data-breakdown": "by_event" } },
    h("caption", { text: "By event type" }),
    headRow(columns),
    h(
      "tbody",
      {},
      ...rows.map((r) =>
        h(
          "tr",
          { attrs: { "data-event": r.event } },
          h("th", { text: eventName(r.event), attrs: { scope: "row" } }),
          h("td", { class: "num", text: count(r.expected) }),
          h("td", { class: "num", text: count(r.observed) }),
          h("td", { class: "num", text: count(r.missing) }),
          values &&
            (r.value === null
              ? h("td", { class: "num unknown", text: "not set" })
              : h("td", { class: "num", text: money(r.value, currency) })),
          amountCell(r.amount, currency),
        ),
      ),
    ),
  );
}

/** Where expected counts were corrected by what flowed on the days before, and how far. */
function calibrationNote(rows: EventImpact[]): HTMLElement | null {
  const corrected = rows.filter((r) => r.calibration != null && Math.abs(r.calibration - 1) >= 0.005);
  if (corrected.length === 0) return null;
  const factors = corrected.map((r) => `${eventName(r.event)} ×${(r.calibration ?? 1).toFixed(2)}`).join(", ");
  return h("p", {
    class: "muted impact-calibration",
    text: `Expected counts are the detector's, scaled by how much each event type carried against it over the week before: ${factors}.`,
  });
}

function byHourTable(rows: HourImpact[], currency: string): HTMLElement {
  const anyMissing = rows.some((r) => r.missing !== null);
  const columns: [string, string?][] = [["Hour"], ["In the incident", "num"]];
  if (anyMissing) columns.push(["Missing", "num"]);
  columns.push(["Impact", "num"]);
  return h(
    "table",
    { class: "impact-breakdown", attrs: { "data-breakdown": "by_hour" } },
    h("caption", { text: "By hour" }),
    headRow(columns),
    h(
      "tbody",
      {},
      ...rows.map((r) =>
        h(
          "tr",
          { attrs: { "data-start": r.start } },
          h("th", { attrs: { scope: "row" } }, h("time", { text: zonedTime(r.start), attrs: { datetime: r.start } })),
          h("td", { class: "num", text: percent(r.hours) }),
          anyMissing && h("td", { class: "num", text: r.missing === null ? "—" : count(r.missing) }),
          amountCell(r.amount, currency),
        ),
      ),
    ),
  );
}

function missingInputs(inputs: string[], lead: string): HTMLElement | null {
  if (inputs.length === 0) return null;
  return h(
    "div",
    { class: "missing-inputs" },
    h("p", { text: lead }),
    h("ul", {}, ...inputs.map((input) => h("li", { text: input }))),
  );
}

/** The figure, its model and inputs, whether it still grows, and the breakdown. */
export function impactBody(incident: Incident): HTMLElement[] {
  const estimate = incident.impact ?? null;
  if (estimate === null) {
    return [
      h("p", { class: "impact-figure", text: "No estimate yet", attrs: { id: "impact-figure", "data-impact": "none" } }),
      h("p", {
        class: "muted",
        text: "Flatline has not estimated this incident's revenue impact yet; it appears here when it has.",
      }),
    ];
  }

  const model = MODEL_LABEL[estimate.model.kind] ?? estimate.model.kind.replaceAll("_", " ");
  const state = h("span", {
    class: "impact-state",
    text: estimate.is_final ? "Final" : "Growing while open",
    attrs: { "data-final": String(estimate.is_final) },
  });
  const asOf = h("span", { class: "muted", text: `as of ${zonedTime(estimate.computed_at, true)}` });
  const meta = h("p", { class: "impact-meta" }, h("span", { class: "impact-model", text: model }), " · ", state, " · ", asOf);

  const breakdown =
    estimate.by_event.length > 0
      ? byEventTable(estimate.by_event, estimate)
      : estimate.by_hour.length > 0
        ? byHourTable(estimate.by_hour, estimate.currency)
        : null;
  const table = breakdown && h("div", { class: "table-scroll" }, breakdown);

  if (estimate.amount === null) {
    // The engine's line says why in a sentence: "no estimate: no conversion counts…".
    const sentence = estimate.summary !== "" ? capitalise(estimate.summary) : "No estimate: an input is missing";
    const anyAmount =
      estimate.by_event.some((r) => r.amount !== null) || estimate.by_hour.some((r) => r.amount !== null);
    return [
      h("p", {
        class: "impact-figure missing",
        text: sentence,
        attrs: { id: "impact-figure", "data-impact": "missing" },
      }),
      meta,
      missingInputs(estimate.missing_inputs, "To estimate it, Flatline needs:"),
      anyAmount && table,
      anyAmount && calibrationNote(estimate.by_event),
    ].filter((n): n is HTMLElement => n instanceof HTMLElement);
  }

  const [figure, inputs] = splitSummary({ ...estimate, amount: estimate.amount });
  return [
    h(
      "div",
      { class: "impact-line" },
      h("p", {
        class: "impact-figure",
        text: figure,
        attrs: { id: "impact-figure", "data-impact": "estimate", title: estimate.summary },
      }),
      inputs !== "" && h("p", { class: "impact-inputs", text: inputs }),
    ),
    meta,
    missingInputs(estimate.missing_inputs, "The estimate makes do without:"),
    table,
    calibrationNote(estimate.by_event),
  ].filter((n): n is HTMLElement => n instanceof HTMLElement);
}

/**
 * The estimate in one line for the timeline: the figure with its inputs, or the
 * sentence saying what is missing; nothing before the engine has estimated.
 */
export function impactLine(incident: Incident): HTMLElement | null {
  const estimate = incident.impact ?? null;
  if (estimate === null) return null;
  if (estimate.amount === null) {
    return h("p", {
      class: "incident-impact missing",
      text: capitalise(estimate.summary || "no estimate: an input is missing"),
      attrs: { "data-impact": "missing" },
    });
  }
  const [figure, inputs] = splitSummary({ ...estimate, amount: estimate.amount });
  return h(
    "p",
    {
      class: "incident-impact",
      attrs: { "data-impact": "estimate", "data-final": String(estimate.is_final) },
    },
    h("strong", { class: "incident-impact-figure", text: figure }),
    inputs !== "" && ` · ${inputs}`,
    !estimate.is_final && h("span", { class: "muted", text: " · growing while open" }),
  );
}

/** "$1,240" or "$1,240 + €200"; null when no incident in the period has a figure. */
function periodAmount(total: PeriodTotal | null): string | null {
  if (total === null) return null;
  const parts = Object.entries(total.amounts).map(([currency, amount]) => money(amount, currency));
  return parts.length > 0 ? parts.join(" + ") : null;
}

/** "Estimated impact: today $640 · this week $2,100 · this month $5,300", or null. */
export function totalsText(totals: ImpactTotals): string | null {
  const parts = (
    [
      ["today", totals.today],
      ["this week", totals.this_week],
      ["this month", totals.this_month],
    ] as const
  )
    .map(([name, total]) => {
      const amount = periodAmount(total);
      return amount === null ? null : `${name} ${amount}`;
    })
    .filter((p): p is string => p !== null);
  return parts.length > 0 ? `Estimated impact: ${parts.join(" · ")}` : null;
}
