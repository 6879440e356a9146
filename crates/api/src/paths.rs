//! Where Switchboard keeps its files by default (XDG on Linux).

use std::path::PathBuf;

fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "switchboard")
}

pub fn default_store() -> PathBuf {
    dirs().map(|d| d.data_dir().join("switchboard.db")).unwrap_or_else(|| PathBuf::from("switchboard.db"))
}

/// The team hub's embedded database, when `switchboard hub` is given none.
pub fn default_hub_database() -> PathBuf {
    dirs().map(|d| d.data_dir().join("hub.db")).unwrap_or_else(|| PathBuf::from("hub.db"))
}

pub fn log_dir() -> Option<PathBuf> {
    let d = dirs()?;
    Some(d.state_dir().unwrap_or_else(|| d.data_local_dir()).join("logs"))
}
