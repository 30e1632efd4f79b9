#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Usage: check-help.py PROGRAM PAGE.scd [--commands]

Checks that PROGRAM's --help and its man page source PAGE.scd agree, so
that neither changes alone:

- the options of `PROGRAM --help` (all but -h/--help) are exactly those
  listed in the page's OPTIONS section (a line starting with *-...*
  followed by an indented description);
- with --commands, the commands listed under "Commands:" in `PROGRAM
  --help` are exactly the page's "## NAME" subsections of COMMANDS; for
  each, the usage line of `PROGRAM NAME --help` is the subsection's
  synopsis line (its first line starting with *NAME*), and the options of
  `PROGRAM NAME --help` are the subsection's options plus, at most, the
  global ones. Commands are read from --help, so a new one needs a page
  entry.

Options are compared as they are written: short and long names and the
argument's name ("-t, --target=[ENDPOINT/]NAME"), scdoc's *bold* and
_underline_ marks removed.
"""
import re
import subprocess
import sys

OPTION_LINE = re.compile(r'^\*-')


def run_help(program, *args):
    result = subprocess.run([program, *args, '--help'], capture_output=True, text=True,
                            env={'LC_ALL': 'C.UTF-8', 'PATH': '/usr/bin:/bin'})
    if result.returncode != 0:
        sys.exit(f'{program} {" ".join(args)} --help exited with {result.returncode}: '
                 f'{result.stderr.strip()}')
    return result.stdout


def help_options(text):
    """The option specs of a GOption --help text, without the help options."""
    options = set()
    for line in text.splitlines():
        m = re.match(r'^  (-\S.*?)(?:\s{2,}|$)', line)
        if m and not is_help(m.group(1)):
            options.add(m.group(1))
    return options


def is_help(spec):
    return spec.startswith(('-h, --help', '--help'))


def help_usage(text):
    """What follows "[OPTION…] " on the usage line."""
    for line in text.splitlines():
        m = re.match(r'^\s+\S+ \[OPTION…\] (.*)$', line)
        if m:
            return m.group(1).strip()
    sys.exit('no usage line in:\n' + text)


def help_commands(text):
    lines = text.splitlines()
    try:
        start = lines.index('Commands:') + 1
    except ValueError:
        sys.exit('no "Commands:" in --help')
    names = []
    for line in lines[start:]:
        if line == '':
            break
        m = re.match(r'^  (\S+)', line)
        if m:
            names.append(m.group(1))
    return names


def unmark(text):
    """scdoc source to plain text: no *bold*, _underline_ or escapes."""
    text = re.sub(r'(?<!\\)[*_]', '', text)
    return text.replace('\\*', '*').replace('\\_', '_').strip()


def page_sections(path):
    """{section: {subsection or '': [lines]}} of an scdoc page."""
    sections = {}
    section = sub = None
    with open(path, encoding='utf-8') as page:
        for line in page.read().splitlines():
            if line.startswith('# '):
                section, sub = line[2:].strip(), ''
                sections[section] = {sub: []}
            elif line.startswith('## ') and section is not None:
                sub = line[3:].strip()
                sections[section][sub] = []
            elif section is not None:
                sections[section][sub].append(line)
    return sections


def page_options(lines):
    # a term: *-…* at the start of a line, its description indented below
    specs = {unmark(line) for line, below in zip(lines, lines[1:] + [''])
             if OPTION_LINE.match(line) and below.startswith('\t')}
    return {spec for spec in specs if not is_help(spec)}


def compare(what, from_help, from_page, errors):
    for spec in sorted(from_help - from_page):
        errors.append(f'{what}: {spec} is in --help but not in the man page')
    for spec in sorted(from_page - from_help):
        errors.append(f'{what}: {spec} is in the man page but not in --help')


def check_commands(program, sections, global_options, errors):
    commands = help_commands(run_help(program))
    page = {k: v for k, v in sections.get('COMMANDS', {}).items() if k != ''}
    compare('commands', set(commands), set(page), errors)
    for name in commands:
        if name not in page:
            continue
        text = run_help(program, name)
        synopsis = [unmark(l) for l in page[name] if re.match(r'^\*' + re.escape(name) + r'\*', l)]
        usage = help_usage(text)
        if not synopsis:
            errors.append(f'{name}: no synopsis line *{name}* in the man page')
        elif synopsis[0] != usage:
            errors.append(f'{name}: usage differs:\n  --help: {usage}\n  page:   {synopsis[0]}')
        own = page_options(page[name])
        from_help = help_options(text)
        # the global options may show in a command's --help too
        compare(name, from_help - (global_options - own), own, errors)
    return len(commands)


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != '--commands'):
        sys.exit(__doc__)
    program, path = sys.argv[1], sys.argv[2]
    sections = page_sections(path)
    if 'OPTIONS' not in sections:
        sys.exit(f'{path}: no OPTIONS section')
    errors = []
    global_options = help_options(run_help(program))
    compare('options', global_options, page_options(sections['OPTIONS']['']), errors)
    checked = check_commands(program, sections, global_options, errors) if len(sys.argv) == 4 else 0
    for error in errors:
        print(error, file=sys.stderr)
    print(f'{len(global_options)} options, {checked} commands compared; {len(errors)} differences')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
