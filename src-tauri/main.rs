//! The desktop shell: a native window around the UI, serving the command list over Tauri IPC.
//! All the work happens in switchboard-api; this file only adapts it.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use switchboard_api::{ApiError, AppStatus, Workspace};

struct Shell {
    workspace: Workspace,
}

#[tauri::command]
async fn status(shell: tauri::State<'_, Shell>) -> Result<AppStatus, ApiError> {
    shell.workspace.status()
}

fn main() {
    switchboard_api::logging::init(false);
    let path = std::env::var_os("SWITCHBOARD_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(switchboard_api::paths::default_store);
    // The key comes from the OS keychain; SWITCHBOARD_PASSPHRASE is the fallback where none runs.
    let workspace = Workspace::open(&path, std::env::var("SWITCHBOARD_PASSPHRASE").ok(), true);
    tauri::Builder::default()
        .manage(Shell { workspace })
        .invoke_handler(tauri::generate_handler![status])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the window: {e}");
            std::process::exit(1);
        });
}
