#!/usr/bin/env bash
# Fetches the real-code corpus that tests/real_code.rs and the `real` benchmark
# check: pinned releases from the package registries, verified against the
# sha256 recorded here, unpacked under target/real-corpus/NAME/ (a NAME.done
# marker says an unpacking is complete). Idempotent: what is there is reused.
#
#   django  Django 4.2.16, the source distribution from PyPI (pip download)
#   rxjs    rxjs 7.8.1 from npm (npm pack): its TypeScript sources and the
#           JavaScript built from them
#   go      Go 1.19's standard library and compiler sources, Debian's
#           golang-1.19-src 1.19.8-2 (apt-get download, dpkg-deb -x)
#
# Usage: tests/real-corpus.sh [NAME ...]   (default: all three)
# Prints nothing on success; a download that fails is an error naming the
# registry and the package.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${TAGLS_REAL_CORPUS:-$repo/target/real-corpus}"
downloads="$base/downloads"
mkdir -p "$downloads"

fail() {
    echo "real-corpus: $*" >&2
    exit 1
}

# verify FILE SHA256
verify() {
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "$got" != "$2" ]]; then
        rm -f "$1"
        fail "$(basename "$1"): sha256 $got, expected $2 (removed; run again to download it anew)"
    fi
}

# fetch NAME FILE SHA256: downloads FILE into $downloads unless it is there
fetch() {
    local name="$1" file="$2" sha="$3" tmp
    if [[ -f "$downloads/$file" ]]; then
        verify "$downloads/$file" "$sha"
        return
    fi
    tmp="$(mktemp -d "$downloads/.fetch.XXXXXX")"
    case "$name" in
        django)
            command -v python3 >/dev/null || fail "python3 (with pip) is needed to download Django from PyPI"
            python3 -m pip download --quiet --no-deps --no-binary :all: \
                django==4.2.16 -d "$tmp" >"$tmp/log" 2>&1 ||
                { cat "$tmp/log" >&2; rm -rf "$tmp"; fail "pip could not download django==4.2.16 from PyPI"; }
            ;;
        rxjs)
            command -v npm >/dev/null || fail "npm is needed to download rxjs from the npm registry"
            (cd "$tmp" && npm pack --silent rxjs@7.8.1) >"$tmp/log" 2>&1 ||
                { cat "$tmp/log" >&2; rm -rf "$tmp"; fail "npm could not download rxjs@7.8.1"; }
            ;;
        go)
            # apt-get download needs the package lists; a fresh machine has none.
            (cd "$tmp" && { apt-get download -qq golang-1.19-src=1.19.8-2 ||
                { apt-get update -qq && apt-get download -qq golang-1.19-src=1.19.8-2; }; }) \
                >"$tmp/log" 2>&1 ||
                { cat "$tmp/log" >&2; rm -rf "$tmp"; fail "apt-get could not download golang-1.19-src 1.19.8-2 from Debian"; }
            ;;
    esac
    [[ -f "$tmp/$file" ]] || { ls -la "$tmp" >&2; rm -rf "$tmp"; fail "the download of $name did not give $file"; }
    verify "$tmp/$file" "$sha"
    mv "$tmp/$file" "$downloads/$file"
    rm -rf "$tmp"
}

# unpack NAME: target/real-corpus/NAME holds the sources, NAME.done says so
unpack() {
    local name="$1" dir="$base/$1" tmp
    [[ -f "$base/$name.done" && -d "$dir" ]] && return
    rm -rf "$dir" "$base/$name.done"
    tmp="$(mktemp -d "$base/.unpack.XXXXXX")"
    case "$name" in
        django)
            fetch django Django-4.2.16.tar.gz 6f1616c2786c408ce86ab7e10f792b8f15742f7b7b7460243929cb371e7f1dad
            tar -xzf "$downloads/Django-4.2.16.tar.gz" -C "$tmp"
            mv "$tmp/Django-4.2.16" "$dir"
            ;;
        rxjs)
            fetch rxjs rxjs-7.8.1.tgz c532167725ab7d085123209156c93cef22f2479cb9c8527060f1cd903aa9d149
            tar -xzf "$downloads/rxjs-7.8.1.tgz" -C "$tmp"
            mv "$tmp/package" "$dir"
            ;;
        go)
            fetch go golang-1.19-src_1.19.8-2_all.deb 2dfa82fe4f08f4e0193c532e561af4c91871f5235608f04f2bb8d57bb288df5a
            dpkg-deb -x "$downloads/golang-1.19-src_1.19.8-2_all.deb" "$tmp"
            mv "$tmp/usr/share/go-1.19" "$dir"
            ;;
        *) rm -rf "$tmp"; fail "unknown corpus '$name' (django, rxjs, go)" ;;
    esac
    rm -rf "$tmp"
    # The archives keep their authors' modes; the copies the tests seed must
    # be writable.
    chmod -R u+rwX "$dir"
    touch "$base/$name.done"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(django rxjs go)
for name in "${names[@]}"; do
    unpack "$name"
done
