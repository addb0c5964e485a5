#!/usr/bin/env bash
# Installs Helix 25.01.1 for the headless Helix test (tests/helix.rs), without touching
# the system's packages:
#   - downloads Debian trixie's `hx`, `libc6` and `libgcc-s1` with `apt-get download`,
#     through a private apt configuration (the mirror the system already uses, suite
#     trixie, private package lists and cache under target/helix/apt),
#   - unpacks them with `dpkg-deb -x` under target/helix/root,
#   - writes target/helix/hx, a wrapper that runs the unpacked `hx` through the unpacked
#     `ld-linux-x86-64.so.2 --library-path ...` (the system's glibc is too old for it),
#     with HELIX_RUNTIME at the unpacked runtime unless it is set,
#   - installs tmux with apt-get when it is missing (the test drives Helix in tmux),
# and writes target/helix.env (TAGLS_HX=..., TAGLS_HELIX_RUNTIME=..., TAGLS_TMUX=...).
#
# Idempotent and quick when everything is already there. Runs as root (apt-get for tmux
# only; the rest needs no privileges). Reaches no network except the Debian mirror.
set -euo pipefail

HX_VERSION="25.01.1"
SUITE="trixie"
PACKAGES=(hx libc6 libgcc-s1)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/target/helix"
ENV_FILE="$ROOT/target/helix.env"
UNPACKED="$DEST/root"
WRAPPER="$DEST/hx"
STAMP="$DEST/.installed-$HX_VERSION"

