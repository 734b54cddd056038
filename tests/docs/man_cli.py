#!/usr/bin/python3
"""oscbridge(1) documents every command and option the binary has.

The commands are the "Subcommands:" entries of `oscbridge --help`; the options are the
"Options:" entries of `oscbridge --help` and of `oscbridge COMMAND --help` (CLI11's layout,
"  -c,--config FILE   description"). The page documents a command or an option when it has
an entry: a line of its COMMANDS or OPTIONS section that starts with the name in bold, alone
or in a comma-separated list of bold names ("*run* [...]", "*-c*, *--config* _FILE_"). Names
mentioned elsewhere (the SYNOPSIS, another entry's text) do not count. A new command or option (another session's `tap --endpoint`, say) fails
this test until the page describes it.

Usage: man_cli.py OSCBRIDGE_BINARY PAGE.scd
"""
import re
import subprocess
import sys


def entries(help_text, section):
    found = []
    inside = False
    for line in help_text.splitlines():
        if line == section + ":":
            inside = True
        elif inside:
            if not line.strip():
                break
            match = re.match(r"^ +(\S+)", line)
            if match:
                found.append(match.group(1))
    return found


def run_help(binary, *command):
    return subprocess.run([binary, *command, "--help"], capture_output=True, text=True,
                          check=True).stdout


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, page_path = sys.argv[1:]
    page = open(page_path, encoding="utf-8").read()
    # Bold names at the start of an entry line: "*run* [...]", "*-c*, *--config* _FILE_".
    documented = set()
    section = None
    for line in page.splitlines():
        if line.startswith("# "):
            section = line[2:].strip()
        elif section in ("COMMANDS", "OPTIONS"):
            head = re.match(r"\*[^*\s]+\*(?:, *\*[^*\s]+\*)*", line)
            if head:
                documented.update(re.findall(r"\*([^*\s]+)\*", head.group(0)))

    top = run_help(binary)
    commands = entries(top, "Subcommands")
    wanted = [("command", name) for name in commands]
    for spec in entries(top, "Options"):
        wanted += [("option", name) for name in spec.split(",")]
    for command in commands:
        for spec in entries(run_help(binary, command), "Options"):
            wanted += [(f"option of {command}", name) for name in spec.split(",")]
    if len(commands) < 2 or len(wanted) < 6:
        print(f"only {len(commands)} commands and {len(wanted)} names read from --help: the "
              "parser no longer reads CLI11's help")
        return 1
    missing = [(kind, name) for kind, name in wanted if name not in documented]
    for kind, name in missing:
        print(f"{kind} '{name}' is not documented in {page_path} (no entry line starting "
              f"with *{name}*)")
    if missing:
        return 1
    print(f"{len(set(wanted))} commands and options, all documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
