// The filter bar: monitor, kind and severity. Options come from the data the window
// has, so a monitor removed from the config still filters its old incidents.

import { byId, h } from "./dom";
import { healthLabel, kindLabel } from "./render";
import { HEALTH_ORDER, KIND_LABEL, type Incident, type MonitorStatus } from "./types";

export interface Filters {
  monitor: string;
  kind: string;
  severity: string;
}

const monitorSelect = () => byId<HTMLSelectElement>("filter-monitor");
const kindSelect = () => byId<HTMLSelectElement>("filter-kind");
const severitySelect = () => byId<HTMLSelectElement>("filter-severity");

export function readFilters(): Filters {
  return { monitor: monitorSelect().value, kind: kindSelect().value, severity: severitySelect().value };
}

export function matches(incident: Incident, f: Filters): boolean {
  return (
    (f.monitor === "" || incident.monitor_id === f.monitor) &&
    (f.kind === "" || incident.kind === f.kind) &&
    (f.severity === "" || incident.severity === f.severity)
  );
}

/** Replaces the options after the first ("All …"), keeping the current choice. */
function setOptions(select: HTMLSelectElement, options: [value: string, label: string][]): void {
  const current = select.value;
  const all = select.options[0];
  const wanted = JSON.stringify(options);
  if (select.dataset.options === wanted) return;
  select.dataset.options = wanted;
  select.replaceChildren(...(all ? [all] : []), ...options.map(([value, label]) => h("option", { text: label, attrs: { value } })));
  select.value = options.some(([value]) => value === current) ? current : "";
}

export function syncFilterOptions(monitors: MonitorStatus[], incidents: Incident[]): void {
  const names = new Map<string, string>();
  for (const m of monitors) names.set(m.id, m.name);
  for (const i of incidents) if (!names.has(i.monitor_id)) names.set(i.monitor_id, i.monitor_name);
  setOptions(
    monitorSelect(),
    [...names].sort((a, b) => a[1].localeCompare(b[1])),
  );

  const kinds = new Set([...Object.keys(KIND_LABEL), ...incidents.map((i) => i.kind)]);
  setOptions(kindSelect(), [...kinds].map((k) => [k, kindLabel(k)]));

  // Incidents are problems; "operational" would always filter to nothing.
  setOptions(
    severitySelect(),
    HEALTH_ORDER.filter((s) => s !== "operational").map((s) => [s, healthLabel(s)]),
  );
}
