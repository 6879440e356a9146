fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    // Only the commands listed here get permissions, and capabilities/ grants them to the window.
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&["status", "call", "open_link"]));
    tauri_build::try_build(attributes).expect("tauri build script");
}
