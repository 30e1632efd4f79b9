#!/usr/bin/env python3
"""Runs the documents' example blocks as a user would paste them.

Every fenced block that follows a line `<!-- tested: NAME -->` in the
files given is run line by line, in the order of the files and of the
blocks in each, against a service like the one `./run-demo --serve` starts:
the simulated board with one hart, a private dbus-daemon that the commands
see as the system bus (DBUS_SYSTEM_BUS_ADDRESS, which openocdctl, busctl,
gdbus and dbus-send all follow), and openocd-dbusd on it, running the
board's OpenOCD as the endpoint "default". Each line runs in bash in a
directory of its own holding `fw.bin` (an image to program) with the
client's directory first on PATH; a line that exits non-zero fails the
test, naming the file, the line and what it printed. Lines that are only a
comment are skipped, and a line ending in a backslash is joined with the
next. A ```python block runs whole, in --python. Then the daemon must exit
0 on SIGTERM.

Usage: test-readme-examples.py --sim SIM --daemon DAEMON --ctl CTL
                               --sim-cfg CFG --python PYTHON FILE...
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARK = re.compile(r'^<!-- tested: ([\w.-]+) -->\s*$')
LINE_TIMEOUT = 120  # give up on a line after this long (a hang, not a bound)
PYTHON = 'python3'


def blocks(path):
    """(name, first line number, [(line number, argv)]) per tested block."""
    lines = open(path, encoding='utf-8').read().split('\n')
    found = []
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith('```'):
            sys.exit(f'{path}:{i}: "tested: {m.group(1)}" is not followed by a fenced block')
        start = i + 1
        python = lines[i].strip() == '```python'
        i += 1
        commands = []
        pending, pending_no = '', None
        while i < len(lines) and not lines[i].startswith('```'):
            text = lines[i]
            if pending_no is None:
                pending_no = i + 1
            if text.endswith('\\'):
                pending += text[:-1] + ' '
            else:
                pending += text
                if pending.strip() and not pending.lstrip().startswith('#'):
                    commands.append((pending_no, ['bash', '-o', 'pipefail', '-c', pending]))
                pending, pending_no = '', None
            i += 1
        if i >= len(lines):
            sys.exit(f'{path}:{start}: the block "{m.group(1)}" never ends')
        if python:
            script = '\n'.join(lines[start:i])
            commands = [(start + 1, [PYTHON, '-c', script])]
        if not commands:
            sys.exit(f'{path}:{start}: the block "{m.group(1)}" has no command')
        found.append((m.group(1), start, commands))
        i += 1
    return found


def wait_for_line(proc, pattern, what):
    """The first line of proc's stdout that matches pattern, within 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if re.search(pattern, line):
            return line.strip()
    sys.exit(f'test-readme-examples: {what} did not start')


class Testbed:
    def __init__(self, args, work):
        self.procs = []
        self.sim = self.start([args.sim, '--port', '0'], stdout=subprocess.PIPE)
        port = wait_for_line(self.sim, r'^listening on port', 'the simulated board').split()[3]
        conf = os.path.join(work, 'openocd-dbus.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write('[Endpoint default]\n'
                    'Exec=openocd -c "adapter driver remote_bitbang" '
                    f'-c "remote_bitbang port {port}" -f {args.sim_cfg}\n')
        self.bus_proc = self.start(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                                   stdout=subprocess.PIPE)
        self.bus = wait_for_line(self.bus_proc, r'^unix:', 'dbus-daemon')
        self.daemon = self.start([args.daemon, '--address', self.bus, '--config', conf])
        for _ in range(300):
            ok = subprocess.run([args.ctl, '--address', self.bus, 'state'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if ok.returncode == 0:
                break
            time.sleep(0.1)
        else:
            sys.exit('test-readme-examples: the service never published riscv.cpu')

    def start(self, argv, **kw):
        proc = subprocess.Popen(argv, text=True, **kw)
        self.procs.append(proc)
        return proc

    def jobs_running(self):
        tree = subprocess.run(['busctl', f'--address={self.bus}', '--list', 'tree', 'org.openocd'],
                              capture_output=True, text=True).stdout.split()
        running = 0
        for path in (p for p in tree if p.startswith('/org/openocd/jobs/')):
            state = subprocess.run(['busctl', f'--address={self.bus}', 'get-property', 'org.openocd',
                                    path, 'org.openocd.Job', 'State'],
                                   capture_output=True, text=True).stdout
            running += '"running"' in state
        return running

    def stop(self):
        """The daemon's exit status on SIGTERM, then everything stopped."""
        status = None
        if self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                status = self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        else:
            status = self.daemon.returncode
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sim', required=True)
    parser.add_argument('--daemon', required=True)
    parser.add_argument('--ctl', required=True)
    parser.add_argument('--sim-cfg', required=True)
    parser.add_argument('--python', default='python3')
    parser.add_argument('files', nargs='+')
    args = parser.parse_args()
    global PYTHON
    PYTHON = args.python

    todo = [(path, block) for path in args.files for block in blocks(path)]
    if not todo:
        sys.exit('test-readme-examples: no tested block in ' + ' '.join(args.files))

    work = tempfile.mkdtemp(prefix='readme-examples-')
    bed = None
    failed = None
    try:
        with open(os.path.join(work, 'fw.bin'), 'wb') as f:
            f.write(bytes((i * 7 + 3) & 0xff for i in range(4096)))
        bed = Testbed(args, work)
        env = dict(os.environ,
                   DBUS_SYSTEM_BUS_ADDRESS=bed.bus,
                   PATH=os.path.dirname(os.path.abspath(args.ctl)) + ':' + os.environ['PATH'])
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        for path, (name, start, commands) in todo:
            print(f'== {path}: {name} (line {start})', flush=True)
            for number, argv in commands:
                command = argv[-1]
                print(f'$ {command}', flush=True)
                try:
                    run = subprocess.run(argv, cwd=work, env=env,
                                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                         timeout=LINE_TIMEOUT)
                    out, code = run.stdout + run.stderr, run.returncode
                except subprocess.TimeoutExpired as e:
                    out, code = str(e), 'timeout'
                print(out, end='' if out.endswith('\n') or not out else '\n', flush=True)
                if code != 0:
                    failed = f'{path}:{number}: "{command.splitlines()[0]}" failed ({code})'
                    break
            if failed:
                break
            # a job the block left running ends before the next block and
            # before the daemon, as it would while a person reads on
            for _ in range(600):
                if not bed.jobs_running():
                    break
                time.sleep(0.1)
    finally:
        status = bed.stop() if bed else 0
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        sys.exit('test-readme-examples: ' + failed)
    if status != 0:
        sys.exit(f'test-readme-examples: openocd-dbusd exited with {status} on SIGTERM')
    print(f'test-readme-examples: {sum(len(b[2]) for _, b in todo)} commands of '
          f'{len(todo)} blocks ran')


if __name__ == '__main__':
    main()
