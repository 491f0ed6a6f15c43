"""End to end: `cirrinactl vm console` with the real test guest, through a
pseudo-terminal made by the test.

One QEMU guest (tests/data/guest) is booted through the daemon with
`cirrinactl vm start`; the steps run in order on it: the boot seen with
`vm log`, a command typed on the console and its answer read back (the
terminal raw while attached, Ctrl+] detaches, the terminal exactly as
before), the terminal restored when cirrinactl is killed, `--raw` on plain
pipes, and the same round trip over --host (an ssh stand-in running the
remote cirrinactl here).

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINACTL=build/cli/cirrinactl \\
      CIRRINA_SOURCE_ROOT=$PWD /usr/bin/python3 -m unittest tests/cli/test_console.py -v
"""

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'e2e'))

import cli_harness as cli  # noqa: E402
import guest  # noqa: E402
from harness import VM, CirrinaTestCase, Harness, require_environment  # noqa: E402

ESCAPE = b'\x1d'   # Ctrl+]
ANSWER_TIMEOUT = 60


def raw_mode(attrs):
    """True when a terminal's attributes are raw (no echo, no lines)."""
    lflag = attrs[3]
    return not (lflag & termios.ECHO) and not (lflag & termios.ICANON)


def stty(fd):
    return subprocess.run(['stty', '-a'], stdin=fd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout.decode()


class Terminal:
    """A pseudo-terminal: the test holds the master, cirrinactl gets the
    slave as its stdin, stdout and stderr."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.output = b''

    def close(self):
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def attrs(self):
        return termios.tcgetattr(self.slave)

    def spawn(self, args, env):
        return subprocess.Popen([cli.cirrinactl_path()] + args, stdin=self.slave,
                                stdout=self.slave, stderr=self.slave, env=env,
                                start_new_session=True)

    def read_until(self, pattern, timeout=ANSWER_TIMEOUT):
        """Reads the master until pattern (bytes regex) matches what was
        read; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.output)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'{pattern!r} did not appear within {timeout} s; the '
                                     f'terminal shows:\n{self.output[-2000:]!r}')
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    pass

    def type(self, data):
        os.write(self.master, data)

    def wait_raw(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not raw_mode(self.attrs()):
            if time.monotonic() > deadline:
                raise AssertionError('cirrinactl did not put the terminal in raw mode:\n'
                                     + stty(self.slave))
            time.sleep(0.02)


class ConsoleTest(CirrinaTestCase):

    @classmethod
    def setUpClass(cls):
        require_environment()
        if not os.path.exists('/usr/bin/qemu-system-x86_64'):
            raise unittest.SkipTest('qemu-system-x86_64 is not installed')
        cls.h = Harness('cli-console')
        cls.class_harness = cls.h
        cls.dir = None
        try:
            cls.h.start()
            cls.c = cls.h.client()
            cls.dir = tempfile.mkdtemp(prefix='cirrinactl-console-')
            cls.ctl_env = cli.base_env(cls.h.address)
            iso = guest.guest_iso(cls.h.tmp)
            cls.run_ok('iso', 'register', 'guest', iso)
            cls.run_ok('vm', 'create', 'cons', 'ISOs=guest', f'Memory={guest.GUEST_MEMORY}')
            cls.vm = cls.c.lookup('VM', 'cons')
            if 'OpenConsole' not in cls.c.introspect(cls.vm):
                raise unittest.SkipTest('this cirrinad has no OpenConsole yet')
            cls.run_ok('vm', 'start', 'cons')
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        tmp = cls.h.tmp
        try:
            if tmp and cls.h.daemon_alive():
                cls.c.call(cls.vm, VM, 'Kill', timeout=60)
        except Exception:
            pass
        cls.h.cleanup()
        if tmp:
            guest.kill_vm_processes(tmp)
        if cls.dir:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def run_ok(cls, *args):
        r = cli.run(cls.h.address, *args, timeout=300)
        if r.rc != 0:
            raise AssertionError(repr(r))
        return r

    def terminal(self):
        t = Terminal()
        self.addCleanup(t.close)
        return t

    def test_1_log_shows_the_boot(self):
        deadline = time.monotonic() + guest.BOOT_TIMEOUT
        while guest.READY not in self.run_ok('vm', 'log', 'cons').out:
            self.assertLess(time.monotonic(), deadline,
                            'the guest never printed its marker: '
                            + self.run_ok('vm', 'log', 'cons').out[-1500:])
            time.sleep(0.5)
        tail = self.run_ok('vm', 'log', 'cons', '--bytes', '100').out
        log = self.run_ok('vm', 'log', 'cons').out   # the log may have grown meanwhile
        self.assertLessEqual(len(tail.encode()), 100)
        self.assertIn(tail, log)
        self.assertIn('Booting', log, 'the whole log, from the firmware on')

    def round_trip(self, t, proc, expression, answer):
        """Types a shell command on the console and reads its answer."""
        t.read_until(rb'Escape character is \^\]')
        t.wait_raw()
        t.type(b'\r')   # a fresh prompt
        t.type(f'echo CIR$(({expression}))NA\r'.encode())
        t.read_until(f'CIR{answer}NA'.encode(), timeout=ANSWER_TIMEOUT)
        self.assertIsNone(proc.poll(), 'still attached')
        t.type(ESCAPE)
        self.assertEqual(proc.wait(10), 0, t.output[-500:])

    def test_2_console_round_trip_and_detach(self):
        t = self.terminal()
        before, before_text = t.attrs(), stty(t.slave)
        self.assertFalse(raw_mode(before))
        proc = t.spawn(['vm', 'console', 'cons'], self.ctl_env)
        self.round_trip(t, proc, '6*7', 42)
        self.assertEqual(t.attrs(), before, 'the terminal is as it was:\nbefore:\n'
                         + before_text + '\nafter:\n' + stty(t.slave))
        self.assertIn(b'Connected to VM cons (com1)', t.output)
        # The typed command reached the guest's shell, which echoed it.
        self.assertIn(b'echo CIR$((6*7))NA', t.output)

    def test_3_terminal_restored_when_killed(self):
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                t = self.terminal()
                before = t.attrs()
                proc = t.spawn(['vm', 'console', 'cons', '--history=0'], self.ctl_env)
                t.read_until(rb'Escape character')
                t.wait_raw()
                proc.send_signal(sig)
                self.assertEqual(proc.wait(10), -sig)
                self.assertEqual(t.attrs(), before, stty(t.slave))

    def test_4_raw_mode_on_pipes(self):
        proc = subprocess.Popen([cli.cirrinactl_path(), 'vm', 'console', '--raw', '--history=0',
                                 'cons'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.ctl_env)
        out = b''
        try:
            time.sleep(0.5)
            proc.stdin.write(b'\necho CIR$((6*7+1))NA\n')
            proc.stdin.flush()
            deadline = time.monotonic() + ANSWER_TIMEOUT
            while b'CIR43NA' not in out and time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], 0.5)
                if ready:
                    out += os.read(proc.stdout.fileno(), 65536)
            self.assertIn(b'CIR43NA', out)
            proc.stdin.close()   # the end of input detaches
            self.assertEqual(proc.wait(10), 0)
            self.assertEqual(proc.stderr.read(), b'', 'no banner, no noise')
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_5_console_over_host(self):
        if not cli.stdio_bridge():
            self.skipTest('systemd-stdio-bridge is not installed')
        env = dict(self.ctl_env, **cli.remote_env(self.dir, self.h.address))
        env.pop('DBUS_SYSTEM_BUS_ADDRESS')   # only the "remote" side has the bus
        t = self.terminal()
        before = t.attrs()
        proc = t.spawn(['--host', 'admin@vmhost', 'vm', 'console', 'cons', '--history=0'], env)
        self.round_trip(t, proc, '6*7+2', 44)
        self.assertEqual(t.attrs(), before, stty(t.slave))
        self.assertIn(b'on admin@vmhost', t.output)
        with open(env['FAKE_SSH_LOG']) as f:
            last = f.read().splitlines()[-1]
        self.assertEqual(last, f'-xT admin@vmhost -- {cli.cirrinactl_path()} vm console --raw '
                               "--history 0 'cons'")
        # The remote cirrinactl ends with the ssh stream (give it time to).
        deadline = time.monotonic() + 10
        while True:
            left = subprocess.run(['pgrep', '-f', 'vm console --raw --history 0 cons'],
                                  stdout=subprocess.PIPE)
            if not left.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(left.stdout, b'', 'no remote cirrinactl left behind')


if __name__ == '__main__':
    unittest.main(verbosity=2)
