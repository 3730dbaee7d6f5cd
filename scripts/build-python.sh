#!/usr/bin/env bash
# Build CPython 3.13 from Debian's source package, once per machine, for ansible-core 2.20+.
#
# Usage: scripts/build-python.sh            prints the interpreter's path (builds it if missing)
#
# Where: $CAPGO_PYTHON_CACHE (default ~/.cache/capgo-cloud/python-3.13), outside the clone so
# that every clone and CI run on the machine reuses it. Nothing else on the machine changes:
# apt reads a private sources list and keeps its lists in a private state directory under the
# same cache (the machine's /etc/apt and /var/lib/apt stay as they are). The build
# dependencies are bookworm's own -dev packages (installed with the machine's apt when
# missing). The source comes from Debian 13 (trixie)'s source index, signed by the trixie
# keys of debian-archive-keyring. Only the upstream `configure && make` is used, not
# Debian's packaging rules or patches (they relocate the install for dpkg and disable
# ensurepip, which venvs need).
set -euo pipefail

VERSION_SERIES=3.13
CACHE=${CAPGO_PYTHON_CACHE:-$HOME/.cache/capgo-cloud/python-$VERSION_SERIES}
PREFIX=$CACHE/install
PY=$PREFIX/bin/python$VERSION_SERIES
MIRROR=${CAPGO_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf 'build-python: %s\n' "$*" >&2; }

ready() {
    [[ -x "$PY" ]] && "$PY" -c 'import ssl, sqlite3, zlib, bz2, lzma, ctypes, venv' 2>/dev/null
}

if ready; then
    echo "$PY"
    exit 0
fi

# One build at a time per machine (two clones testing at once share the cache).
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if ready; then
    echo "$PY"
    exit 0
fi

deps=(dpkg-dev build-essential libssl-dev libsqlite3-dev zlib1g-dev libbz2-dev liblzma-dev
      libffi-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev)
missing=()
for d in "${deps[@]}"; do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' || missing+=("$d")
done
if ((${#missing[@]})); then
    log "installing build dependencies: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        log "not root: install them first (apt-get install ${missing[*]})"
        exit 1
    fi
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$APT/etc/sources.list.d" "$APT/etc/preferences.d"
cat >"$APT/etc/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main
SRC
aptopts=(
    -o "Dir::Etc::sourcelist=$APT/etc/sources.list"
    -o "Dir::Etc::sourceparts=$APT/etc/sources.list.d"
    -o "Dir::Etc::preferencesparts=$APT/etc/preferences.d"
    -o "Dir::State=$APT"
    -o "Dir::State::lists=$APT/lists"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$APT"
    -o "Dir::Cache::archives=$APT/archives"
    -o "APT::Sandbox::User=root"
)
log "reading trixie's source index (private apt state in $APT)"
apt-get "${aptopts[@]}" -qq update >&2

SRCDIR=$CACHE/src
rm -rf "$SRCDIR"
mkdir -p "$SRCDIR"
log "fetching Debian's source package python$VERSION_SERIES"
(cd "$SRCDIR" && apt-get "${aptopts[@]}" -qq source --download-only "python$VERSION_SERIES" >&2)
dscs=("$SRCDIR"/python"$VERSION_SERIES"_*.dsc)
dsc=${dscs[0]}
[[ -f "$dsc" ]] || { log "no python$VERSION_SERIES source package was fetched"; exit 1; }
(cd "$SRCDIR" && dpkg-source --no-check --skip-patches -x "$dsc" tree >&2)

log "configure && make (upstream build) into $PREFIX; a few minutes"
BUILD=$SRCDIR/tree
(
    cd "$BUILD"
    ./configure --prefix="$PREFIX" --without-ensurepip --with-ensurepip=no \
        --disable-test-modules >"$CACHE/configure.log" 2>&1
    make -j"$(nproc)" >"$CACHE/make.log" 2>&1
    make install >"$CACHE/install.log" 2>&1
) || { log "build failed; see $CACHE/*.log"; exit 1; }
# ensurepip's wheel is part of the source tree; venvs need pip.
"$PY" -m ensurepip --default-pip >&2 2>/dev/null || true
rm -rf "$SRCDIR"
ready || { log "the built interpreter lacks a module (ssl, sqlite3, zlib, bz2, lzma, ctypes, venv)"; exit 1; }
echo "$PY"
