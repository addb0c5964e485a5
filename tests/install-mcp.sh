#!/usr/bin/env bash
# Installs the official Model Context Protocol Python SDK (PyPI `mcp`, pinned)
# into the machine's Python, for tests/mcp.rs, which drives `tagls mcp` through
# it (tests/mcp/client.py). Idempotent: nothing is done when that version is
# already importable. Uses the Python that tests/mcp.rs runs: $TAGLS_PYTHON,
# else python3.
set -euo pipefail

MCP_VERSION="2.3.0"
PYTHON="${TAGLS_PYTHON:-python3}"

log() { printf 'install-mcp: %s\n' "$*" >&2; }

installed() {
    "$PYTHON" - "$MCP_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
import mcp  # noqa: F401
sys.exit(0 if version("mcp") == sys.argv[1] else 1)
PY
}

if installed; then
    exit 0
fi
# Debian's own Python refuses pip installs unless told otherwise; a pyenv or
# venv Python does not know the flag's reason and accepts it too.
"$PYTHON" -m pip install --quiet --disable-pip-version-check "mcp==$MCP_VERSION" \
    || "$PYTHON" -m pip install --quiet --disable-pip-version-check --break-system-packages "mcp==$MCP_VERSION"
installed || { log "mcp $MCP_VERSION is still not importable by $PYTHON"; exit 1; }
log "installed mcp $MCP_VERSION for $PYTHON"
