#!/bin/sh
# Installs tagls's tag highlighting for Helix (25.01 or later) into the user's Helix
# runtime folder, <config>/helix/runtime/queries/<language>/highlights.scm, for every
# language tagls reads that Helix has a grammar for (LANGUAGES below).
#
#   sh editors/helix/install.sh            # ~/.config/helix (or $XDG_CONFIG_HOME/helix)
#   HX=/path/to/hx sh editors/helix/install.sh
#
# Why a script and not files to copy: Helix reads the first highlights.scm it finds for a
# language (the user's runtime folder first), and a file there that says
# `; inherits: <the same language>` makes Helix recurse into itself and crash. So each
# file written here is tagls's patterns followed by the text of Helix's own
# highlights.scm for that language, taken from the Helix that `hx` runs. Run it again
# after upgrading Helix. It also copies languages.toml beside config.toml when there is
# none yet (otherwise merge editors/helix/languages.toml into yours by hand).
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
HX="${HX:-hx}"
CONFIG="${XDG_CONFIG_HOME:-$HOME/.config}/helix"
USER_RUNTIME="$CONFIG/runtime"

# Helix's own runtime folders, from `hx --health` ("Runtime directories: a;b;c"),
# without the user's.
dirs="$("$HX" --health 2>/dev/null | sed -n 's/^Runtime directories: //p' | tr ';' '\n')"
if [ -z "$dirs" ]; then
    echo "install.sh: cannot run '$HX --health'; set HX to the hx binary" >&2
    exit 1
fi

# The text of Helix's own queries/<lang>/highlights.scm.
builtin_query() {
    echo "$dirs" | while IFS= read -r dir; do
        [ -n "$dir" ] || continue
        [ "$dir" = "$USER_RUNTIME" ] && continue
        if [ -f "$dir/queries/$1/highlights.scm" ]; then
            cat "$dir/queries/$1/highlights.scm"
            exit 0
        fi
    done
}

# Helix's language name and the comment node kinds of the grammar Helix 25.01 builds for
# it (the kinds its own queries/<language>/highlights.scm colours as @comment; only the
# outer node, never one nested in it, such as Rust's doc_comment). queries/tags.scm says
# `comment`; each language gets its own kinds in its place. cpp inherits c's queries
# and with them c's patterns too, which match the same nodes: harmless.
LANGUAGES="
typescript:comment
tsx:comment
javascript:comment
jsx:comment
go:comment
python:comment
swift:comment,multiline_comment
rust:line_comment,block_comment
java:line_comment,block_comment
kotlin:comment
c-sharp:comment
c:comment
cpp:comment
ruby:comment
php:comment
bash:comment
css:comment
scss:comment,single_line_comment
lua:comment
yaml:comment
toml:comment
html:comment
vue:comment
svelte:comment
"

# `a,b` -> `[(a) (b)]`; `a` -> `(a)`.
node_pattern() {
    case "$1" in
    *,*) echo "[($(echo "$1" | sed 's/,/) (/g'))]" ;;
    *) echo "($1)" ;;
    esac
}

for spec in $LANGUAGES; do
    lang="${spec%%:*}"
    nodes="$(node_pattern "${spec#*:}")"
    builtin="$(builtin_query "$lang")"
    if [ -z "$builtin" ]; then
        echo "install.sh: Helix has no highlights.scm for $lang; skipped" >&2
        continue
    fi
    mkdir -p "$USER_RUNTIME/queries/$lang"
    out="$USER_RUNTIME/queries/$lang/highlights.scm"
    {
        sed "s/(comment)/$nodes/g" "$HERE/queries/tags.scm"
        echo
        echo "; ---- Helix's own queries for $lang, as installed when this file was written ----"
        echo "$builtin"
    } >"$out.tmp"
    mv -f "$out.tmp" "$out"
    echo "wrote $out"
done

if [ ! -e "$CONFIG/languages.toml" ]; then
    mkdir -p "$CONFIG"
    cp "$HERE/languages.toml" "$CONFIG/languages.toml"
    echo "wrote $CONFIG/languages.toml"
else
    echo "kept $CONFIG/languages.toml: merge $HERE/languages.toml into it if tagls is not there yet"
fi
