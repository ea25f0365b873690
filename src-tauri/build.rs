fn main() {
    // Listing the commands makes Tauri generate an allow-/deny- permission for each
    // and deny any command that a capability does not grant.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "snapshot",
        "incidents",
        "acknowledge",
        "acknowledge_all",
        "check_now",
        "incident_detail",
        "open_incident_detail",
        "export_report",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect(
        "tauri-build: cannot prepare the desktop shell (tauri.conf.json, capabilities, icons)",
    );
}
