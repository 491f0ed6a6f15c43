"""Shared machinery for the cirrinactl tests: running the binary against a
private daemon (tests/integration/harness.py), parsing its tables, and an
ssh stand-in for --host.

Environment: CIRRINACTL (the binary, set by meson), plus what harness.py
reads (CIRRINAD, CIRRINA_SOURCE_ROOT).
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))

from harness import Harness, HarnessError, source_root  # noqa: E402

FAKES = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')
BRIDGE_CANDIDATES = ('/usr/bin/systemd-stdio-bridge', '/usr/lib/systemd/systemd-stdio-bridge',
                     '/lib/systemd/systemd-stdio-bridge')

# Exit codes (cirrinactl(1)).
OK, FAILURE, USAGE, NOT_FOUND, DENIED, CONFLICT = 0, 1, 2, 3, 4, 5


def cirrinactl_path():
    path = os.environ.get('CIRRINACTL') or os.path.join(source_root(), 'build', 'cli',
                                                        'cirrinactl')
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise HarnessError(f'no cirrinactl binary at {path} (set CIRRINACTL, or build first)')
    return path


def stdio_bridge():
    for p in BRIDGE_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return shutil.which('systemd-stdio-bridge')


class Result:
    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.out = proc.stdout.decode('utf-8', 'replace')
        self.err = proc.stderr.decode('utf-8', 'replace')

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return (f'cirrinactl {" ".join(self.argv)} -> exit {self.rc}\n'
                f'stdout: {self.out!r}\nstderr: {self.err!r}')


def base_env(address):
    """The environment of a cirrinactl run: the private system bus only
    (no session bus, so the automatic choice cannot wander off)."""
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8', 'HOME': '/nonexistent'}
    # The sanitizer build's settings (./run tests) apply to cirrinactl too.
    for name in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'G_SLICE', 'G_DEBUG'):
        if name in os.environ:
            env[name] = os.environ[name]
    if address:
        env['DBUS_SYSTEM_BUS_ADDRESS'] = address
    return env


def run(address, *args, env=None, user=None, stdin=subprocess.DEVNULL, cwd=None, timeout=120):
    """Runs cirrinactl with args; user: a uid to run as (setpriv)."""
    full_env = base_env(address)
    full_env.update(env or {})
    argv = [cirrinactl_path()] + [str(a) for a in args]
    if user is not None:
        argv = ['setpriv', f'--reuid={user}', f'--regid={user}', '--clear-groups'] + argv
    proc = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=full_env, cwd=cwd or '/', timeout=timeout)
    return Result([str(a) for a in args], proc)


def parse_table(text):
    """An aligned table as (headers, rows of dicts); asserts that every
    cell starts in its header's column."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r'\S+', header)]
    names = header.split()
    rows = []
    for line in lines[1:]:
        row = {}
        for i, name in enumerate(names):
            start = starts[i]
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            if start > 0 and line[start - 1] != ' ':
                raise AssertionError(f'column {name} is not aligned in:\n{text}')
            row[name] = line[start:end].strip()
        rows.append(row)
    return names, rows


def parse_properties(text):
    """'Key: value' lines as a dict; asserts the values are aligned."""
    props, columns = {}, set()
    for line in text.splitlines():
        m = re.match(r'^(\w+):( +)(.*)$', line)
        if m:
            props[m.group(1)] = m.group(3)
            columns.add(len(m.group(1)) + 1 + len(m.group(2)))
        else:
            m = re.match(r'^(\w+):$', line)
            if not m:
                raise AssertionError(f'not a "Key: value" line: {line!r}')
            props[m.group(1)] = ''
    if len(columns) > 1:
        raise AssertionError(f'values not aligned (columns {sorted(columns)}):\n{text}')
    return props


def bhyve_harness(label):
    """A Harness with Hypervisor=bhyve and the stand-ins of
    tests/data/fake-bhyve, so that the power methods work (as in
    tests/integration/test_bhyve_lifecycle.py)."""
    h = Harness(label, hypervisor='bhyve')
    h.extra_env = {'PATH': FAKES + ':' + os.environ.get('PATH', '/usr/bin:/bin')}
    h.start()
    with open(h.config_path, 'a') as f:
        f.write('[firmware]\n'
                f'UEFICode={h.path("files", "BHYVE_UEFI_CODE.fd")}\n'
                f'UEFIVars={h.path("files", "BHYVE_UEFI_VARS.fd")}\n')
    for name in ('BHYVE_UEFI_CODE.fd', 'BHYVE_UEFI_VARS.fd'):
        with open(h.path('files', name), 'wb') as f:
            f.write(b'\0' * 4096)
    h.extra_env['CIRRINA_FAKE_BHYVE_DIR'] = h.path('files')
    h.restart_daemon()
    return h


FAKE_SSH = r'''#!/bin/sh
# ssh stand-in for the cirrinactl tests: records its arguments, skips the
# options and the host, and runs the remote command here, on the "remote"
# bus ($FAKE_REMOTE_BUS), as sshd would run it on the other machine.
printf '%s\n' "$*" >> "$FAKE_SSH_LOG"
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; break ;;
	*) shift ;;
	esac
done
DBUS_SYSTEM_BUS_ADDRESS=$FAKE_REMOTE_BUS
export DBUS_SYSTEM_BUS_ADDRESS
exec sh -c "$*"
'''


def write_fake_ssh(directory):
    path = os.path.join(directory, 'fake-ssh')
    with open(path, 'w') as f:
        f.write(FAKE_SSH)
    os.chmod(path, 0o755)
    return path


def remote_env(directory, remote_address):
    """The environment for --host through the stand-in: the remote side
    runs systemd-stdio-bridge on remote_address."""
    bridge = stdio_bridge()
    return {
        'CIRRINA_SSH': write_fake_ssh(directory),
        'CIRRINA_REMOTE_BRIDGE': f"{bridge} --bus-path='{remote_address}'",
        'CIRRINA_REMOTE_CIRRINACTL': cirrinactl_path(),
        'FAKE_REMOTE_BUS': remote_address,
        'FAKE_SSH_LOG': os.path.join(directory, 'fake-ssh.log'),
    }
