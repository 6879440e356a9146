//! The desktop shell: a native window around the UI, serving the command list over Tauri IPC
//! and forwarding the workspace's events. All the work happens in switchboard-api; this file
//! only adapts it.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::{Arc, Mutex};
use switchboard_api::{ApiError, AppStatus, Command, Workspace};
use tauri::{Emitter, Manager};

/// The event every workspace event is emitted as; the UI listens to this one name.
const EVENT: &str = "switchboard://event";

struct Shell {
    workspace: Arc<Workspace>,
    /// The running sync; dropped with the app.
    syncing: Mutex<Option<switchboard_api::Syncing>>,
}

#[tauri::command]
async fn status(shell: tauri::State<'_, Shell>) -> Result<AppStatus, ApiError> {
    shell.workspace.status()
}

#[tauri::command]
async fn call(shell: tauri::State<'_, Shell>, command: Command) -> Result<serde_json::Value, ApiError> {
    let workspace = shell.workspace.clone();
    tauri::async_runtime::spawn_blocking(move || workspace.call(command))
        .await
        .unwrap_or_else(|e| Err(ApiError { code: switchboard_api::ErrorCode::Internal, message: e.to_string() }))
}

fn main() {
    switchboard_api::logging::init(false);
    let path = std::env::var_os("SWITCHBOARD_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(switchboard_api::paths::default_store);
    // The key comes from the OS keychain; SWITCHBOARD_PASSPHRASE is the fallback where none runs.
    let workspace = Arc::new(Workspace::open(&path, std::env::var("SWITCHBOARD_PASSPHRASE").ok(), true));
    let demo = std::env::var_os("SWITCHBOARD_DEMO").is_some();
    tauri::Builder::default()
        .manage(Shell { workspace: workspace.clone(), syncing: Mutex::new(None) })
        .setup(move |app| {
            let handle = app.handle().clone();
            let mut events = workspace.subscribe();
            tauri::async_runtime::spawn(async move {
                while let Ok(event) = events.recv().await {
                    // A clicked notification brings the window forward; the UI opens the thread.
                    if let switchboard_api::Event::Open { .. } = event {
                        if let Some(window) = handle.get_webview_window("main") {
                            let _ = window.unminimize();
                            let _ = window.show();
                            let _ = window.set_focus();
                        }
                    }
                    let _ = handle.emit(EVENT, event);
                }
            });
            let notifications = workspace.clone();
            tauri::async_runtime::spawn(async move {
                let _ = notifications.start_notifications().await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let config = demo.then(|| switchboard_api::demo_config(6.0));
                match workspace.start_sync(config).await {
                    Ok(syncing) => {
                        if let Some(url) = &syncing.sandbox_url {
                            eprintln!("demo: sandbox at {url}");
                        }
                        *handle.state::<Shell>().syncing.lock().expect("sync lock") = Some(syncing);
                    }
                    Err(e) => tracing::warn!(error = %e.message, "not syncing"),
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![status, call])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the window: {e}");
            std::process::exit(1);
        });
}