log() { printf 'install-helix: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tmux
if ! command -v tmux >/dev/null 2>&1; then
    log "installing tmux"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends tmux >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends tmux >/dev/null
    fi
fi
TMUX_BIN="$(command -v tmux)"
log "tmux: $TMUX_BIN ($("$TMUX_BIN" -V))"

# ---------------------------------------------------------------- Helix
# Prints "25.01.1" for a wrapper whose `--version` prints "helix 25.01.1 (...)".
hx_version() {
    "$1" --version 2>/dev/null | sed -n '1s/^helix \([0-9][0-9.]*\).*/\1/p'
}

# The Debian mirror the system uses: the first deb URI (deb822 `URIs:` or one-line
# `deb` entries) serving a Debian suite that is not the security archive.
# Also prints the keyring it names (Signed-By / signed-by=), if any, on a second line.
system_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        awk '
            function flush() {
                if (deb && uri != "" && suites !~ /security/ &&
                    suites ~ /(bookworm|trixie|bullseye|forky|sid|stable|testing|unstable)/) {
                    print uri; print key; found = 1; exit
                }
                deb = 0; uri = ""; suites = ""; key = ""
            }
            /^[[:space:]]*$/ { flush(); next }
            /^[[:space:]]*#/ { next }
            tolower($1) == "types:" { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { suites = $0 }
            tolower($1) == "signed-by:" { key = $2 }
            END { if (!found) flush() }
        ' "$f" && return 0
    done | head -n 2
    local lists=()
    [[ -f /etc/apt/sources.list ]] && lists+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] && lists+=("$f")
    done
    if ((${#lists[@]})); then
        awk '
            $1 == "deb" && $0 !~ /security/ &&
            $0 ~ /[[:space:]](bookworm|trixie|bullseye|forky|sid|stable|testing|unstable)[[:space:]]/ {
                key = ""
                if (match($0, /signed-by=[^] ]+/)) key = substr($0, RSTART + 10, RLENGTH - 10)
                for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; print key; exit }
            }
        ' "${lists[@]}"
    fi
}

download_and_unpack() {
    local mirror keyring
    {
        read -r mirror || true
        read -r keyring || true
    } < <(system_mirror | head -n 2)
    if [[ -z "${mirror:-}" ]]; then
        mirror="http://deb.debian.org/debian"
        log "no Debian mirror found in the apt sources; using $mirror"
    fi
    if [[ -z "${keyring:-}" || ! -f "$keyring" ]]; then
        keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
    fi
    log "mirror: $mirror (suite $SUITE, keyring $keyring)"

    local apt="$DEST/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" \
        "$apt/preferences.d" "$DEST/debs"
    printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$SUITE" >"$apt/sources.list"
    : >"$apt/status"
    local opts=(
        -o "Dir::Etc::SourceList=$apt/sources.list"
        -o "Dir::Etc::SourceParts=$apt/sources.list.d"
        -o "Dir::Etc::Preferences=$apt/preferences"
        -o "Dir::Etc::PreferencesParts=$apt/preferences.d"
        -o "Dir::State::Lists=$apt/lists"
        -o "Dir::State::status=$apt/status"
        -o "Dir::Cache=$apt/cache"
        -o "Dir::Cache::pkgcache=$apt/cache/pkgcache.bin"
        -o "Dir::Cache::srcpkgcache=$apt/cache/srcpkgcache.bin"
        -o "APT::Architecture=amd64"
        -o "APT::Architectures=amd64"
        -o "Acquire::Languages=none"
        -o "Debug::NoLocking=1"
        -o "APT::Sandbox::User=root"
    )
    log "apt-get update (private lists in $apt)"
    apt-get "${opts[@]}" -qq update
    local got
    got="$(apt-cache "${opts[@]}" show hx 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)"
    if [[ "$got" != "$HX_VERSION"* ]]; then
        log "error: $SUITE's hx is version '${got}', expected $HX_VERSION"
        exit 1
    fi
    log "downloading ${PACKAGES[*]} from $SUITE"
    rm -f "$DEST/debs/"*.deb
    (cd "$DEST/debs" && apt-get "${opts[@]}" -qq download "${PACKAGES[@]}")

    rm -rf "$UNPACKED.tmp"
    mkdir -p "$UNPACKED.tmp"
    local deb
    for deb in "$DEST/debs/"*.deb; do
        dpkg-deb -x "$deb" "$UNPACKED.tmp"
    done
    rm -rf "$UNPACKED"
    mv "$UNPACKED.tmp" "$UNPACKED"
}

write_wrapper() {
    local loader="" libdirs="" bin="" runtime="" d
    for d in "$UNPACKED/usr/lib/x86_64-linux-gnu" "$UNPACKED/lib/x86_64-linux-gnu" \
        "$UNPACKED/usr/lib64" "$UNPACKED/lib64"; do
        if [[ -z "$loader" && -e "$d/ld-linux-x86-64.so.2" ]]; then
            loader="$d/ld-linux-x86-64.so.2"
        fi
        [[ -d "$d" ]] && libdirs="${libdirs:+$libdirs:}$d"
    done
    for d in "$UNPACKED/usr/lib/helix/hx" "$UNPACKED/usr/bin/hx" "$UNPACKED/usr/libexec/helix/hx"; do
        if [[ -z "$bin" && -f "$d" && ! -L "$d" ]]; then bin="$d"; fi
    done
    [[ -n "$bin" ]] || bin="$(find "$UNPACKED" -type f -name hx -perm -u+x | head -n 1)"
    for d in "$UNPACKED/usr/lib/helix/runtime" "$UNPACKED/usr/share/helix/runtime"; do
        if [[ -z "$runtime" && -d "$d" ]]; then runtime="$d"; fi
    done
    [[ -n "$runtime" ]] || runtime="$(find "$UNPACKED" -type d -name runtime -path '*helix*' | head -n 1)"
    if [[ -z "$loader" || -z "$bin" || -z "$runtime" ]]; then
        log "error: unpacked packages lack the loader ('$loader'), hx ('$bin') or the runtime ('$runtime')"
        exit 1
    fi
    # Runtime symlinks inside the package may be absolute (/usr/share/...); resolve the
    # runtime folder itself but leave the rest to Helix.
    cat >"$WRAPPER.tmp" <<EOF
#!/bin/sh
# Written by tests/install-helix.sh: Helix $HX_VERSION from Debian $SUITE, run through
# its own glibc. Processes Helix starts (language servers) use the system's libraries.
: "\${HELIX_RUNTIME:=$runtime}"
export HELIX_RUNTIME
exec "$loader" --library-path "$libdirs" "$bin" "\$@"
EOF
    chmod +x "$WRAPPER.tmp"
    mv -f "$WRAPPER.tmp" "$WRAPPER"
    HELIX_RUNTIME_DIR="$runtime"
}

# Debian's hx ships no tree-sitter grammars (users run `hx --grammar fetch/build`, which
# needs git and GitHub). The test builds the ones whose queries editors/helix ships, from
# crates.io sources of revisions that Helix 25.01's own queries compile against (newer
# grammars renamed nodes those queries use; the grammars of Swift, Java, Kotlin, C++,
# PHP and SCSS that Helix pins have no such release, so they are not built), with
# `cargo fetch` (one manifest per crate: their build dependencies conflict) and `cc`.
# Best effort: tests/helix.rs checks the highlighting of the languages built here.
GRAMMAR_CRATES=(
    "typescript:tree-sitter-typescript:0.20.3:typescript"
    "tsx:tree-sitter-typescript:0.20.3:tsx"
    "javascript:tree-sitter-javascript:0.20.1:"
    "python:tree-sitter-python:0.20.4:"
    "go:tree-sitter-go:0.20.0:"
    "rust:tree-sitter-rust:0.23.0:"
    "c:tree-sitter-c:0.20.8:"
    "c-sharp:tree-sitter-c-sharp:0.20.0:"
    "ruby:tree-sitter-ruby:0.20.1:"
    "bash:tree-sitter-bash:0.20.5:"
    "css:tree-sitter-css:0.20.0:"
    "lua:tree-sitter-lua:0.1.0:"
    "yaml:tree-sitter-yaml:0.6.1:"
    "toml:tree-sitter-toml:0.20.0:"
    "html:tree-sitter-html:0.20.4:"
)
build_grammars() {
    local runtime="$1" grammars="$1/grammars" work="$DEST/grammar-crates"
    local spec
    if ! command -v cargo >/dev/null || ! command -v cc >/dev/null || ! command -v python3 >/dev/null; then
        log "warning: no cargo, cc or python3: Helix grammars not built"
        return 0
    fi
    for spec in "${GRAMMAR_CRATES[@]}"; do
        local name crate version sub project metadata dir objs
        IFS=: read -r name crate version sub <<<"$spec"
        [[ -f "$grammars/$name.so" ]] && continue
        project="$work/$name"
        mkdir -p "$project/src"
        : >"$project/src/lib.rs"
        printf '[package]\nname = "helix-grammar-%s"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\n%s = "=%s"\n' \
            "$name" "$crate" "$version" >"$project/Cargo.toml"
        if ! (cd "$project" && cargo fetch -q 2>&1 | tail -n 5 >&2); then
            log "warning: cargo fetch of $crate $version failed: the $name grammar not built"
            continue
        fi
        metadata="$(cd "$project" && cargo metadata -q --format-version 1)" || continue
        dir="$(python3 -c 'import json,sys,os
m=json.load(sys.stdin)
print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]==sys.argv[1] and p["version"]==sys.argv[2]))' \
            "$crate" "$version" <<<"$metadata")" || continue
        dir="$dir${sub:+/$sub}/src"
        if ! cc -c -fPIC -O2 -w -I "$dir" "$dir/parser.c" -o "$project/parser.o"; then
            log "warning: could not build the $name grammar"
            continue
        fi
        objs=("$project/parser.o")
        if [[ -f "$dir/scanner.c" ]] && cc -c -fPIC -O2 -w -I "$dir" "$dir/scanner.c" -o "$project/scanner.o"; then
            objs+=("$project/scanner.o")
        fi
        if [[ -f "$dir/scanner.cc" ]] && c++ -c -fPIC -O2 -w -I "$dir" "$dir/scanner.cc" -o "$project/scanner.o"; then
            objs+=("$project/scanner.o")
        fi
        if c++ -shared "${objs[@]}" -o "$grammars/$name.so.tmp"; then
            mv -f "$grammars/$name.so.tmp" "$grammars/$name.so"
            log "built the $name grammar ($crate $version)"
        else
            log "warning: could not build the $name grammar"
        fi
    done
}

