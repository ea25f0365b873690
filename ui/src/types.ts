// Mirrors of the engine's serialised types (src/health.rs, src/incident.rs,
// src/engine/mod.rs, src/engine/detail.rs, src/impact/model.rs). Times are RFC 3339
// strings in UTC unless said otherwise; Rust's Option is null.

/** The one state scale (src/health.rs), worst last. */
export type Health =
  | "operational"
  | "maintenance"
  | "degraded"
  | "partial_outage"
  | "major_outage"
  | "unknown";

export const HEALTH_ORDER: readonly Health[] = [
  "operational",
  "maintenance",
  "degraded",
  "partial_outage",
  "major_outage",
  "unknown",
];

/** Words for people, as `Health::label()` says them. */
export const HEALTH_LABEL: Record<Health, string> = {
  operational: "operational",
  maintenance: "maintenance",
  degraded: "degraded",
  partial_outage: "partial outage",
  major_outage: "major outage",
  unknown: "unknown",
};

/** Known kinds; the engine may add more, so other strings are shown as they come. */
export type IncidentKind =
  | "vendor_status"
  | "probe_failure"
  | "volume_drop"
  | "silent_outage"
  | "canary"
  | (string & {});

export const KIND_LABEL: Record<string, string> = {
  vendor_status: "Vendor status",
  probe_failure: "Probe failure",
  volume_drop: "Volume drop",
  silent_outage: "Silent outage",
  canary: "Canary",
};

/** The event name that stands for all event types together (src/detect/mod.rs POOLED). */
export const ALL_EVENTS = "*";

/** How an event stream fell (src/detect/mod.rs `AlertKind`). */
export type AlertKind = "silence" | "drop" | "funnel_break" | (string & {});

/** One event type's part in a volume incident. */
export interface EventDrop {
  /** The event type, or ALL_EVENTS. Untrusted: the shop names its events. */
  event: string;
  kind: AlertKind;
  /** Estimated onset. */
  start: string;
  detected_at: string;
  end: string | null;
  /** Events expected and seen from `start` to `end` (or the latest bucket). */
  expected: number;
  observed: number;
  /** While open: since when the event type has flowed again, once the detector is
   * half way to calling the drop over; null otherwise. */
  back_since: string | null;
}

/** The upstream incident that most likely explains a volume drop. */
export interface Cause {
  incident_id: number;
  monitor_id: string;
  title: string;
}

export type TrayState = "ok" | "maintenance" | "unknown" | "degraded" | "down";

export interface IncidentUpdate {
  at: string;
  status: string;
  /** Plain text from the vendor: untrusted, always rendered as text. */
  body: string;
}

export interface Acknowledgement {
  by: string;
  at: string;
  note: string | null;
}

export interface Incident {
  id: number;
  monitor_id: string;
  monitor_name: string;
  kind: IncidentKind;
  severity: Health;
  title: string;
  summary: string;
  started_at: string;
  detected_at: string;
  ended_at: string | null;
  components: string[];
  url: string | null;
  /** Newest first. */
  updates: IncidentUpdate[];
  acknowledgement: Acknowledgement | null;
  /** Volume incidents: each affected event type's episode; empty otherwise. */
  drops: EventDrop[];
  cause: Cause | null;
  /** Silent outages: what to check, in plain words; empty otherwise. */
  checklist: string[];
  /** The revenue impact estimate; absent or null until the engine has made one. */
  impact?: Estimate | null;
  /**
   * Where the clock and the cost stopped: the end, or while open, once every drop still
   * open flows again, when the last came back; null while they run.
   */
  counted_until: string | null;
}

/** How an estimate is computed (src/impact/model.rs `ModelKind`). */
export type ImpactModelKind = "hourly_rate" | "conversion_value" | (string & {});

export interface SeverityWeights {
  degraded: number;
  partial_outage: number;
  major_outage: number;
}

/** The model and all its inputs, as the estimate was computed with them. */
export interface ImpactModel {
  kind: ImpactModelKind;
  /** ISO 4217 code. */
  currency: string;
  /** Per outage hour with the whole funnel affected. */
  hourly_rate: number;
  /** Share (0 to 1) of the missing conversions' value counted as lost. */
  attribution: number;
  severity_weights: SeverityWeights;
  /** Value of one conversion, per event type (the shop's own names). */
  conversion_values: Record<string, number>;
}

/** One event type's part in a volume incident's estimate. */
export interface EventImpact {
  event: string;
  expected: number;
  observed: number;
  missing: number;
  /** Value of one conversion; null when not configured. */
  value: number | null;
  amount: number | null;
  /** The factor `expected` carries over the detector's own expectation: how much the
   * event type carried against it on the days before; null where they did not say. */
  calibration?: number | null;
}

/** One clock hour (UTC) that the incident touches. */
export interface HourImpact {
  start: string;
  /** How much of the hour lies inside the incident (0 to 1). */
  hours: number;
  missing: number | null;
  amount: number | null;
  /** The amount split by event type (volume incidents only). */
  by_event: [string, number][];
}

