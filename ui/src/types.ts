// Mirrors of the engine's serialised types (src/health.rs, src/incident.rs,
// src/engine/mod.rs). Times are RFC 3339 strings in UTC; Rust's Option is null.

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
  /** How long a total silence would take to be alarmed; null while learning or when
   * nothing is expected. */
  silence_alert_after_secs: number | null;
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
  kind: "not_started" | "not_found" | "stopped" | "engine" | (string & {});
  message: string;
}
