#!/usr/bin/env bash
# `cmake --install` ships what the .deb ships, under its prefix: the binary, the unit (whose
# ExecStart names that binary), the default configuration, the manual pages, the completion,
# the docs and examples; and, like a conffile, an existing configuration survives a reinstall.
# Usage: cmake_install_test.sh BUILD_DIR BINDIR SYSCONFDIR UNITDIR DATADIR MANDIR DOCDIR
# (the configured absolute directories; it installs into a temporary DESTDIR)
set -euo pipefail
build=$1 bindir=$2 sysconfdir=$3 unitdir=$4 datadir=$5 mandir=$6 docdir=$7
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

DESTDIR=$dest cmake --install "$build" >"$dest/install.log" 2>&1 ||
  { cat "$dest/install.log"; fail "cmake --install"; }
config=$dest$sysconfdir/oscbridge/oscbridge.yaml
for file in "$bindir/oscbridge" "$unitdir/oscbridge.service" "$sysconfdir/oscbridge/oscbridge.yaml" \
  "$datadir/bash-completion/completions/oscbridge" "$docdir/configuration.md" \
  "$docdir/examples/touchosc-reaper.yaml"; do
  [[ -f $dest$file ]] || fail "cmake --install did not install $file"
done
if [[ -d $build/man/man1 ]]; then # scdoc was found
  [[ -f $dest$mandir/man1/oscbridge.1 && -f $dest$mandir/man5/oscbridge.yaml.5 ]] ||
    fail "the manual pages were built but not installed"
fi
grep -qx "ExecStart=$bindir/oscbridge run" "$dest$unitdir/oscbridge.service" ||
  fail "the unit does not run $bindir/oscbridge"
[[ ! -e $dest$sysconfdir/oscbridge/oscbridge.yaml.example ]] || fail "a stray oscbridge.yaml.example"
cmp -s "$config" "$(dirname "$0")/../../etc/oscbridge.yaml" ||
  fail "$config is not etc/oscbridge.yaml"

echo "# local routes" >>"$config"
DESTDIR=$dest cmake --install "$build" >/dev/null
grep -qx "# local routes" "$config" || fail "a second cmake --install overwrote $config"
echo "cmake --install: every file in place; an existing configuration was kept"