export interface Estimate {
  /** null when an input is missing: never a made-up zero. */
  amount: number | null;
  currency: string;
  model: ImpactModel;
  /** One line for people: "est. $1,240 · 1.6 h × $800/h × 97% of funnel". */
  summary: string;
  /** What would make the estimate possible, or better; may be non-empty while
   * `amount` is set. */
  missing_inputs: string[];
  /** Length of the incident so far. */
  hours: number;
  /** Hourly-rate model: the average share of the funnel lost. */
  funnel_share: number | null;
  /** Volume incidents: conversions expected but not seen. */
  missing_conversions: number | null;
  by_event: EventImpact[];
  by_hour: HourImpact[];
  /** The incident has ended: the figure will not grow any more. */
  is_final: boolean;
  computed_at: string;
}

/** One event type's counts around an incident, one value per bucket of `starts`. */
export interface ChartSeries {
  /** The shop's own event name: untrusted text. */
  event: string;
  observed: (number | null)[];
  /** null where the detector was still learning. */
  expected: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
}

/** Counts per bucket around an incident (src/engine/detail.rs). Times in Unix seconds. */
export interface VolumeChart {
  monitor_id: string;
  monitor_name: string;
  step_secs: number;
  /** The stretch covered: the incident ±24 h, until now at most. */
  from: number;
  until: number;
  incident_start: number;
  incident_end: number | null;
  /** Bucket starts, shared by every series. */
  starts: number[];
  series: ChartSeries[];
}

/** One incident in full, for its detail window. */
export interface IncidentDetail {
  incident: Incident;
  /** The incident that most likely caused this one. */
  cause: Incident | null;
  /** Volume incidents this one is the likely cause of. */
  effects: Incident[];
  /** For volume incidents, and vendor incidents that caused one. */
  chart: VolumeChart | null;
}

export interface MonitorStatus {
  id: string;
  name: string;
  kind: string;
  state: Health;
  summary: string;
  error: string | null;
  error_kind: string | null;
  last_check: string | null;
  latency_ms: number | null;
  paused: boolean;
  /** Volume monitors only. */
  volume: VolumeStatus | null;
}

export type StreamState = "learning" | "ok" | "silence" | "drop" | "funnel_break" | (string & {});

/** One event stream's latest complete bucket. */
export interface StreamStatus {
  event: string;
  state: StreamState;
  expected: number;
  observed: number;
  /** While learning, the share of the two learning weeks seen (0 to 1). */
  learned: number;
  /** Learning again: for days the stream ran far above what it had learnt, and it
   * started over. */
  relearning: boolean;
  /** Learning again because it has fewer events than buckets: too sparse for
   * quarter-hour slots, it learns hourly ones (hourly buckets suit it better still). */
  too_sparse: boolean;
  /** How long a total silence would take to be alarmed; null while learning or when
   * nothing is expected. */
  silence_alert_after_secs: number | null;
  /** While the stream is alarmed: how long it has flowed again, once that is half way
   * to closing the episode; null otherwise. */
  back_for_secs: number | null;
}

export interface VolumeStatus {
  /** Start of the latest complete bucket judged. */
  bucket_start: string | null;
  step_secs: number;
  /** Event types in config order, ALL_EVENTS last. */
  streams: StreamStatus[];
}

export interface Snapshot {
  monitors: MonitorStatus[];
  /** Open incidents, newest first. */
  open: Incident[];
  tray: TrayState;
  unacknowledged: number;
  impact: ImpactTotals;
  /** Team channels, in config order. */
  channels: ChannelStatus[];
  /** Why desktop notifications are held now, if they are. */
  hold: Hold | null;
}

/** Desktop notifications held until a time: a snooze, or the config's quiet hours. */
export interface Hold {
  reason: "snoozed" | "quiet_hours";
  since: string;
  until: string;
}

/** A team channel (Slack, webhook) that hears of incidents. */
export interface ChannelStatus {
  id: string;
  kind: string;
  last_delivered_at: string | null;
  /** What stops posts now, or the last failed attempt's error. */
  error: string | null;
  /** Posts waiting to be sent again. */
  pending: number;
}

/** One local day, week or month: amounts per currency, never added across them. */
export interface PeriodTotal {
  start: string;
  label: string;
  amounts: Record<string, number>;
  incidents: number;
  without_estimate: number;
}

/** Running totals so far; null for a period no incident touched. */
export interface ImpactTotals {
  today: PeriodTotal | null;
  this_week: PeriodTotal | null;
  this_month: PeriodTotal | null;
}

export type ReportFormat = "md" | "csv" | "json";

export interface SavedReport {
  path: string;
}

export interface IncidentQuery {
  open_only: boolean;
  since?: string;
  limit?: number;
}

/** What the engine tells subscribers; forwarded as the payload of `ENGINE_EVENT`. */
export type EngineEvent =
  | { type: "incident_opened"; incident: Incident }
  | { type: "incident_updated"; incident: Incident }
  | { type: "incident_resolved"; incident: Incident }
  | { type: "acknowledged"; incident: Incident }
  | { type: "checked"; monitors: MonitorStatus[] }
  | { type: "store_changed" };

/** How every command fails (src-tauri/src/commands.rs `CommandError`). */
export interface CommandError {
  kind: "not_started" | "not_found" | "stopped" | "engine" | "storage" | "window" | (string & {});
  message: string;
}
