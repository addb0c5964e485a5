#!/usr/bin/env bash
# Installs the system tools the tests and benchmarks use: strace (tests/hostile.rs
# proves that nothing outside the workspace is opened), ripgrep (the baseline the
# check benchmark compares with), and git, setpriv, prlimit and mount
# (util-linux), normally present already; then the real-code corpus that
# tests/real_code.rs and the `real` benchmark check (tests/real-corpus.sh:
# pinned releases from PyPI, npm and Debian, cached under target/). Idempotent.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
missing=()
for tool in strace git setpriv prlimit rg; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
bash "$here/install-mcp.sh"
if [[ ${#missing[@]} -eq 0 ]]; then
    bash "$here/real-corpus.sh"
    bash "$here/install-precommit.sh"
    exit 0
fi
packages=()
for tool in "${missing[@]}"; do
    case "$tool" in
        strace) packages+=(strace) ;;
        git) packages+=(git) ;;
        rg) packages+=(ripgrep) ;;
        setpriv | prlimit) packages+=(util-linux) ;;
    esac
done
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}
echo "install-tools: installed ${packages[*]}" >&2
bash "$here/real-corpus.sh"
bash "$here/install-precommit.sh"
