fn main() {
    // The app's config lives at the repository root; paths inside it are relative to it.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("failed to read ../tauri.conf.json");
}
