//! The desktop shell: a native window around the UI, serving the command list over Tauri IPC
//! and forwarding the workspace's events. All the work happens in switchboard-api; this file
//! only adapts it.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod notifications;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchboard_api::session::AppStatus;
use switchboard_api::{ApiError, Command, Workspace};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::webview::DownloadEvent;
use tauri::{AppHandle, Emitter, Manager, WebviewWindowBuilder};

/// The event every workspace event is emitted as; the UI listens to this one name.
const EVENT: &str = "switchboard://event";

struct Shell {
    workspace: Arc<Workspace>,
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

/// Opens a link from a message in the system browser: http(s) only, and only because the agent
/// clicked it.
#[tauri::command]
fn open_link(url: String) -> Result<(), String> {
    let parsed = tauri::Url::parse(&url).map_err(|_| "not a link".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{} links are not opened", parsed.scheme()));
    }
    std::process::Command::new("xdg-open")
        .arg(parsed.as_str())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("no browser could be started: {e}"))
}

fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// The tray icon: the unread count beside it, and a menu to bring the window back or quit.
fn tray(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Switchboard", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Switchboard")
        .menu(&Menu::with_items(app, &[&open, &quit])?)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_window(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// The folder an attachment's Save writes to: the desktop's Downloads folder, or ~/Downloads
/// where the desktop names none (WebKit would otherwise write to the working directory).
fn downloads(app: &AppHandle) -> Option<PathBuf> {
    app.path().download_dir().or_else(|_| app.path().home_dir().map(|home| home.join("Downloads"))).ok()
}

/// `name` in `dir`, or "name (1).ext" and so on when a file of that name is there already: a
/// saved attachment never overwrites a file.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let mut path = dir.join(name);
    for n in 1.. {
        if !path.exists() {
            break;
        }
        path = dir.join(format!("{stem} ({n}){ext}"));
    }
    path
}

/// Downloads in the window: only the UI's own (an attachment's Save, a `blob:` link it made) are
/// written, to the Downloads folder; the UI hears where the file went, or that it failed.
fn on_download(app: &AppHandle, event: DownloadEvent<'_>) -> bool {
    match event {
        DownloadEvent::Requested { url, destination } => {
            if url.scheme() != "blob" {
                tracing::warn!(scheme = url.scheme(), "a download that is not the app's own was refused");
                return false;
            }
            let Some(dir) = downloads(app) else { return false };
            let name = destination.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "attachment".into());
            if std::fs::create_dir_all(&dir).is_err() {
                return false;
            }
            *destination = free_path(&dir, &name);
            true
        }
        DownloadEvent::Finished { path, success, .. } => {
            let name = path.as_deref().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
            let saved = path.filter(|_| success).map(|p| p.display().to_string());
            let _ = app.emit(EVENT, switchboard_api::Event::Saved { name, path: saved });
            true
        }
        _ => true,
    }
}

/// The unread count in the tray (its label; and its tooltip where the desktop shows one).
fn show_unread(tray: &TrayIcon, total: i64) {
    let _ = tray.set_title(if total > 0 { Some(total.to_string()) } else { None });
    let _ = tray.set_tooltip(Some(if total > 0 { format!("Switchboard: {total} unread") } else { "Switchboard".to_owned() }));
}

fn main() {
    switchboard_api::logging::init(false);
    let path = std::env::var_os("SWITCHBOARD_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(switchboard_api::paths::default_store);
    // The key comes from the OS keychain; SWITCHBOARD_PASSPHRASE is the fallback where none runs.
    let demo = std::env::var_os("SWITCHBOARD_DEMO").is_some();
    // New customer messages a minute in the demo (web mode's `--rate`).
    let demo_rate = std::env::var("SWITCHBOARD_DEMO_RATE").ok().and_then(|r| r.parse().ok()).unwrap_or(6.0);
    let workspace = Workspace::open(&path, std::env::var("SWITCHBOARD_PASSPHRASE").ok(), true)
        .with_demo(Arc::new(switchboard_demo::Sandboxed::new(demo_rate)));
    let workspace = Arc::new(workspace);
    tauri::Builder::default()
        .manage(Shell { workspace: workspace.clone() })
        .setup(move |app| {
            // The window is made here rather than from the config alone, to decide where downloads go.
            let config = app.config().app.windows.iter().find(|w| w.label == "main").expect("tauri.conf.json has the main window").clone();
            let handle = app.handle().clone();
            WebviewWindowBuilder::from_config(app.handle(), &config)?
                .on_download(move |_, event| on_download(&handle, event))
                .build()?;
            // A desktop without a tray (no StatusNotifier host) still gets the window and title.
            let tray = tray(app.handle()).inspect_err(|e| tracing::warn!(error = %e, "no tray icon")).ok();
            if let (Some(tray), Ok(status)) = (&tray, workspace.status()) {
                show_unread(tray, status.store.counts.map_or(0, |c| c.unread));
            }
            let handle = app.handle().clone();
            let mut events = workspace.subscribe();
            tauri::async_runtime::spawn(async move {
                while let Ok(event) = events.recv().await {
                    // A clicked notification brings the window forward; the UI opens the thread.
                    if let switchboard_api::Event::Open { .. } = event {
                        show_window(&handle);
                    }
                    if let (switchboard_api::Event::Unread { total }, Some(tray)) = (&event, &tray) {
                        show_unread(tray, *total);
                    }
                    if let switchboard_api::Event::Demo { sandbox } = &event {
                        eprintln!("demo: sandbox at {sandbox}");
                    }
                    let _ = handle.emit(EVENT, event);
                }
            });
            // A clicked notification brings the window forward and the UI opens the thread.
            let handle = app.handle().clone();
            let notifications = workspace.clone();
            tauri::async_runtime::spawn(async move {
                let _ = notifications::watch(notifications, move |conversation| {
                    show_window(&handle);
                    let _ = handle.emit(EVENT, switchboard_api::Event::Open { conversation });
                })
                .await;
            });
            // Syncs now, or once the agent unlocks the store; the demo when asked.
            let syncing = workspace.clone();
            tauri::async_runtime::spawn(async move {
                let _ = syncing.keep_syncing(demo).await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![status, call, open_link])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the window: {e}");
            std::process::exit(1);
        });
}

