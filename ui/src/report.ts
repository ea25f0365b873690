// The timeline's report form: saves `flatline export` for a span of local days into
// the Downloads folder, says where the file went and can show it in its folder.

import * as api from "./api";
import { byId } from "./dom";
import type { ReportFormat } from "./types";

/** "2026-11-23" for a local date: what a date input holds. */
function dateValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight at the start of a date input's day, `days` later, as an instant. */
function localMidnight(value: string, days = 0): Date {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y ?? NaN, (m ?? NaN) - 1, (d ?? NaN) + days);
}

export function wireReport(): void {
  const form = byId<HTMLFormElement>("report-form");
  const since = byId<HTMLInputElement>("report-since");
  const until = byId<HTMLInputElement>("report-until");
  const format = byId<HTMLSelectElement>("report-format");
  const save = byId<HTMLButtonElement>("report-save");
  const status = byId("report-status");
  const show = byId<HTMLButtonElement>("report-show");
  const today = new Date();
  // This month so far: the span a monthly reconciliation asks for.
  since.value = dateValue(new Date(today.getFullYear(), today.getMonth(), 1));
  until.value = dateValue(today);
  let savedPath: string | null = null;

  const say = (text: string, failed: boolean) => {
    status.textContent = text;
    status.dataset.state = failed ? "error" : "saved";
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const from = localMidnight(since.value);
    // The "to" day is included: the report runs to the next local midnight.
    const to = localMidnight(until.value, 1);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
      say("Choose both dates.", true);
      return;
    }
    if (from >= to) {
      say("The report must start on or before its last day.", true);
      return;
    }
    save.disabled = true;
    show.hidden = true;
    say("Saving…", false);
    api
      .exportReport(format.value as ReportFormat, from.toISOString(), to.toISOString())
      .then((saved) => {
        savedPath = saved.path;
        say(`Saved to ${saved.path}`, false);
        show.hidden = false;
      })
      .catch((e) => say(`Could not save the report: ${api.errorMessage(e)}`, true))
      .finally(() => {
        save.disabled = false;
      });
  });

  show.addEventListener("click", () => {
    if (savedPath === null) return;
    api.showInFolder(savedPath).catch((e) => say(`Could not show the folder: ${api.errorMessage(e)}`, true));
  });
}
