#!/usr/bin/python3
"""docs/configuration.md and the manual page oscbridge.yaml(5) document the same YAML keys.

What counts as a key (docs/configuration.md says so at its top):
  - in the Markdown reference: every `backquoted` name in the first column of a table whose
    first header cell is "key", under the nearest heading above the table (fenced ``` blocks
    are skipped, so a YAML comment there is not a heading);
  - in the scdoc page: every line that starts with *name* and a colon (a bold word at the
    very start of the line, as in "*listen*: _address_, ..."), under the nearest heading above
    it (``` blocks skipped).
Headings are compared lowercased, without backquotes and surrounding blanks, so the key
`listen` under "### udp" in the docs must be "*listen*" under "## udp" in the page.

Usage: man_keys.py DOCS.md PAGE.scd   (exit 0 when they agree, 1 with every difference)
"""
import re
import sys

NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
HEADING = re.compile(r"^(#+)\s+(.*?)\s*#*\s*$")


def section_name(text):
    return text.replace("`", "").strip().lower()


def cells(row):
    # "| a | b |" -> ["a", "b"]; a \| inside a cell is not a separator.
    parts = re.split(r"(?<!\\)\|", row.strip())
    return [cell.strip() for cell in parts[1:-1]]


def docs_keys(path):
    keys = set()
    section = None
    in_fence = False
    in_key_table = False
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            in_key_table = False
            continue
        if in_fence:
            continue
        heading = HEADING.match(line)
        if heading:
            section = section_name(heading.group(2))
            in_key_table = False
            continue
        if not line.lstrip().startswith("|"):
            in_key_table = False
            continue
        row = cells(line)
        if not row:
            continue
        if not in_key_table:
            # A table's header row (or any row of a table that is not a key table).
            in_key_table = row[0].lower() == "key" and section is not None
            continue
        if re.fullmatch(r":?-+:?", row[0]):
            continue  # the |---| line under the header
        names = re.findall(r"`(" + NAME + r")`", row[0])
        if not names:
            sys.exit(f"{path}:{number}: a row of a key table without a `key` in its first "
                     f"column: {line.strip()}")
        keys.update((section, name) for name in names)
    return keys


def page_keys(path):
    keys = set()
    section = None
    in_literal = False
    entry = re.compile(r"^\*(" + NAME + r")\*:")
    for line in open(path, encoding="utf-8"):
        if line.lstrip().startswith("```"):
            in_literal = not in_literal
            continue
        if in_literal:
            continue
        heading = HEADING.match(line)
        if heading:
            section = section_name(heading.group(2))
            continue
        match = entry.match(line)
        if match:
            keys.add((section, match.group(1)))
    return keys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    docs_path, page_path = sys.argv[1:]
    in_docs = docs_keys(docs_path)
    in_page = page_keys(page_path)
    # Either parser finding (almost) nothing means it broke, not that the files agree.
    for path, found in ((docs_path, in_docs), (page_path, in_page)):
        if len(found) < 10:
            print(f"{path}: only {len(found)} keys found; the parser no longer reads this file")
            return 1
    problems = []
    for section, name in sorted(in_docs - in_page, key=lambda k: (str(k[0]), k[1])):
        problems.append(f"key '{name}' (section '{section}') is in {docs_path} but not in "
                        f"{page_path}: add a line '*{name}*: ...' under '## {section}'")
    for section, name in sorted(in_page - in_docs, key=lambda k: (str(k[0]), k[1])):
        problems.append(f"key '{name}' (section '{section}') is in {page_path} but not in a "
                        f"'| key |' table under a '{section}' heading of {docs_path}")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{len(in_docs)} keys, documented in both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
