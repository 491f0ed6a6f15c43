#!/usr/bin/python3
"""Runs one GUI test program (a GTest C program linked with the app, see
gui-test.h) in a world of its own, then cleans up:

- a private system bus and cirrinad as root on it, in a temporary
  directory and a network namespace of its own (tests/integration/
  harness.py: Harness, or PolkitHarness with a real polkitd);
- an Xvfb on a free display (-displayfd), and a private session bus;
- HOME, XDG_* directories, GSETTINGS_BACKEND=memory, GDK_BACKEND=x11,
  GTK_A11Y=test, owned by the user the program runs as.

The program finds the bus in DBUS_SYSTEM_BUS_ADDRESS (the app's default
bus), writes screenshots to CIRRINA_GUI_SCREENSHOT_DIR (copied to
--screenshots afterwards), and can ask this wrapper to change the world
through a control socket (CIRRINA_GUI_TEST_CONTROL_FD; gui_test_control()
in gui-test.c): one command per line, answered "ok" or "error <why>":
    start-daemon | ensure-daemon (start it unless it runs) | stop-daemon |
    kill-daemon | restart-daemon

Usage:
  run-gui-test.py [--no-daemon] [--polkit-rules FILE --user NAME]
                  [--screenshots DIR] [--hypervisor NAME] -- PROGRAM [ARGS]

  --no-daemon      the bus is there, cirrinad is not (start-daemon starts it)
  --polkit-rules   run a real polkitd with these rules (JavaScript file)
  --user           run the program as this test user of the polkit world
                   (cirrina-alice, cirrina-bob, cirrina-carol) via setpriv

Exit status: the program's; 77 (skip) without root, Xvfb or dbus-daemon.
Environment: CIRRINAD and CIRRINA_SOURCE_ROOT as for the integration tests;
CIRRINA_TEST_KEEP=1 keeps the temporary directories.
"""

import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import harness  # noqa: E402

SKIP = 77
XVFB_TIMEOUT = 20.0


def skip(why):
    print(f'SKIP: {why}', file=sys.stderr)
    sys.exit(SKIP)


def make_world_class(base):
    class GuiWorld(base):
        """The harness's world, optionally without a daemon at first."""

        def __init__(self, daemon_at_start=True, **kwargs):
            super().__init__(**kwargs)
            self.daemon_at_start = daemon_at_start

        def start(self):
            if self.daemon_at_start:
                return super().start()
            real = self.start_daemon
            self.start_daemon = lambda wait=True: None
            try:
                return super().start()
            finally:
                self.start_daemon = real

    return GuiWorld


