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
export type IncidentKind = "vendor_status" | "probe_failure" | (string & {});

export const KIND_LABEL: Record<string, string> = {
  vendor_status: "Vendor status",
  probe_failure: "Probe failure",
};

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
