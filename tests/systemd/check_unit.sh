#!/usr/bin/env bash
# Checks the configured systemd unit: `systemd-analyze verify` finds nothing to say
# about it, and `systemd-analyze security` rates its exposure at or below a ceiling.
#   check_unit.sh UNIT_FILE EXECUTABLE MAX_EXPOSURE [DROP_IN]
# With DROP_IN (a file of systemd/ such as midi-alsa.conf), the unit is checked as that
# drop-in changes it: its sections are appended to the copy, which is how systemd applies a
# drop-in (later assignments win, list settings such as DeviceAllow= add up).
# verify insists that ExecStart's binary exists, and the installed path
# (/usr/local/bin/oscbridge) does not on a build machine, so the check runs on a
# copy whose ExecStart names EXECUTABLE instead; every other line is the unit's own.
# --offline because build machines and containers have no systemd as PID 1.
set -euo pipefail

unit=$1
executable=$2
max_exposure=$3
drop_in=${4:-}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ -f $unit ]] || fail "no configured unit at $unit"
[[ -x $executable ]] || fail "$executable is not executable"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (Debian package: systemd)"

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
copy=$workdir/$(basename "$unit")

grep -q '^ExecStart=[^ ]*/oscbridge run' "$unit" || fail "$unit: ExecStart does not run 'oscbridge run'"
sed -E "s#^ExecStart=[^ ]+#ExecStart=${executable}#" "$unit" >"$copy"
if [[ -n $drop_in ]]; then
  [[ -f $drop_in ]] || fail "no drop-in at $drop_in"
  grep -q '^\[Service\]' "$drop_in" || fail "$drop_in: no [Service] section"
  cat "$drop_in" >>"$copy"
fi
# Documentation=man:... makes verify run man(1) on each page: on a build machine MANPATH points
# at the built pages; OSCBRIDGE_UNIT_NO_MAN=1 (a build without scdoc) leaves the line out.
if [[ ${OSCBRIDGE_UNIT_NO_MAN:-} == 1 ]]; then
  sed -i '/^Documentation=man:/d' "$copy"
fi

# verify exits 0 on unknown keys and unparsable values (it only warns), so any
# message about this unit counts as a failure.
verify_output=$(systemd-analyze verify "$copy" 2>&1) || fail "systemd-analyze verify exited $?:
$verify_output"
unit_messages=$(grep -F "$(basename "$unit")" <<<"$verify_output" || true)
[[ -z $unit_messages ]] || fail "systemd-analyze verify complains about the unit:
$unit_messages"

security_output=$(systemd-analyze security --offline=true "$copy" 2>&1) ||
  fail "systemd-analyze security exited $?:
$security_output"
exposure=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+(\.[0-9]+)?).*/\1/p' \
  <<<"$security_output")
[[ -n $exposure ]] || fail "no overall exposure level in systemd-analyze security output:
$security_output"

if ! awk -v got="$exposure" -v max="$max_exposure" 'BEGIN { exit !(got <= max) }'; then
  fail "exposure $exposure is above $max_exposure; settings that count against it:
$(grep '✗' <<<"$security_output")"
fi
echo "systemd-analyze verify: clean; security exposure $exposure (ceiling $max_exposure)${drop_in:+ with $(basename "$drop_in")}"
