//! What the window may ask of the engine. Each command is a thin call into
//! `flatline::engine::Engine`; arguments are snake_case like the engine's JSON, and
//! every failure reaches the window as `{ "kind": …, "message": … }`.

use crate::backend::Backend;
use crate::detail_window;
use chrono::{DateTime, Utc};
use flatline::engine::{EngineError, IncidentDetail};
use flatline::incident::{Incident, Snapshot};
use flatline::report::{self, Format};
use flatline::store::{IncidentQuery, StoreError};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use tauri::{AppHandle, Runtime, State};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The engine is not running (a config error at start); the message says why.
    #[error("{0}")]
    NotStarted(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot open the window: {0}")]
    Window(#[from] tauri::Error),
    /// Arguments the window should not have sent; the message says which.
    #[error("{0}")]
    BadInput(String),
    #[error("cannot save the report: {0}")]
    Save(String),
}

impl CommandError {
    /// A stable machine name the window can branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            CommandError::NotStarted(_) => "not_started",
            CommandError::Engine(EngineError::Store(StoreError::NoSuchIncident(_))) => "not_found",
            CommandError::Engine(EngineError::Store(_)) => "storage",
            CommandError::Engine(EngineError::Stopped) => "stopped",
            CommandError::Engine(_) => "engine",
            CommandError::Window(_) => "window",
            CommandError::BadInput(_) => "bad_input",
            CommandError::Save(_) => "save",
        }
    }
}

impl Serialize for CommandError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("CommandError", 2)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

type Reply<T> = Result<T, CommandError>;