class Xvfb:
    """An X server on a display nobody uses (Xvfb picks it: -displayfd);
    -ac so that a test user may connect too."""

    def __init__(self, log_path):
        if not shutil.which('Xvfb'):
            skip('Xvfb is not installed')
        read_end, write_end = os.pipe()
        self.log = open(log_path, 'wb')
        self.proc = subprocess.Popen(
            ['Xvfb', '-displayfd', str(write_end), '-nolisten', 'tcp', '-ac', '-noreset',
             '-screen', '0', '1280x800x24'],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, pass_fds=[write_end],
            start_new_session=True)
        os.close(write_end)
        number = b''
        deadline = time.monotonic() + XVFB_TIMEOUT
        while not number.endswith(b'\n'):
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not select.select([read_end], [], [], timeout)[0]:
                break
            chunk = os.read(read_end, 64)
            if not chunk:
                break
            number += chunk
        os.close(read_end)
        if not number.strip():
            self.stop()
            raise harness.HarnessError('Xvfb did not report a display within '
                                       f'{XVFB_TIMEOUT:.0f} s (see {log_path})')
        self.display = ':' + number.decode().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class SessionBus:
    """A private session bus (only for a program that runs as root: a
    session bus accepts its own user only)."""

    def __init__(self, log_path):
        self.log = open(log_path, 'wb')
        self.proc = subprocess.Popen(
            ['dbus-daemon', '--session', '--print-address', '--nofork', '--nopidfile'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True)
        line = harness._read_line(self.proc.stdout, harness.START_TIMEOUT)
        if not line:
            self.stop()
            raise harness.HarnessError('the session dbus-daemon did not start')
        self.address = line.decode().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def serve_control(world, command):
    """One control command; returns the answer line."""
    try:
        if command == 'start-daemon':
            world.start_daemon()
        elif command == 'ensure-daemon':
            if not world.daemon_alive():
                world.start_daemon()
        elif command == 'stop-daemon':
            world.stop_daemon()
        elif command == 'kill-daemon':
            world.kill_daemon()
        elif command == 'restart-daemon':
            world.restart_daemon()
        else:
            return f'error unknown command {command!r}'
    except Exception as e:  # the test sees why, and fails
        return 'error ' + ' '.join(str(e).split())
    return 'ok'


def run_program(argv, env, control, uid):
    """Runs the program, serving its control commands until it exits."""
    if uid is not None:
        argv = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--'] + argv
    proc = subprocess.Popen(argv, env=env, pass_fds=[control[1].fileno()])
    control[1].close()
    sock = control[0]
    buffered = b''
    try:
        while proc.poll() is None:
            ready = select.select([sock], [], [], 0.2)[0]
            if not ready:
                continue
            chunk = sock.recv(4096)
            if not chunk:
                proc.wait()
                break
            buffered += chunk
            while b'\n' in buffered:
                line, buffered = buffered.split(b'\n', 1)
                answer = serve_control(WORLD, line.decode().strip())
                sock.sendall(answer.encode() + b'\n')
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return proc.returncode


WORLD = None


def main():
    global WORLD
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--no-daemon', action='store_true')
    parser.add_argument('--polkit-rules')
    parser.add_argument('--user')
    parser.add_argument('--screenshots')
    parser.add_argument('--hypervisor', default='auto')
    parser.add_argument('program', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    program = [a for a in args.program if a != '--'] if args.program[:1] == ['--'] \
        else args.program
    if not program:
        parser.error('no test program')

    if os.geteuid() != 0:
        skip('GUI tests run as root: cirrinad must own org.cirrina on the test system bus')
    if not shutil.which('dbus-daemon'):
        skip('dbus-daemon is not installed')
    if args.user and not args.polkit_rules:
        parser.error('--user needs --polkit-rules (the test users live in the polkit world)')

    # meson stops a test with SIGTERM: clean up all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    if args.polkit_rules:
        world = make_world_class(harness.PolkitHarness)(
            daemon_at_start=not args.no_daemon, label='cirrina-gui', hypervisor=args.hypervisor)
    else:
        world = make_world_class(harness.Harness)(
            daemon_at_start=not args.no_daemon, label='cirrina-gui', hypervisor=args.hypervisor)
    WORLD = world
    xvfb = session = None
    home = tempfile.mkdtemp(prefix='cirrina-gui-')
    try:
        try:
            world.start()
        except harness.unittest.SkipTest as e:
            skip(str(e))
        uid = None
        if args.user:
            uid = harness.TEST_USERS[args.user]
            with open(args.polkit_rules, encoding='utf-8') as f:
                world.set_rules({'50-gui-test.rules': f.read()})
        xvfb = Xvfb(os.path.join(home, 'xvfb.log'))

        dirs = {name: os.path.join(home, name)
                for name in ('home', 'runtime', 'cache', 'config', 'data', 'screenshots')}
        for d in dirs.values():
            os.mkdir(d, 0o700)
            if uid is not None:
                os.chown(d, uid, uid)
        if uid is not None:
            os.chmod(home, 0o755)

        env = {k: v for k, v in os.environ.items()
               if k.startswith(('ASAN_', 'LSAN_', 'UBSAN_', 'G_', 'MALLOC_', 'LANG', 'LC_'))
               or k in ('PATH', 'CIRRINA_SOURCE_ROOT', 'CIRRINA_TEST_TIMEOUT_SCALE',
                        'CIRRINA_GUI_TEST_SLOW')}
        env.update({
            'DBUS_SYSTEM_BUS_ADDRESS': world.address,
            'DISPLAY': xvfb.display,
            'HOME': dirs['home'],
            'XDG_RUNTIME_DIR': dirs['runtime'],
            'XDG_CACHE_HOME': dirs['cache'],
            'XDG_CONFIG_HOME': dirs['config'],
            'XDG_DATA_HOME': dirs['data'],
            'GSETTINGS_BACKEND': 'memory',
            'GDK_BACKEND': 'x11',
            'GTK_A11Y': 'test',
            'NO_AT_BRIDGE': '1',
            'GIO_USE_VFS': 'local',
            'CIRRINA_GUI_SCREENSHOT_DIR': dirs['screenshots'],
            'CIRRINA_GUI_TEST_USER': args.user or 'root',
        })
        if uid is None:
            session = SessionBus(os.path.join(home, 'session-bus.log'))
            env['DBUS_SESSION_BUS_ADDRESS'] = session.address
        else:
            env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=/nonexistent/no-session-bus'

        if uid is not None and 'suppressions=' in env.get('LSAN_OPTIONS', ''):
            # The test user may not read the source tree (a clone under
            # /root in CI): LeakSanitizer gets a copy it can read.
            options = []
            for option in env['LSAN_OPTIONS'].split(':'):
                if option.startswith('suppressions='):
                    copy = os.path.join(home, 'lsan.supp')
                    shutil.copy(option[len('suppressions='):], copy)
                    os.chmod(copy, 0o644)
                    option = 'suppressions=' + copy
                options.append(option)
            env['LSAN_OPTIONS'] = ':'.join(options)

        control = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env['CIRRINA_GUI_TEST_CONTROL_FD'] = str(control[1].fileno())
        status = run_program(program, env, control, uid)
        control[0].close()

        if args.screenshots:
            os.makedirs(args.screenshots, exist_ok=True)
            for name in sorted(os.listdir(dirs['screenshots'])):
                shutil.copy(os.path.join(dirs['screenshots'], name), args.screenshots)
        if status != 0:
            sys.stderr.write(f'\n{program[0]} exited with status {status}\n'
                             '---- cirrinad log ----\n' + world.log_text())
        if status < 0:
            status = 1
        return status
    finally:
        if session is not None:
            session.stop()
        if xvfb is not None:
            xvfb.stop()
        world.cleanup()
        if os.environ.get('CIRRINA_TEST_KEEP'):
            sys.stderr.write(f'kept {home}\n')
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
