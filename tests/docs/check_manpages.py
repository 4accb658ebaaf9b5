#!/usr/bin/env python3
"""Keep the man pages true to the programs they describe (ctest unit.manpages).

Usage: check_manpages.py PAGE=PROGRAM [PAGE=PROGRAM ...]

For each page and the built program it documents:
  - every option the program's --help defines (a help line that starts
    with -x or --name) is an item of the page's OPTIONS section, and
    every item there is one the --help defines: an option added to or
    removed from the code shows up here;
  - every other --name the --help mentions (rtproam-ctl's `watch
    --interval`) appears somewhere in the page;
  - groff renders the page with all warnings on (-ww) and says nothing.

Prints one line per page and exits 1 if any check failed.
"""

import re
import subprocess
import sys
from pathlib import Path

HELP_TIMEOUT_S = 20
GROFF_TIMEOUT_S = 20

# An option as a word of its own: "-x" or "--name", not the dash inside
# "rtproam-ctl" or a negative number.
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")
LONG_OPTION = re.compile(r"(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*)")
# A help line that defines options: indented, then "-x, --name", "-x" or
# "--name" before the argument and the description.
HELP_DEFINITION = re.compile(r"^\s+(-[A-Za-z0-9](?:,\s*--[\w-]+)?|--[\w-]+)")


def help_options(text):
    """Options the help text defines, and long ones it only mentions."""
    defined, mentioned = set(), set()
    for line in text.splitlines():
        m = HELP_DEFINITION.match(line)
        if m:
            defined.update(OPTION.findall(m.group(1)))
        mentioned.update(LONG_OPTION.findall(line))
    return defined, mentioned - defined


def roff_plain(line):
    """The words of a roff line: \\- as -, font and special escapes gone."""
    line = line.replace("\\-", "-")
    line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
    line = re.sub(r"\\\(..", " ", line)
    line = re.sub(r"\\[&e]", " ", line)
    return line


def page_sections(source):
    """{section name: its lines}, for the .SH sections of a man page."""
    sections, name = {}, None
    for line in source.splitlines():
        if line.startswith(".SH"):
            name = line[3:].strip().strip('"')
            sections[name] = []
        elif name is not None:
            sections[name].append(line)
    return sections


def item_options(lines):
    """Options named in the tags of the .TP items of a section."""
    found = set()
    for prev, line in zip(lines, lines[1:]):
        if prev.strip() == ".TP":
            found.update(OPTION.findall(roff_plain(line)))
    return found


def run(cmd, timeout):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          check=False)


def check(page, program):
    problems = []
    source = page.read_text(encoding="utf-8")
    sections = page_sections(source)
    helped = run([program, "--help"], HELP_TIMEOUT_S)
    if helped.returncode != 0:
        problems.append(f"{program} --help exited {helped.returncode}")
    defined, mentioned = help_options(helped.stdout)
    if not defined:
        problems.append(f"{program} --help defines no option (format changed?)")
    if "OPTIONS" not in sections:
        problems.append("no OPTIONS section")
    items = item_options(sections.get("OPTIONS", []))
    for opt in sorted(defined - items):
        problems.append(f"{opt}: in --help, not an item of OPTIONS")
    for opt in sorted(items - defined):
        problems.append(f"{opt}: an item of OPTIONS, not in --help")
    plain = roff_plain(source)
    for opt in sorted(mentioned):
        if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", plain):
            problems.append(f"{opt}: mentioned by --help, not in the page")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS",
                    "EXAMPLES", "SEE ALSO"):
        if section not in sections:
            problems.append(f"no {section} section")
    rendered = run(["groff", "-man", "-ww", "-z", str(page)], GROFF_TIMEOUT_S)
    if rendered.returncode != 0 or rendered.stderr.strip():
        problems.append(f"groff -man -ww: exit {rendered.returncode}: "
                        f"{rendered.stderr.strip()}")
    return problems, len(defined), len(mentioned)


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    failed = 0
    for arg in argv[1:]:
        page, program = arg.split("=", 1)
        problems, ndefined, nmentioned = check(Path(page), program)
        name = Path(page).name
        if problems:
            failed += 1
            for p in problems:
                print(f"check_manpages: {name}: {p}")
        else:
            print(f"check_manpages: {name}: {ndefined} options of --help "
                  f"are its OPTIONS items, {nmentioned} more mentioned in it; "
                  f"groff -ww clean")
    print(f"check_manpages: {len(argv) - 1 - failed} of {len(argv) - 1} pages OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