mkdir -p "$DEST"
if [[ -f "$STAMP" && -x "$WRAPPER" && "$(hx_version "$WRAPPER")" == "$HX_VERSION" ]]; then
    HELIX_RUNTIME_DIR="$(sed -n 's/^: "\${HELIX_RUNTIME:=\(.*\)}"$/\1/p' "$WRAPPER")"
else
    rm -f "$STAMP"
    download_and_unpack
    write_wrapper
fi
got="$(hx_version "$WRAPPER")"
if [[ "$got" != "$HX_VERSION" ]]; then
    log "error: $WRAPPER reports version '${got}', expected $HX_VERSION"
    "$WRAPPER" --version >&2 || true
    exit 1
fi
touch "$STAMP"
build_grammars "$HELIX_RUNTIME_DIR"
log "Helix $got: $WRAPPER (runtime $HELIX_RUNTIME_DIR)"

# ---------------------------------------------------------------- env file
tmp="$ENV_FILE.tmp.$$"
{
    echo "# Written by tests/install-helix.sh; read by tests/helix.rs."
    echo "TAGLS_HX=$WRAPPER"
    echo "TAGLS_HELIX_RUNTIME=$HELIX_RUNTIME_DIR"
    echo "TAGLS_TMUX=$TMUX_BIN"
} >"$tmp"
mv -f "$tmp" "$ENV_FILE"
log "wrote $ENV_FILE"
cat "$ENV_FILE"
