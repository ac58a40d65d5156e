#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Latency of berth-tui as a terminal sees it, for bench-tui.sh.

Usage: tui-latency.py TUI BERTH VICTIM KEYS STATES OUTDIR

Runs the dashboard on a pty of 120x40, without a multiplexer in between. Its output feeds a
terminal emulator (pyte); a sample ends at the read of the output after which the emulated
screen shows the change, timed when the bytes arrived (the emulator's own time is not part of
it):

  key    '>' or '<' written to the pty until the header shows the new sort column
  state  'berth freeze VICTIM' (or thaw) returning until VICTIM's row shows FROZEN (RUNNING);
         0 when the screen had it before the command returned. Also from the command's start
         (its whole run included), in OUTDIR/tui-cli.

Samples (nanoseconds, one a line) go to OUTDIR/tui-key, OUTDIR/tui-state and OUTDIR/tui-cli.
"""
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time

import pyte

COLS, ROWS = 120, 40
TIMEOUT = 5.0


class Dashboard:
    def __init__(self, tui):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")

        def controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([tui], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, preexec_fn=controlling_tty)
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, timeout):
        """Feeds what the dashboard wrote within timeout seconds; False when nothing came."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        self.stream.feed(data)
        return True

    def settle(self):
        """Reads until the dashboard is quiet for 50 ms."""
        while self.pump(0.05):
            pass

    def wait_for(self, pred, t0):
        """Nanoseconds from t0 until pred(lines) holds."""
        deadline = t0 + int(TIMEOUT * 1e9)
        while not pred(self.screen.display):
            now = time.monotonic_ns()
            if now > deadline:
                raise SystemExit("tui-latency: the screen never showed the change")
            self.pump((deadline - now) / 1e9)
        return time.monotonic_ns() - t0

    def answer(self, pred, t0):
        """Nanoseconds from t0 until the read after which the emulated screen satisfies pred:
        the time the dashboard's output arrived, not the emulator's time to process it."""
        deadline = t0 + int(TIMEOUT * 1e9)
        while True:
            now = time.monotonic_ns()
            if now > deadline:
                raise SystemExit("tui-latency: the screen never showed the change")
            r, _, _ = select.select([self.fd], [], [], (deadline - now) / 1e9)
            if not r:
                continue
            data = os.read(self.fd, 65536)
            arrived = time.monotonic_ns()
            self.stream.feed(data)
            if pred(self.screen.display):
                return arrived - t0


def main():
    tui, berth, victim, nkeys, nstates, outdir = sys.argv[1:7]
    d = Dashboard(tui)
    d.wait_for(lambda lines: any(l.startswith(victim + " ") for l in lines), time.monotonic_ns())
    d.settle()

    with open(os.path.join(outdir, "tui-key"), "w") as out:
        for i in range(int(nkeys)):
            key, col = (">", "STATE") if i % 2 == 0 else ("<", "NAME ")
            d.settle()
            t0 = time.monotonic_ns()
            os.write(d.fd, key.encode())
            took = d.answer(lambda lines: ("Sort " + col) in lines[1] + " ", t0)
            out.write("%d\n" % took)

    def row_shows(state):
        return lambda lines: any(l.startswith(victim + " ") and (" %s " % state) in l
                                 for l in lines)

    with open(os.path.join(outdir, "tui-state"), "w") as out, \
            open(os.path.join(outdir, "tui-cli"), "w") as cli:
        for _ in range(int(nstates)):
            for verb, state in (("freeze", "FROZEN"), ("thaw", "RUNNING")):
                d.settle()
                t0 = time.monotonic_ns()
                subprocess.run([berth, verb, victim], check=True, stdout=subprocess.DEVNULL)
                returned = time.monotonic_ns() - t0
                took = d.answer(row_shows(state), t0)
                # From the CLI's start (its own run included), and after it returned (0: the
                # screen had the change before the command was back).
                cli.write("%d\n" % took)
                out.write("%d\n" % max(0, took - returned))

    os.write(d.fd, b"q")
    try:
        d.proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        d.proc.kill()
        raise SystemExit("tui-latency: the dashboard did not quit on q")


if __name__ == "__main__":
    main()
