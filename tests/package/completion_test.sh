#!/usr/bin/env bash
# The bash completion, for real: completion/oscbridge.bash is sourced into bash and its
# _oscbridge driven the way bash drives it (COMP_WORDS, COMP_CWORD), with the oscbridge binary
# under test as the command, so commands, options and names come from the real --help and
# `validate --names`.
# Usage: completion_test.sh COMPLETION_SCRIPT OSCBRIDGE_BINARY
set -uo pipefail
completion=$1
binary=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# shellcheck source=/dev/null
source "$completion" || exit 1
complete -p oscbridge >/dev/null || { echo "FAIL: no 'complete ... oscbridge'"; exit 1; }

# complete WORD... : the last word is the one being completed; prints COMPREPLY, one per line.
complete_words() {
  COMP_WORDS=("$binary" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _oscbridge oscbridge "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect "WANTED LINES" WORD... : the completions are exactly these lines (sorted).
expect() {
  local wanted got
  wanted=$(printf '%s' "$1" | sort)
  shift
  got=$(complete_words "$@")
  if [[ $got != "$wanted" ]]; then
    echo "FAIL: oscbridge $*<TAB>"
    echo "  wanted: $(tr '\n' '|' <<<"$wanted")"
    echo "  got:    $(tr '\n' '|' <<<"$got")"
    failures=$((failures + 1))
  else
    echo "ok: oscbridge $*<TAB> -> $(tr '\n' ' ' <<<"$got")"
  fi
}

mkdir "$dir/conf.d"
cat >"$dir/studio.yaml" <<'YAML'
endpoints:
  touchosc: { protocol: udp, listen: 127.0.0.1:8000, send: 127.0.0.1:9000 }
  reaper: { protocol: udp, send: 127.0.0.1:9001 }
  ardour: { protocol: tcp, connect: 127.0.0.1:3819 }
routes:
  - { name: mute groups, from: touchosc, to: reaper }
  - { name: faders, from: touchosc, to: ardour }
  - { from: reaper, to: touchosc }
YAML
touch "$dir/stage.yaml"

expect $'midi-ports\nreload\nrun\nstatus\ntap\nvalidate' ""
expect "validate" va
expect $'--help\n--version\n-h' -
expect $'--config\n-c\n--control\n--help\n-h' run -
expect $'--control\n--help\n--json\n-h' status -
expect $'--help\n--names' validate --
expect $'--names' validate --na
# Files: after -c/--config (also --config=FILE) and as validate's FILE.
expect "$dir/studio.yaml"$'\n'"$dir/stage.yaml" run -c "$dir/st"
expect "$dir/studio.yaml"$'\n'"$dir/stage.yaml" run --config = "$dir/st"
expect "$dir/studio.yaml" validate --names "$dir/stu"
expect "$dir/conf.d" validate "$dir/co"
# Endpoint and route names from the file given with -c, for any --endpoint/--route.
expect $'ardour\nreaper\ntouchosc' -c "$dir/studio.yaml" tap --endpoint ""
expect "reaper" tap --config="$dir/studio.yaml" --endpoint re
expect "reaper" tap --config = "$dir/studio.yaml" --endpoint re
expect $'faders\nmute\\ groups\nroute\\ 3' tap -c "$dir/studio.yaml" --route ""
expect 'mute\ groups' tap -c "$dir/studio.yaml" --route mu
# An invalid or missing file offers no names rather than an error on the terminal.
expect "" tap -c "$dir/stage.yaml" --endpoint ""
expect "" tap -c "$dir/absent.yaml" --route ""
# A value that is not a file gets no file names.
expect "" run --help "$dir/st"

if ((failures)); then
  echo "$failures completion checks failed"
  exit 1
fi
echo "every completion check passed"
