//! What the window may ask of the engine. Each command is a thin call into
//! `flatline::engine::Engine`; arguments are snake_case like the engine's JSON, and
//! every failure reaches the window as `{ "kind": …, "message": … }`.

use crate::backend::Backend;
use chrono::{DateTime, Utc};
use flatline::engine::EngineError;
use flatline::incident::{Incident, Snapshot};
use flatline::store::{IncidentQuery, StoreError};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use tauri::State;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The engine is not running (a config error at start); the message says why.
    #[error("{0}")]
    NotStarted(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
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
    use tauri::WebviewWindowBuilder;

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

    #[test]
    fn commands_speak_snake_case_and_fail_as_kind_and_message() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "[general]\nuser = \"Dana\"\n").unwrap();
        let backend = tauri::async_runtime::block_on(Backend::open(OpenOptions {
            config: Some(config),
            data_dir: Some(dir.path().join("data")),
        }));
        let app = mock_builder()
            .manage(backend)
            .invoke_handler(tauri::generate_handler![
                snapshot,
                incidents,
                acknowledge,
                acknowledge_all,
                check_now
            ])
            .build(mock_context(noop_assets()))
            .unwrap();
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

        assert_eq!(
            call(&webview, "acknowledge_all", json!({ "note": null })).unwrap(),
            json!([])
        );
        assert_eq!(
            call(&webview, "check_now", json!({})).unwrap()["monitors"],
            json!([])
        );
    }
}
