# Shell helpers shared by scripts/run and scripts/test.

step() { printf '\n==> %s\n' "$*"; }

# Debian packages, installed only when missing.
need_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# A cargo-installed tool at an exact version, installed only when missing or different.
# `locked` is "--locked" or empty (wasm-bindgen-cli must not be locked: its own lockfile
# may ask for a newer rustc than ours).
need_cargo_tool() {
    local crate=$1 bin=$2 version=$3 locked=${4:-}
    # Asks cargo rather than the tool: tauri-driver has no --version.
    if command -v "$bin" >/dev/null && cargo install --list | grep -qx "$crate v$version:"; then
        return 0
    fi
    cargo install "$crate" --version "=$version" $locked
}

# What the app needs to build and to run in a window: WebKitGTK, the wasm toolchain.
need_app_toolchain() {
    need_apt build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown
    need_cargo_tool trunk trunk 0.21.14 --locked
    # wasm-bindgen-cli must match the wasm-bindgen crate the UI links, exactly.
    local wbg
    wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
    need_cargo_tool wasm-bindgen-cli wasm-bindgen "$wbg"
}

# Builds the UI bundle (src-ui/dist) and the app binary with it inside.
# $1: "release" or "debug".
build_app() {
    local profile=$1
    cargo fetch --locked
    if [ "$profile" = release ]; then
        (cd src-ui && trunk build --release)
        cargo build --locked --release -p rounds-app
    else
        (cd src-ui && trunk build)
        cargo build --locked -p rounds-app
    fi
}
