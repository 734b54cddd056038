#!/usr/bin/env bash
# Builds the Debian package from this tree and checks it the way a user meets it:
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree in a temporary directory (so build
#      products never land in the tree or next to it), with .git, so --version names the commit;
#   2. lintian on the .deb and its -dbgsym: any error or warning fails;
#   3. apt-get install of the .deb (as root; without a running systemd the unit is only
#      enabled, not started), then --version, validate of the conffile, man -w for both pages,
#      the completion, the unit's ExecStart;
#   4. a local change to /etc/oscbridge/oscbridge.yaml survives reinstalling the package;
#   5. apt-get purge removes /etc/oscbridge.
# It installs and purges the system's oscbridge package: meant for CI and throwaway machines.
# Not root: skipped (exit 0) with a message. OSCBRIDGE_PACKAGE_KEEP=DIR copies the .debs there;
# OSCBRIDGE_PACKAGE_DEBS=DIR checks the .debs in DIR instead of building them.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

if [[ $(id -u) != 0 ]]; then
  echo "SKIPPED: scripts/test-package.sh installs and purges the oscbridge package; run it as root"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oscbridge-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# README's third way to install, which this script follows (it installs the dependencies
# first; CI has run install-deps already).
readme_line='bash scripts/install-deps.sh && dpkg-buildpackage -us -uc -b && apt-get install -y ../oscbridge_*.deb'
grep -qxF "$readme_line" README.md ||
  fail "README.md no longer says '$readme_line': change it and this script together"

shopt -s nullglob
if [[ -n ${OSCBRIDGE_PACKAGE_DEBS:-} ]]; then
  # Checks .debs built before (to try the checks below without waiting for a build).
  echo "-- using the packages in $OSCBRIDGE_PACKAGE_DEBS"
  cp "$OSCBRIDGE_PACKAGE_DEBS"/oscbridge*.deb "$work"/
  mkdir "$work/oscbridge"
else
  echo "-- copying the tree to $work/oscbridge"
  mkdir "$work/oscbridge"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    # What git tracks plus new files it does not ignore (so no build trees), and .git itself,
    # so that --version names the commit.
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' file; do [[ -e $file || -L $file ]] && printf '%s\0' "$file"; done |
      tar -C "$src" --null -T - -cf - | tar -C "$work/oscbridge" -xf -
    cp -a .git "$work/oscbridge/.git"
  else
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$work/oscbridge" -xf -
  fi

  # parallel=: dpkg-buildpackage builds on one CPU unless told (README's line leaves it so).
  echo "-- dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=parallel=$(nproc))"
  start=$SECONDS
  (cd "$work/oscbridge" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { tail -n 60 "$work/build.log"; fail "dpkg-buildpackage (log above)"; }
  echo "   built in $((SECONDS - start)) s"
fi
debs=("$work"/oscbridge_*.deb)
dbgsym=("$work"/oscbridge-dbgsym_*.deb)
((${#debs[@]} == 1)) || fail "expected one oscbridge_VERSION_ARCH.deb, got: ${debs[*]:-none}"
((${#dbgsym[@]} == 1)) || fail "expected one oscbridge-dbgsym_VERSION_ARCH.deb, got: ${dbgsym[*]:-none}"
deb=${debs[0]}
if [[ -n ${OSCBRIDGE_PACKAGE_KEEP:-} ]]; then
  mkdir -p "$OSCBRIDGE_PACKAGE_KEEP" && cp "$deb" "${dbgsym[0]}" "$OSCBRIDGE_PACKAGE_KEEP"/
fi
echo "   $(basename "$deb"): $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
echo "   Depends: $(dpkg-deb -f "$deb" Depends)"

echo "-- lintian"
lintian --display-info --fail-on error,warning "$deb" "${dbgsym[0]}" ||
  fail "lintian reports errors or warnings (above)"
echo "   lintian: no errors, no warnings"

echo "-- apt-get install"
if dpkg-query -W -f='${Status}' oscbridge 2>/dev/null | grep -q installed; then
  apt-get purge -y oscbridge >/dev/null
fi
(cd "$work/oscbridge" && apt-get install -y ../oscbridge_*.deb) </dev/null >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "apt-get install -y ../oscbridge_*.deb"; }

version=$(dpkg-query -W -f='${Version}' oscbridge)
revision=unknown
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  revision=$(git -C "$src" describe --always --dirty --abbrev=12)
fi
said=$(oscbridge --version)
[[ $said == "oscbridge $version (git $revision)" ]] ||
  fail "oscbridge --version says '$said', expected 'oscbridge $version (git $revision)'"
echo "   $said"

oscbridge validate /etc/oscbridge/oscbridge.yaml
dpkg-query -W -f='${Conffiles}\n' oscbridge | grep -q '^ /etc/oscbridge/oscbridge.yaml ' ||
  fail "/etc/oscbridge/oscbridge.yaml is not a conffile"
man -w oscbridge && man -w oscbridge.yaml || fail "man -w does not find the pages"
[[ -d /usr/share/doc/oscbridge/examples ]] || fail "no /usr/share/doc/oscbridge/examples"
bash -c 'source /usr/share/bash-completion/completions/oscbridge && complete -p oscbridge' ||
  fail "the bash completion does not load"
unit=/lib/systemd/system/oscbridge.service
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[[ $exec_start == /usr/bin/oscbridge && -x $exec_start ]] ||
  fail "$unit runs '$exec_start', not the installed /usr/bin/oscbridge"
[[ -L /etc/systemd/system/multi-user.target.wants/oscbridge.service ]] ||
  fail "the unit is not enabled"
if [[ -d /run/systemd/system ]]; then
  systemctl is-active --quiet oscbridge || fail "systemd runs here, but oscbridge is not active"
fi

echo "-- a local change to the conffile survives a reinstall"
sed -i 's/^  level: info/  level: debug/' /etc/oscbridge/oscbridge.yaml
grep -q '^  level: debug' /etc/oscbridge/oscbridge.yaml || fail "could not edit the conffile"
dpkg -i "$deb" </dev/null >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log"; fail "dpkg -i"; }
grep -q '^  level: debug' /etc/oscbridge/oscbridge.yaml ||
  fail "reinstalling the package overwrote the local change to /etc/oscbridge/oscbridge.yaml"
oscbridge validate /etc/oscbridge/oscbridge.yaml

echo "-- apt-get purge"
apt-get purge -y oscbridge </dev/null >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
[[ ! -e /etc/oscbridge ]] || fail "/etc/oscbridge is still there after the purge"
[[ ! -e /usr/bin/oscbridge ]] || fail "/usr/bin/oscbridge is still there after the purge"
[[ ! -e /etc/systemd/system/multi-user.target.wants/oscbridge.service ]] ||
  fail "the unit is still enabled after the purge"
echo "package: built, lintian-clean, installed, checked, reinstalled, purged"