#[tauri::command(rename_all = "snake_case")]
pub async fn snapshot(backend: State<'_, Backend>) -> Reply<Snapshot> {
    Ok(backend.engine()?.snapshot().await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn incidents(
    backend: State<'_, Backend>,
    open_only: bool,
    since: Option<DateTime<Utc>>,
    limit: Option<usize>,
) -> Reply<Vec<Incident>> {
    let query = IncidentQuery {
        open_only,
        since,
        limit,
        ..IncidentQuery::default()
    };
    Ok(backend.engine()?.incidents(query).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn acknowledge(
    backend: State<'_, Backend>,
    id: i64,
    note: Option<String>,
) -> Reply<Incident> {
    Ok(backend.engine()?.acknowledge(id, note).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn acknowledge_all(
    backend: State<'_, Backend>,
    note: Option<String>,
) -> Reply<Vec<Incident>> {
    Ok(backend.engine()?.acknowledge_all(note).await?)
}

/// One incident in full, for its detail window: the incident with its estimate, its
/// likely cause, the incidents it caused and the volume chart around it.
#[tauri::command(rename_all = "snake_case")]
pub async fn incident_detail(backend: State<'_, Backend>, id: i64) -> Reply<IncidentDetail> {
    Ok(backend.engine()?.incident_detail(id, Utc::now()).await?)
}

/// Shows incident `id`'s detail window, building it if it is not open.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_incident_detail<R: Runtime>(
    app: AppHandle<R>,
    backend: State<'_, Backend>,
    id: i64,
) -> Reply<()> {
    let incident = backend
        .engine()?
        .store()
        .incident(id)
        .await
        .map_err(EngineError::from)?;
    detail_window::open(&app, id, &incident.title)?;
    Ok(())
}

/// Where a report from the window went.
#[derive(Debug, Serialize)]
pub struct SavedReport {
    pub path: String,
}

/// Saves a report of the incidents open in `[since, until)` (`csv`, `json` or `md`)
/// to the user's Downloads folder, under a name that says what it covers and never
/// over another file, and answers with where it went.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_report(
    backend: State<'_, Backend>,
    format: String,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Reply<SavedReport> {
    let format: Format = format.parse().map_err(CommandError::BadInput)?;
    if since.zip(until).is_some_and(|(s, u)| s >= u) {
        return Err(CommandError::BadInput(
            "the report must start before it ends".to_owned(),
        ));
    }
    let now = Utc::now();
    let text = backend.engine()?.export(format, since, until, now).await?;
    let dir = backend.reports_dir()?;
    let until = until.unwrap_or(now);
    let saved = tauri::async_runtime::spawn_blocking(move || {
        report::save_in(&dir, format, since, until, &text)
    })
    .await
    .map_err(|e| CommandError::Save(e.to_string()))?
    .map_err(|e| CommandError::Save(e.to_string()))?;
    tracing::info!(path = %saved.display(), "report saved");
    Ok(SavedReport {
        path: saved.display().to_string(),
    })
}

/// Checks every monitor now (through the poller, so it never overlaps a scheduled
/// check) and answers with the state afterwards.
#[tauri::command(rename_all = "snake_case")]
pub async fn check_now(backend: State<'_, Backend>) -> Reply<Snapshot> {
    let (engine, poller) = backend.running()?;
    poller.check_now().await?;
    Ok(engine.snapshot().await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use flatline::OpenOptions;
    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindowBuilder};

    fn call(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        get_ipc_response(
            webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    type MockApp = tauri::App<tauri::test::MockRuntime>;

    /// The shell's commands on a mock runtime, over an engine with no monitors.
    fn mock_app(dir: &std::path::Path) -> MockApp {
        let config = dir.join("config.toml");
        std::fs::write(&config, "[general]\nuser = \"Dana\"\n").unwrap();
        let backend = tauri::async_runtime::block_on(Backend::open(OpenOptions {
            config: Some(config),
            data_dir: Some(dir.join("data")),
        }));
        mock_builder()
            .manage(backend)
            .invoke_handler(tauri::generate_handler![
                snapshot,
                incidents,
                acknowledge,
                acknowledge_all,
                check_now,
                incident_detail,
                open_incident_detail,
                export_report
            ])
            .build(mock_context(noop_assets()))
            .unwrap()
    }

    #[test]
    fn commands_speak_snake_case_and_fail_as_kind_and_message() {
        let dir = tempfile::tempdir().unwrap();
        let app = mock_app(dir.path());
        let webview = WebviewWindowBuilder::new(&app, "timeline", Default::default())
            .build()
            .unwrap();

        let snap = call(&webview, "snapshot", json!({})).unwrap();
        assert_eq!(snap["tray"], "ok");
        assert_eq!(snap["open"], json!([]));

        let list = call(
            &webview,
            "incidents",
            json!({ "open_only": false, "since": "2026-01-01T00:00:00Z", "limit": 10 }),
        );
        assert_eq!(list.unwrap(), json!([]));

        let missing = call(
            &webview,
            "acknowledge",
            json!({ "id": 4242, "note": "on it" }),
        )
        .unwrap_err();
        assert_eq!(missing["kind"], "not_found");
        assert_eq!(missing["message"], "no incident with id 4242");

        for cmd in ["incident_detail", "open_incident_detail"] {
            let missing = call(&webview, cmd, json!({ "id": 4242 })).unwrap_err();
            assert_eq!(missing["kind"], "not_found", "{cmd}");
            assert_eq!(missing["message"], "no incident with id 4242", "{cmd}");
        }
        assert!(
            app.get_webview_window("incident-4242").is_none(),
            "no window for an incident that does not exist"
        );

        let bad = call(&webview, "export_report", json!({ "format": "pdf" })).unwrap_err();
        assert_eq!(bad["kind"], "bad_input");
        assert_eq!(bad["message"], "unknown format `pdf`: use csv, json or md");
        let backwards = json!({
            "format": "csv",
            "since": "2026-11-23T00:00:00Z",
            "until": "2026-11-01T00:00:00Z"
        });
        let bad = call(&webview, "export_report", backwards).unwrap_err();
        assert_eq!(bad["kind"], "bad_input");

        assert_eq!(
            call(&webview, "acknowledge_all", json!({ "note": null })).unwrap(),
            json!([])
        );
        assert_eq!(
            call(&webview, "check_now", json!({})).unwrap()["monitors"],
            json!([])
        );
    }

    #[test]
    fn an_incident_opens_in_one_detail_window_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let app = mock_app(dir.path());
        let timeline = WebviewWindowBuilder::new(&app, "timeline", Default::default())
            .build()
            .unwrap();
        let engine = app.state::<Backend>().engine().unwrap();
        let now = chrono::Utc::now();
        let incident = tauri::async_runtime::block_on(engine.store().open_incident(
            flatline::store::NewIncident {
                monitor_id: "segment".into(),
                monitor_name: "Segment".into(),
                kind: flatline::incident::IncidentKind::VendorStatus,
                severity: flatline::Health::PartialOutage,
                title: "Segment: partial outage".into(),
                summary: "Connections (Destinations): partial outage".into(),
                started_at: now - chrono::Duration::minutes(30),
                detected_at: now - chrono::Duration::minutes(29),
                components: vec!["Connections (Destinations)".into()],
                url: None,
                drops: vec![],
                cause_incident_id: None,
            },
        ))
        .unwrap();

        let detail = call(&timeline, "incident_detail", json!({ "id": incident.id })).unwrap();
        assert_eq!(detail["incident"]["id"], incident.id);
        assert_eq!(detail["incident"]["title"], "Segment: partial outage");
        assert_eq!(detail["cause"], Value::Null);
        assert_eq!(detail["effects"], json!([]));
        assert_eq!(
            detail["chart"],
            Value::Null,
            "a vendor incident that caused nothing"
        );

        let label = format!("incident-{}", incident.id);
        for _ in 0..2 {
            let opened = call(
                &timeline,
                "open_incident_detail",
                json!({ "id": incident.id }),
            );
            assert_eq!(opened.unwrap(), Value::Null);
        }
        let window = app.get_webview_window(&label).expect("the detail window");
        // (The mock runtime keeps no titles; the end-to-end test reads the real one.)
        let url = window.url().unwrap();
        assert!(
            url.as_str()
                .ends_with(&format!("detail.html#{}", incident.id)),
            "{url}"
        );
        let details = app
            .webview_windows()
            .into_keys()
            .filter(|l| l.starts_with("incident-"))
            .count();
        assert_eq!(details, 1, "asking twice focuses the window it opened");
    }
}
