#!/usr/bin/env bash
# Installs the real pre-commit framework from PyPI, pinned, into its own
# virtual environment under target/ (tests/precommit.rs drives it), and writes
# target/precommit.env with the path of its `pre-commit`. Idempotent and quick
# when it is already there. Reaches no network except PyPI.
set -euo pipefail

PRE_COMMIT_VERSION="4.5.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/precommit-venv"
ENV_FILE="$ROOT/target/precommit.env"
BIN="$VENV/bin/pre-commit"

log() { printf 'install-precommit: %s\n' "$*" >&2; }

if [[ ! -x "$BIN" || "$("$BIN" --version 2>/dev/null)" != "pre-commit $PRE_COMMIT_VERSION" ]]; then
    PYTHON="$(command -v python3 || true)"
    if [[ -z "$PYTHON" ]] || ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
        log "installing Debian's python3-venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
        PYTHON="$(command -v python3)"
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet "pre-commit==$PRE_COMMIT_VERSION"
fi
got="$("$BIN" --version)"
if [[ "$got" != "pre-commit $PRE_COMMIT_VERSION" ]]; then
    log "error: $BIN reports '$got', expected pre-commit $PRE_COMMIT_VERSION"
    exit 1
fi
mkdir -p "$(dirname "$ENV_FILE")"
tmp="$ENV_FILE.tmp.$$"
{
    echo "# Written by tests/install-precommit.sh; read by tests/precommit.rs."
    echo "TAGLS_PRE_COMMIT=$BIN"
} >"$tmp"
mv -f "$tmp" "$ENV_FILE"
log "$got: $BIN"
