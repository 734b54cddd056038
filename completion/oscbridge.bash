# bash completion for oscbridge(1), installed as
# /usr/share/bash-completion/completions/oscbridge.
#
# Commands and options are read from `oscbridge [COMMAND] --help` (CLI11's layout), so a new
# command or option completes without a change here. Values: files for an option whose
# argument is FILE (-c/--config) and for a FILE argument (validate); endpoint and route names
# for --endpoint and --route, read with `oscbridge validate --names` from the file the line
# gives with -c/--config, else /etc/oscbridge/oscbridge.yaml.

# Prints the entries of section $2 ("Subcommands", "Options", "Positionals") of help text $1,
# one per line: the names (such as "-c,--config") and, when it takes one, the value's name.
_oscbridge_help_entries() {
  local line inside=0
  while IFS= read -r line; do
    if [[ $line == "$2:" ]]; then
      inside=1
    elif ((inside)); then
      [[ -z $line ]] && break
      [[ $line =~ ^\ +([^\ ]+)(\ [A-Z][A-Z_]*)? ]] &&
        printf '%s%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    fi
  done <<<"$1"
}

# Sets COMPREPLY to the $2 names ("endpoint" or "route") of configuration file $3 that start
# with $4, quoted for the command line (route names may hold spaces). $1 runs oscbridge.
_oscbridge_names() {
  local line name
  local -a found=()
  [[ -r $3 ]] || return 0
  while IFS= read -r line; do
    [[ $line == "$2 "* ]] || continue
    name=${line#"$2 "}
    [[ $name == "$4"* ]] && found+=("$(printf '%q' "$name")")
  done < <("$1" validate --names "$3" 2>/dev/null)
  COMPREPLY=("${found[@]}")
}

_oscbridge_files() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_oscbridge() {
  local cmd=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  command -v "$cmd" >/dev/null 2>&1 || cmd=oscbridge
  # `--config=FILE`: bash splits the word at `=` (COMP_WORDBREAKS).
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi

  # The configuration file given so far, and the words that are not options or their values.
  local i word config=/etc/oscbridge/oscbridge.yaml
  local -a words=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      -c | --config)
        [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
        ((i + 1 < COMP_CWORD)) && config=${COMP_WORDS[i + 1]}
        ((i++))
        ;;
      --config=*) config=${word#--config=} ;;
      -* | =) ;;
      *) words+=("$word") ;;
    esac
  done
  [[ $config == "~/"* ]] && config=$HOME/${config#"~/"}

  case $prev in
    --endpoint) _oscbridge_names "$cmd" endpoint "$config" "$cur" && return 0 ;;
    --route) _oscbridge_names "$cmd" route "$config" "$cur" && return 0 ;;
  esac

  # The command: the first of those words that --help lists as one.
  local help commands sub=
  help=$("$cmd" --help 2>/dev/null)
  commands=$(_oscbridge_help_entries "$help" Subcommands)
  for word in "${words[@]}"; do
    if grep -qxF -- "$word" <<<"$commands"; then
      sub=$word
      break
    fi
  done

  [[ -n $sub ]] && help=$("$cmd" "$sub" --help 2>/dev/null)
  local entry names value options=()
  while read -r names value; do
    local -a spelled
    IFS=, read -ra spelled <<<"$names"
    options+=("${spelled[@]}")
    local name
    for name in "${spelled[@]}"; do
      if [[ $prev == "$name" && -n $value ]]; then
        [[ $value == FILE ]] && _oscbridge_files "$cur"
        return 0 # a value of another kind: nothing to offer
      fi
    done
  done < <(_oscbridge_help_entries "$help" Options)

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${options[*]}" -- "$cur")
  elif [[ -z $sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
  else
    while read -r entry value; do
      if [[ $entry == FILE ]]; then
        _oscbridge_files "$cur"
        break
      fi
    done < <(_oscbridge_help_entries "$help" Positionals)
  fi
  return 0
}
complete -F _oscbridge oscbridge
