// The window's only door to the engine: the shell's commands and the events it
// pushes. Names and payloads match src-tauri/src/commands.rs and events.rs.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { openUrl, revealItemInDir } from "@tauri-apps/plugin-opener";
import type { CommandError, EngineEvent, Incident, IncidentDetail, IncidentQuery, ReportFormat, SavedReport, Snapshot } from "./types";

/** Every engine event, payload `EngineEvent`. */
export const ENGINE_EVENT = "flatline://event";
/** The tray asks the window to bring one incident into view, payload its id. */
export const FOCUS_INCIDENT_EVENT = "flatline://focus-incident";

export function snapshot(): Promise<Snapshot> {
  return invoke<Snapshot>("snapshot");
}

export function incidents(query: IncidentQuery): Promise<Incident[]> {
  return invoke<Incident[]>("incidents", { ...query });
}

export function acknowledge(id: number, note: string | null): Promise<Incident> {
  return invoke<Incident>("acknowledge", { id, note });
}

export function acknowledgeAll(): Promise<Incident[]> {
  return invoke<Incident[]>("acknowledge_all", { note: null });
}

/** One incident in full: its estimate, likely cause, effects and volume chart. */
export function incidentDetail(id: number): Promise<IncidentDetail> {
  return invoke<IncidentDetail>("incident_detail", { id });
}

/** Opens (or brings to the front) the incident's own detail window. */
export function openIncidentDetail(id: number): Promise<void> {
  return invoke<void>("open_incident_detail", { id });
}

/** Checks every monitor now; resolves with the state after the check. */
export function checkNow(): Promise<Snapshot> {
  return invoke<Snapshot>("check_now");
}

export function onEngineEvent(handler: (event: EngineEvent) => void): Promise<UnlistenFn> {
  return listen<EngineEvent>(ENGINE_EVENT, (e) => handler(e.payload));
}

export function onFocusIncident(handler: (id: number) => void): Promise<UnlistenFn> {
  return listen<number>(FOCUS_INCIDENT_EVENT, (e) => handler(e.payload));
}

/** Saves a report of the incidents open in [since, until) and says where it went. */
export function exportReport(format: ReportFormat, since: string | null, until: string | null): Promise<SavedReport> {
  return invoke<SavedReport>("export_report", { format, since, until });
}

/** Shows a saved file in the system's file manager. */
export function showInFolder(path: string): Promise<void> {
  return revealItemInDir(path);
}

/** Opens a link in the system browser; the webview itself never leaves the app. */
export function openExternal(url: string): Promise<void> {
  return openUrl(url);
}

function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as CommandError).kind === "string" &&
    typeof (e as CommandError).message === "string"
  );
}

/** A sentence for any failure: command errors carry one, plugins reject with strings. */
export function errorMessage(e: unknown): string {
  if (isCommandError(e)) return e.message;
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  return "an unexpected error occurred";
}
