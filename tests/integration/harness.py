"""Shared machinery for the cirrinad integration tests.

Every test gets its own world: a temporary directory, a private dbus-daemon
of type "system" (tests/data/system-bus.conf with the project's real policy,
dbus/org.cirrina.conf, included) and a cirrinad owning org.cirrina on it.

    h = Harness()          # or self.start_harness() in a CirrinaTestCase
    h.start()
    c = h.client()         # a dbus-python connection with helpers
    vm = c.create_vm('alpha', CPUs=2)
    h.restart_daemon(signal.SIGKILL)
    h.run_unprivileged([...])   # calls as nobody via setpriv
    h.db_dump()                 # the SQLite state, as SQL text lines
    h.cleanup()

Environment: CIRRINAD (the daemon binary, set by meson), CIRRINA_SOURCE_ROOT
(the repository), CIRRINA_TEST_KEEP=1 keeps the temporary directories.
Needs root (the daemon must own org.cirrina, setpriv must switch users).
"""

import itertools
import json
import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import dbus
import dbus.bus
import dbus.mainloop.glib
from gi.repository import GLib

BUS_NAME = 'org.cirrina'
ROOT_PATH = '/org/cirrina'

MANAGER = 'org.cirrina.Manager'
VM = 'org.cirrina.VM'
NIC = 'org.cirrina.NIC'
SWITCH = 'org.cirrina.Switch'
DISK = 'org.cirrina.Disk'
ISO = 'org.cirrina.ISO'
JOB = 'org.cirrina.Job'
CIRRINA_INTERFACES = (MANAGER, VM, NIC, SWITCH, DISK, ISO, JOB)

PROPERTIES = 'org.freedesktop.DBus.Properties'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable'

E_INVALID = 'org.cirrina.Error.InvalidArgument'
E_NOT_FOUND = 'org.cirrina.Error.NotFound'
E_EXISTS = 'org.cirrina.Error.Exists'
E_BUSY = 'org.cirrina.Error.Busy'
E_NOT_SUPPORTED = 'org.cirrina.Error.NotSupported'
E_FAILED = 'org.cirrina.Error.Failed'
E_CANCELLED = 'org.cirrina.Error.Cancelled'
E_ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
E_UNKNOWN_OBJECT = 'org.freedesktop.DBus.Error.UnknownObject'
E_UNKNOWN_METHOD = 'org.freedesktop.DBus.Error.UnknownMethod'

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

NOBODY = 65534
START_TIMEOUT = 10.0   # seconds for the bus or the daemon to come up
STOP_TIMEOUT = 10.0    # seconds for the daemon to exit after a signal
SIGNAL_TIMEOUT = 5.0   # seconds to wait for a D-Bus signal

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


class HarnessError(Exception):
    """The test world could not be set up (not a finding about the daemon)."""


# ---------------------------------------------------------------- locations

def source_root():
    root = os.environ.get('CIRRINA_SOURCE_ROOT')
    if root:
        return os.path.abspath(root)
    return os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def cirrinad_path():
    path = os.environ.get('CIRRINAD') or os.path.join(source_root(), 'build', 'service', 'cirrinad')
    return os.path.abspath(path)


def require_environment():
    """Skips (root) or fails (binary, policy) early with a clear reason."""
    if os.geteuid() != 0:
        raise unittest.SkipTest('integration tests run as root: cirrinad must own '
                                'org.cirrina on the test system bus and setpriv must switch users')
    if not shutil.which('dbus-daemon'):
        raise unittest.SkipTest('dbus-daemon is not installed')
    binary = cirrinad_path()
    if not os.access(binary, os.X_OK):
        raise HarnessError(f'no cirrinad binary at {binary} (set CIRRINAD, or build first)')


# ---------------------------------------------------- the API's XML, parsed

def parse_interfaces(xml_text):
    """{interface: {'methods': {name: [(arg, type, dir)]}, 'properties':
    {name: (type, access, emits)}, 'signals': {name: [(arg, type)]}}}.
    emits is the EmitsChangedSignal annotation's value or None."""
    result = {}
    for iface in ET.fromstring(xml_text).findall('interface'):
        methods, props, sigs = {}, {}, {}
        for m in iface.findall('method'):
            methods[m.get('name')] = [(a.get('name'), a.get('type'), a.get('direction', 'in'))
                                      for a in m.findall('arg')]
        for p in iface.findall('property'):
            emits = None
            for a in p.findall('annotation'):
                if a.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal':
                    emits = a.get('value')
            props[p.get('name')] = (p.get('type'), p.get('access'), emits)
        for s in iface.findall('signal'):
            sigs[s.get('name')] = [(a.get('name'), a.get('type')) for a in s.findall('arg')]
        result[iface.get('name')] = {'methods': methods, 'properties': props, 'signals': sigs}
    return result


_API = None


def api():
    """The interfaces defined in dbus/*.xml, the single source of truth."""
    global _API
    if _API is None:
        _API = {}
        for name in CIRRINA_INTERFACES:
            path = os.path.join(source_root(), 'dbus', name + '.xml')
            with open(path, encoding='utf-8') as f:
                _API.update(parse_interfaces(f.read()))
    return _API


# Method signatures of the standard interfaces we call.
_STANDARD_SIGNATURES = {
    (PROPERTIES, 'Get'): 'ss',
    (PROPERTIES, 'GetAll'): 's',
    (PROPERTIES, 'Set'): 'ssv',
    (OBJECT_MANAGER, 'GetManagedObjects'): '',
    (INTROSPECTABLE, 'Introspect'): '',
    ('org.freedesktop.DBus.Peer', 'Ping'): '',
}

# Config keys that are not properties (see the doc comments in the XML).
_EXTRA_KEYS = {
    VM: {'DisplayPassword': 's', 'DeleteDisks': 'b'},
}


def in_signature(iface, method):
    if (iface, method) in _STANDARD_SIGNATURES:
        return _STANDARD_SIGNATURES[(iface, method)]
    args = api()[iface]['methods'][method]
    return ''.join(t for _, t, d in args if d == 'in')


def key_type(iface, key):
    props = api().get(iface, {}).get('properties', {})
    if key in props:
        return props[key][0]
    return _EXTRA_KEYS.get(iface, {}).get(key)


# ------------------------------------------------------ D-Bus value helpers

def split_signature(sig):
    """'sa{sv}(uu)' -> ['s', 'a{sv}', '(uu)']"""
    out, i = [], 0
    while i < len(sig):
        j = _complete_type_end(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def _complete_type_end(sig, i):
    c = sig[i]
    if c == 'a':
        return _complete_type_end(sig, i + 1)
    if c in '({':
        close = ')' if c == '(' else '}'
        depth, j = 0, i
        while True:
            if sig[j] in '({':
                depth += 1
            elif sig[j] in ')}':
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
    return i + 1


def is_dbus_typed(value):
    return hasattr(value, 'variant_level')


def to_dbus(sig, value):
    """Converts a plain Python value to the dbus-python type for sig.
    Values that already are dbus-python types are left alone, so a test can
    pass a deliberately wrong type (e.g. dbus.String('2') for CPUs)."""
    if is_dbus_typed(value):
        return value
    simple = {'s': dbus.String, 'o': dbus.ObjectPath, 'u': dbus.UInt32, 't': dbus.UInt64,
              'i': dbus.Int32, 'x': dbus.Int64, 'b': dbus.Boolean, 'y': dbus.Byte,
              'd': dbus.Double, 'q': dbus.UInt16, 'n': dbus.Int16, 'g': dbus.Signature}
    if sig in simple:
        return simple[sig](value)
    if sig == 'v':
        return value
    if sig.startswith('a{'):
        k, v = split_signature(sig[2:-1])
        return dbus.Dictionary({to_dbus(k, kk): to_dbus(v, vv) for kk, vv in value.items()},
                               signature=k + v)
    if sig.startswith('a'):
        elem = sig[1:]
        return dbus.Array([to_dbus(elem, x) for x in value], signature=elem)
    if sig.startswith('('):
        members = split_signature(sig[1:-1])
        if len(members) != len(value):
            raise ValueError(f'{value!r} does not fit {sig}')
        return dbus.Struct(tuple(to_dbus(s, x) for s, x in zip(members, value)),
                           signature=sig[1:-1])
    raise ValueError(f'unsupported signature {sig}')


def config(iface, values):
    """An a{sv} dictionary, each value typed after the property of the same
    name in iface's XML (plain Python values in, typed dbus values out)."""
    d = dbus.Dictionary({}, signature='sv')
    for key, value in values.items():
        sig = key_type(iface, key)
        d[dbus.String(key)] = to_dbus(sig, value) if sig else value
    return d


def unwrap(value):
    """dbus-python values -> plain Python (bool, int, str, list, tuple, dict)."""
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Dictionary, dict)):
        return {unwrap(k): unwrap(v) for k, v in value.items()}
    if isinstance(value, dbus.Struct):
        return tuple(unwrap(x) for x in value)
    if isinstance(value, (dbus.Array, list)):
        return [unwrap(x) for x in value]
    if isinstance(value, (dbus.ObjectPath, dbus.String, dbus.Signature)):
        return str(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, tuple):
        return tuple(unwrap(x) for x in value)
    return value


def dbus_signature_of(value):
    """The D-Bus type of a value as received by dbus-python."""
    order = [(dbus.Boolean, 'b'), (dbus.Byte, 'y'), (dbus.Int16, 'n'), (dbus.UInt16, 'q'),
             (dbus.Int32, 'i'), (dbus.UInt32, 'u'), (dbus.Int64, 'x'), (dbus.UInt64, 't'),
             (dbus.Double, 'd'), (dbus.ObjectPath, 'o'), (dbus.Signature, 'g'),
             (dbus.String, 's')]
    for cls, sig in order:
        if isinstance(value, cls):
            return sig
    if isinstance(value, dbus.Dictionary):
        return 'a{' + (value.signature or '??') + '}'
    if isinstance(value, dbus.Array):
        return 'a' + (value.signature or '?')
    if isinstance(value, dbus.Struct):
        if value.signature:
            return '(' + value.signature + ')'
        return '(' + ''.join(dbus_signature_of(x) for x in value) + ')'
    return '?' + type(value).__name__


def path_encode(prefix, external_id):
    """sd_bus_path_encode(): every byte but [A-Za-z0-9] (and a leading
    digit) becomes _xx."""
    if not external_id:
        return prefix + '/_'
    out = []
    for i, ch in enumerate(external_id.encode()):
        c = chr(ch)
        if ('a' <= c <= 'z') or ('A' <= c <= 'Z') or (i > 0 and '0' <= c <= '9'):
            out.append(c)
        else:
            out.append('_%02x' % ch)
    return prefix + '/' + ''.join(out)


# -------------------------------------------------------------- the client

_MAINLOOP = None


def _mainloop():
    global _MAINLOOP
    if _MAINLOOP is None:
        _MAINLOOP = dbus.mainloop.glib.DBusGMainLoop()
    return _MAINLOOP


def pump(timeout=0.0):
    """Dispatches pending GLib events (and so dbus-python signal handlers)."""
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        while ctx.pending():
            ctx.iteration(False)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.005)


def wait_until(predicate, timeout=SIGNAL_TIMEOUT, interval=0.01):
    """Polls predicate (dispatching GLib events) until true or timeout;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        pump()
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Client:
    """A connection to the test bus, with small helpers around the API."""

    def __init__(self, address):
        self.bus = dbus.bus.BusConnection(address, mainloop=_mainloop())
        self.signals = []
        self._receivers = []

    def close(self):
        for r in self._receivers:
            try:
                r.remove()
            except Exception:
                pass
        self._receivers = []
        try:
            self.bus.close()
        except Exception:
            pass

    # ---- raw calls

    def call(self, path, iface, method, *args, signature=None, timeout=20):
        sig = in_signature(iface, method) if signature is None else signature
        return self.bus.call_blocking(BUS_NAME, str(path), iface, method, sig, args,
                                      timeout=timeout)

    def get_all(self, path, iface):
        return unwrap(self.call(path, PROPERTIES, 'GetAll', iface))

    def get_all_raw(self, path, iface):
        return self.call(path, PROPERTIES, 'GetAll', iface)

    def get(self, path, iface, name):
        return unwrap(self.call(path, PROPERTIES, 'Get', iface, name))

    def managed_objects(self):
        return unwrap(self.call(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects'))

    def managed_objects_raw(self):
        return self.call(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects')

    def objects_with(self, iface):
        """{path: properties} of every managed object carrying iface."""
        return {p: ifs[iface] for p, ifs in self.managed_objects().items() if iface in ifs}

    def introspect(self, path):
        return str(self.call(path, INTROSPECTABLE, 'Introspect'))

    def name_has_owner(self, name=BUS_NAME):
        return bool(self.bus.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                           'org.freedesktop.DBus', 'NameHasOwner', 's', (name,)))

    # ---- Manager

    def create_vm(self, name, **cfg):
        return str(self.call(ROOT_PATH, MANAGER, 'CreateVM', name, config(VM, cfg)))

    def create_switch(self, name, **cfg):
        return str(self.call(ROOT_PATH, MANAGER, 'CreateSwitch', name, config(SWITCH, cfg)))

    def create_disk(self, name, size=None, **cfg):
        if size is not None:
            cfg['Size'] = size
        return str(self.call(ROOT_PATH, MANAGER, 'CreateDisk', name, config(DISK, cfg)))

    def register_iso(self, name, path, **cfg):
        return str(self.call(ROOT_PATH, MANAGER, 'RegisterISO', name, path, config(ISO, cfg)))

    def lookup(self, kind, name_or_uuid):
        """kind: 'VM', 'Switch', 'Disk' or 'ISO'."""
        return str(self.call(ROOT_PATH, MANAGER, 'Get' + kind, name_or_uuid))

    # ---- objects

    def update(self, path, iface, **changes):
        self.call(path, iface, 'Update', config(iface, changes))

    def rename(self, path, iface, name):
        self.call(path, iface, 'Rename', name)

    def delete(self, path, iface, **options):
        if iface == VM:
            self.call(path, VM, 'Delete', config(VM, options))
        else:
            self.call(path, iface, 'Delete')

    def add_nic(self, vm, **cfg):
        return str(self.call(vm, VM, 'AddNIC', config(NIC, cfg)))

    def remove_nic(self, nic):
        self.call(nic, NIC, 'Remove')

    # ---- signals

    def record_signals(self):
        """Starts recording every signal org.cirrina sends; entries of
        self.signals are (path, interface, member, args) in plain Python."""
        def on_signal(*args, **kw):
            self.signals.append((str(kw['path']), str(kw['interface']), str(kw['member']),
                                 unwrap(list(args))))
        self._receivers.append(self.bus.add_signal_receiver(
            on_signal, bus_name=BUS_NAME, path_keyword='path',
            interface_keyword='interface', member_keyword='member'))
        # A round trip makes sure the match rule is in place.
        self.name_has_owner()

    def wait_for_signal(self, match, timeout=SIGNAL_TIMEOUT):
        """The first recorded signal for which match(path, iface, member,
        args) is true, or None after timeout."""
        def find():
            for s in self.signals:
                if match(*s):
                    return s
            return None
        return wait_until(find, timeout)


# ------------------------------------------------------------ the harness

_UNPRIVILEGED_SCRIPT = r'''
import json, os, sys
from gi.repository import Gio, GLib
calls = json.load(sys.stdin)
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "results": []}
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
for c in calls:
    try:
        params = GLib.Variant.parse(None, c["args"], None, None) if c["args"] else None
        reply = bus.call_sync(c["dest"], c["path"], c["iface"], c["method"], params, None,
                              Gio.DBusCallFlags.NO_AUTO_START, 20000, None)
        out["results"].append({"value": reply.unpack() if reply is not None else None})
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e)
        message = e.message
        if name and message.startswith("GDBus.Error:" + name + ": "):
            message = message[len("GDBus.Error:" + name + ": "):]
        out["results"].append({"error": name, "message": message})
json.dump(out, sys.stdout, default=repr)
'''


class Harness:
    """One private system bus and one cirrinad (restartable) in a temp dir."""

    def __init__(self, label='cirrina', hypervisor='auto', extra_config='', env=None,
                 daemon_prefix=None):
        """extra_config: more cirrinad.conf text (e.g. a [firmware] group);
        env: more environment for the daemon (e.g. a PATH with fakes);
        daemon_prefix: a command the daemon runs under, e.g.
        NetNamespace(...).prefix for a network namespace of its own.
        Without one, the daemon gets a network namespace made for it, so
        the bridges and taps of any test never touch the host's network."""
        self.label = label
        self.daemon_prefix = list(daemon_prefix or [])
        self.own_netns = daemon_prefix is None
        self.netns = None
        self.hypervisor = hypervisor
        self.extra_config = extra_config
        self.extra_env = env or {}
        self.tmp = None
        self.bus_proc = None
        self.daemon = None
        self.address = None
        self.clients = []
        self.starts = 0
        self.saved_log = ''
        self._control = None
        self._links_before = None
        self._switch_interfaces = set()

    # ---- paths

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    @property
    def state_dir(self):
        return self.path('state')

    @property
    def disk_dir(self):
        return self.path('disks')

    @property
    def iso_dir(self):
        return self.path('isos')

    @property
    def run_dir(self):
        return self.path('run')

    @property
    def db_path(self):
        return os.path.join(self.state_dir, 'cirrina.db')

    @property
    def config_path(self):
        return self.path('cirrinad.conf')

    @property
    def log_path(self):
        return self.path('cirrinad.log')

    # ---- life cycle

    def start(self):
        require_environment()
        self.tmp = tempfile.mkdtemp(prefix='cirrina-it-')
        # nobody must reach the bus socket for the unprivileged calls.
        os.chmod(self.tmp, 0o755)
        for d in ('state', 'disks', 'isos', 'run', 'files'):
            os.mkdir(self.path(d))
        self._links_before = _host_links()
        if self.own_netns and self.netns is None:
            self.netns = NetNamespace('h')
            self.daemon_prefix = self.netns.prefix
        self._start_bus()
        self._write_config()
        self.start_daemon()
        return self

    def _start_bus(self):
        policy = os.path.join(source_root(), 'dbus', 'org.cirrina.conf')
        if not os.path.isfile(policy):
            raise HarnessError(f'the bus policy {policy} does not exist; '
                               'the test bus includes the real one')
        template = os.path.join(source_root(), 'tests', 'data', 'system-bus.conf')
        with open(template, encoding='utf-8') as f:
            text = f.read()
        for placeholder in ('@CIRRINA_BUS_POLICY@', '@CIRRINA_BUS_ADDRESS@'):
            if placeholder not in text:
                raise HarnessError(f'{template} lacks the {placeholder} placeholder')
        socket_path = self.path('system_bus_socket')
        conf = self.path('system-bus.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(text.replace('@CIRRINA_BUS_POLICY@', policy)
                    .replace('@CIRRINA_BUS_ADDRESS@', 'unix:path=' + socket_path))
        self._bus_log = open(self.path('dbus-daemon.log'), 'wb')
        self.bus_proc = subprocess.Popen(
            ['dbus-daemon', '--config-file=' + conf, '--print-address', '--nofork',
             '--nopidfile'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._bus_log,
            start_new_session=True)
        line = _read_line(self.bus_proc.stdout, START_TIMEOUT)
        if not line:
            self.bus_proc.kill()
            self.bus_proc.wait()
            raise HarnessError('dbus-daemon did not print its address within '
                               f'{START_TIMEOUT:.0f} s:\n' + self._read(self.path('dbus-daemon.log')))
        self.address = line.decode().strip()
        self._control = dbus.bus.BusConnection(self.address)

    def _write_config(self):
        with open(self.config_path, 'w', encoding='utf-8') as f:
            f.write('[cirrinad]\n'
                    f'StateDirectory={self.state_dir}\n'
                    f'DiskDirectory={self.disk_dir}\n'
                    f'ISODirectory={self.iso_dir}\n'
                    f'RunDirectory={self.run_dir}\n'
                    f'Hypervisor={self.hypervisor}\n'
                    + self.extra_config)

    def start_daemon(self, wait=True):
        if self.daemon is not None and self.daemon.poll() is None:
            raise HarnessError('cirrinad is already running')
        self.starts += 1
        log = open(self.log_path, 'ab')
        log.write(f'===== cirrinad start #{self.starts} =====\n'.encode())
        log.flush()
        env = dict(os.environ)
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        env['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        env.update(self.extra_env)
        self.daemon = subprocess.Popen(
            self.daemon_prefix + [cirrinad_path(), '--system', '--config', self.config_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True)
        log.close()
        if wait:
            self.wait_for_daemon()

    def wait_for_daemon(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            if self._control.call_blocking(
                    'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                    'NameHasOwner', 's', (BUS_NAME,)):
                return
            code = self.daemon.poll()
            if code is not None:
                raise HarnessError(f'cirrinad exited with status {code} before owning '
                                   f'{BUS_NAME}:\n{self.log_text()}')
            if time.monotonic() > deadline:
                raise HarnessError(f'cirrinad did not own {BUS_NAME} within {timeout:.0f} s:\n'
                                   + self.log_text())
            time.sleep(0.02)

    def daemon_alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    def stop_daemon(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig, waits for the exit, returns the exit status (negative
        for a signal, as subprocess reports it); kills it after timeout."""
        if self.daemon is None:
            return None
        if self.daemon.poll() is None:
            self._remember_switch_interfaces()
            self.daemon.send_signal(sig)
            try:
                self.daemon.wait(timeout)
            except subprocess.TimeoutExpired:
                _killpg(self.daemon.pid)
                self.daemon.wait()
                raise HarnessError(f'cirrinad did not exit within {timeout:.0f} s of '
                                   f'{signal.Signals(sig).name}:\n{self.log_text()}')
        _killpg(self.daemon.pid)   # stragglers of its process group
        # As a service manager does before a restart: a helper the daemon
        # ran (ip link del ...) may still be finishing its work in the kernel.
        _wait_group_gone(self.daemon.pid)
        self._wait_name_released()
        return self.daemon.returncode

    def kill_daemon(self):
        return self.stop_daemon(signal.SIGKILL)

    def restart_daemon(self, sig=signal.SIGTERM):
        code = self.stop_daemon(sig)
        self.start_daemon()
        return code

    def _wait_name_released(self, timeout=5.0):
        if self._control is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self._control.call_blocking(
                        'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                        'NameHasOwner', 's', (BUS_NAME,)):
                    return
            except dbus.exceptions.DBusException:
                return
            time.sleep(0.01)

    def client(self):
        c = Client(self.address)
        self.clients.append(c)
        return c

    def cleanup(self):
        """Stops everything and removes the temporary directory; safe to
        call more than once and after a half-done start()."""
        for c in self.clients:
            c.close()
        self.clients = []
        if self.daemon is not None:
            if self.daemon.poll() is None:
                try:
                    self.stop_daemon(signal.SIGTERM, timeout=5)
                except Exception:
                    pass
            _killpg(self.daemon.pid)
            if self.daemon.poll() is None:
                self.daemon.kill()
                self.daemon.wait()
        if self._control is not None:
            try:
                self._control.close()
            except Exception:
                pass
            self._control = None
        if self.bus_proc is not None:
            if self.bus_proc.poll() is None:
                self.bus_proc.terminate()
                try:
                    self.bus_proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.bus_proc.kill()
                    self.bus_proc.wait()
            self.bus_proc.stdout.close()
            self._bus_log.close()
            self.bus_proc = None
        self._remove_leftover_links()
        if self.netns is not None:
            self.netns.delete()
            self.netns = None
        if self.tmp:
            # VMs outlive the daemon by design (own sessions): end any left
            # from this test, whatever ran them (QEMU, the bhyve stand-in).
            subprocess.run(['pkill', '-KILL', '-f', self.tmp], check=False)
        if self.tmp and os.path.isdir(self.tmp):
            self.saved_log = self.log_text()
            if os.environ.get('CIRRINA_TEST_KEEP'):
                sys.stderr.write(f'kept {self.tmp}\n')
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None

    # ---- host network hygiene: bridges a killed daemon may leave behind

    def _remember_switch_interfaces(self):
        try:
            objects = unwrap(self._control.call_blocking(
                BUS_NAME, ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', '', (), timeout=5))
            for interfaces in objects.values():
                name = interfaces.get(SWITCH, {}).get('Interface')
                if name:
                    self._switch_interfaces.add(name)
        except Exception:
            pass

    def _remove_leftover_links(self):
        if self._links_before is None or not shutil.which('ip'):
            return
        for name in self._switch_interfaces:
            if name not in self._links_before and name in _host_links():
                subprocess.run(['ip', 'link', 'del', name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)

    # ---- logs and state

    @staticmethod
    def _read(path):
        try:
            with open(path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log_text(self):
        if self.tmp and os.path.exists(self.log_path):
            return self._read(self.log_path)
        return self.saved_log

    def db_dump(self):
        """The database as SQL lines (schema and rows, sqlite_* internals
        left out), for before/after comparisons."""
        con = sqlite3.connect(f'file:{self.db_path}?mode=ro', uri=True, timeout=10)
        try:
            version = con.execute('PRAGMA user_version').fetchone()[0]
            lines = [line for line in con.iterdump()
                     if 'sqlite_sequence' not in line and 'sqlite_stat' not in line
                     and not line.startswith('ANALYZE sqlite_master')]
        finally:
            con.close()
        return [f'PRAGMA user_version={version};'] + lines

    def make_file(self, name, size, data=None):
        """A file under the temp dir (e.g. an ISO to register)."""
        path = self.path('files', name)
        with open(path, 'wb') as f:
            if data is not None:
                f.write(data)
            else:
                chunk = bytes(range(256)) * 4096
                left = size
                while left > 0:
                    f.write(chunk[:left])
                    left -= len(chunk)
        return path

    # ---- unprivileged calls

    def run_unprivileged(self, calls, uid=NOBODY, gid=NOBODY):
        """Runs calls as uid/gid (setpriv) in a separate Python process.

        calls: (path, interface, method, args) with args in GVariant text
        format, a tuple or None, e.g. "('vm1', @a{sv} {})"; the destination
        is org.cirrina unless the path is /org/freedesktop/DBus.
        Returns the child's {"uid", "gid", "groups", "results"}; each result
        is {"value": ...} or {"error": name, "message": text}."""
        payload = [{'dest': 'org.freedesktop.DBus' if p == '/org/freedesktop/DBus' else BUS_NAME,
                    'path': p, 'iface': i, 'method': m, 'args': a}
                   for p, i, m, a in calls]
        env = {'DBUS_SYSTEM_BUS_ADDRESS': self.address, 'PATH': '/usr/bin:/bin',
               'HOME': '/nonexistent', 'LANG': 'C.UTF-8', 'GIO_USE_VFS': 'local',
               'GSETTINGS_BACKEND': 'memory'}
        proc = subprocess.run(
            ['setpriv', f'--reuid={uid}', f'--regid={gid}', '--clear-groups',
             '/usr/bin/python3',
             '-c', _UNPRIVILEGED_SCRIPT],
            input=json.dumps(payload).encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd='/', timeout=120)
        if proc.returncode != 0:
            raise HarnessError(f'the unprivileged helper failed ({proc.returncode}):\n'
                               + proc.stderr.decode('utf-8', 'replace'))
        return json.loads(proc.stdout)


_unshare_mount = None


def UNSHARE_MOUNT():
    """unshare's arguments for a private mount namespace. Where / is not a
    mount point (a chroot, such as a fresh-root CI run) its propagation
    cannot be made private; there the namespace keeps it unchanged, which
    only lets our bind mounts show inside that chroot's own files."""
    global _unshare_mount
    if _unshare_mount is None:
        private = ['unshare', '--mount', '--propagation', 'private']
        ok = subprocess.run(private + ['true'], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
        _unshare_mount = private if ok else ['unshare', '--mount', '--propagation', 'unchanged']
    return list(_unshare_mount)


def _read_line(stream, timeout):
    deadline = time.monotonic() + timeout
    buf = b''
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        if b'\n' in buf:
            return buf.split(b'\n', 1)[0]
    return buf or None


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_group_gone(pgid, timeout=5.0):
    """Waits until no process of the group is left (zombies count as gone:
    they have finished exiting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open(f'/proc/{entry}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != 'Z':
                alive = True
                break
        if not alive:
            return
        time.sleep(0.005)


def _host_links():
    if not shutil.which('ip'):
        return set()
    try:
        out = subprocess.run(['ip', '-o', 'link', 'show'], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10, check=False).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return set()
    names = set()
    for line in out.splitlines():
        parts = line.split(':', 2)
        if len(parts) >= 2:
            names.add(parts[1].strip().split('@')[0])
    return names


# ------------------------------------------- private network namespaces

class NetNamespace:
    """A network namespace of the test's own, so that bridges and taps never
    touch the host's network: run the daemon in it with
    Harness(daemon_prefix=ns.prefix). delete() removes it with everything
    in it.

    Made with `unshare --net=FILE` and entered with `nsenter --net=FILE`
    rather than `ip netns`, whose exec and -n remount /sys and need / to be a
    mount point: they fail inside a chroot (a fresh-root CI run).

        ns = NetNamespace('switches')
        ns.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up0p')
        ns.links()['cirbr0']['master']
    """

    _serial = itertools.count(1)
    _dir = '/run/cirrina-test-netns'

    def __init__(self, label='cirrina'):
        for tool in ('ip', 'unshare', 'nsenter'):
            if not shutil.which(tool):
                raise unittest.SkipTest(f'{tool} is not installed')
        self.name = f'cirrina-{label}-{os.getpid()}-{next(self._serial)}'
        os.makedirs(self._dir, exist_ok=True)
        self.path = os.path.join(self._dir, self.name)
        open(self.path, 'w').close()
        r = subprocess.run(['unshare', f'--net={self.path}', 'true'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            os.unlink(self.path)
            raise unittest.SkipTest('cannot create a network namespace: '
                                    + r.stdout.decode(errors='replace').strip())
        self.ip('link', 'set', 'lo', 'up')

    @property
    def prefix(self):
        """Runs a command in the namespace, with a /sys of its own that shows
        the namespace's interfaces (as `ip netns exec` gives), in a mount
        namespace of its own. Tools by path: the daemon's PATH may put a
        recording ip first."""
        return ([shutil.which('nsenter'), f'--net={self.path}', '--'] + UNSHARE_MOUNT()
                + ['sh', '-c', 'mount -t sysfs sysfs /sys && exec "$@"', 'sh'])

    def ip(self, *args, check=True):
        """ip ARGS inside the namespace; its output."""
        r = subprocess.run([shutil.which('nsenter'), f'--net={self.path}', '--',
                            shutil.which('ip')] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise HarnessError(f'ip {" ".join(args)} in {self.name} failed: '
                               + r.stderr.decode(errors='replace'))
        return r.stdout.decode(errors='replace')

    def run(self, *command, check=True):
        """A command inside the namespace; its output."""
        r = subprocess.run(self.prefix + list(command), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise HarnessError(f'{" ".join(command)} in {self.name} failed: '
                               + r.stderr.decode(errors='replace'))
        return r.stdout.decode(errors='replace')

    def links(self):
        """{name: ip -j -d link's object}: 'master', 'flags', 'linkinfo' ..."""
        return {link['ifname']: link for link in json.loads(self.ip('-j', '-d', 'link', 'show'))}

    def kind(self, name):
        """The link's kind ('bridge', 'tun', 'veth', 'ifb' ...) or None."""
        return self.links().get(name, {}).get('linkinfo', {}).get('info_kind')

    def delete(self):
        subprocess.run(['umount', self.path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


# ------------------------------------------------------------ test bases

class CirrinaTestCase(unittest.TestCase):
    """Base class: harness management, error assertions, and the daemon's
    log printed when a test fails."""

    maxDiff = None
    class_harness = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_environment()

    def setUp(self):
        super().setUp()
        self._harnesses = []

    def start_harness(self):
        h = Harness(self.id())
        self.addCleanup(h.cleanup)
        self._harnesses.append(h)
        h.start()
        return h

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            harnesses = list(getattr(self, '_harnesses', []))
            shared = type(self).class_harness
            if shared is not None and not getattr(shared, 'log_printed', False):
                shared.log_printed = True   # once per class is enough
                harnesses.append(shared)
            for h in harnesses:
                sys.stderr.write(f'\n----- cirrinad log for {self.id()} -----\n'
                                 f'{h.log_text()}----- end of log -----\n')
        return out

    # ---- assertions

    def assertDBusError(self, expected, fn, *args, mentions=(), what=None, **kwargs):
        """Calls fn(*args, **kwargs) and asserts that it fails with the D-Bus
        error expected (a name, or a tuple of acceptable names), with a
        message that mentions (case-insensitively) at least one of
        mentions. Returns the exception."""
        names = (expected,) if isinstance(expected, str) else tuple(expected)
        what = what or getattr(fn, '__name__', 'the call')
        try:
            fn(*args, **kwargs)
        except dbus.exceptions.DBusException as e:
            got, msg = e.get_dbus_name(), e.get_dbus_message() or ''
            self.assertIn(got, names, f'{what}: a user would expect the error {" or ".join(names)}, '
                                      f'but got {got}: "{msg}"')
            if mentions:
                self.assertTrue(any(str(m).lower() in msg.lower() for m in mentions),
                                f'{what}: the error message "{msg[:300]}" does not tell the user '
                                f'what was wrong (it should mention one of {list(mentions)})')
            return e
        self.fail(f'{what}: expected the error {" or ".join(names)}, but the call succeeded')

    def assertCallOK(self, fn, *args, what=None, **kwargs):
        try:
            return fn(*args, **kwargs)
        except dbus.exceptions.DBusException as e:
            self.fail(f'{what or getattr(fn, "__name__", "the call")} failed with '
                      f'{e.get_dbus_name()}: {e.get_dbus_message()}')


# ------------------------------------------------ polkit: a real polkitd
#
# PolkitHarness is a Harness whose world also has a real polkitd, with
# Cirrina's policy (polkit/org.cirrina.policy) and the test's rules, and a
# few test users and groups. Nothing on the host changes: polkitd runs in a
# private mount namespace where temporary copies replace the actions and
# rules directories and /etc/passwd and /etc/group. The bus's dbus-daemon
# runs in such a namespace too (with the same passwd and group): it refuses
# connections from a uid it cannot resolve, and the test users exist only
# there. Callers are started with setpriv and numeric ids, which need no
# names.
#
#     h = PolkitHarness('label', fake_bhyve=True)
#     h.start()                                # bus, polkitd, cirrinad
#     h.set_rules({'50-test.rules': 'polkit.addRule(...)'})   # reloaded
#     h.run_as(ALICE, [(path, iface, method, args)], interactive=True)
#     h.stop_polkit(); h.start_polkit()

POLKIT_NAME = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
POLKIT_IFACE = 'org.freedesktop.PolicyKit1.Authority'
POLKIT_BUS_POLICY = '/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf'
POLKITD_CANDIDATES = ('/usr/lib/polkit-1/polkitd', '/usr/libexec/polkitd',
                      '/usr/libexec/polkit-1/polkitd', '/usr/lib/policykit-1/polkitd')
POLKIT_ACTIONS_DIR = '/usr/share/polkit-1/actions'
POLKIT_RULES_DIRS = ('/etc/polkit-1/rules.d', '/usr/share/polkit-1/rules.d')
E_INTERACTIVE = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'

# The test users (uid = their own primary group's gid) and groups, as
# polkitd and the bus see them.
ALICE, BOB, CAROL = 'cirrina-alice', 'cirrina-bob', 'cirrina-carol'
TEST_USERS = {ALICE: 64001, BOB: 64002, CAROL: 64003}
TEST_GROUPS = {'cirrina-admins': (64010, [ALICE]), 'lab-admins': (64011, [BOB])}

# Rules whose file name sorts first: answer the harness's probe (see
# PolkitHarness.set_rules) and nothing else.
_PROBE_RULES = '00-cirrina-test-probe.rules'
_PROBE_DETAIL = 'cirrina.test.probe'


def polkitd_path():
    for p in POLKITD_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


def require_polkit():
    """Skips when polkitd or unshare is missing (and as require_environment)."""
    require_environment()
    if not polkitd_path():
        raise unittest.SkipTest('polkitd is not installed (looked for '
                                + ', '.join(POLKITD_CANDIDATES) + ')')
    for tool in ('unshare', 'setpriv', 'mount'):
        if not shutil.which(tool):
            raise unittest.SkipTest(f'{tool} is not installed')


_CALLER_SCRIPT = r'''
import json, os, sys, time
from gi.repository import Gio, GLib

def canon(v):
    """A GVariant as JSON, every value with its D-Bus type, dictionaries
    sorted (their order carries no meaning)."""
    t = v.get_type_string()
    if t == "v":
        return ["v", canon(v.get_variant())]
    if t.startswith("a{"):
        items = [[canon(v.get_child_value(i).get_child_value(0)),
                  canon(v.get_child_value(i).get_child_value(1))] for i in range(v.n_children())]
        items.sort(key=lambda kv: json.dumps(kv, sort_keys=True, default=repr))
        return [t, items]
    if t[0] in "a(":
        return [t, [canon(v.get_child_value(i)) for i in range(v.n_children())]]
    return [t, v.unpack()]

calls = json.load(sys.stdin)
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "results": []}
address = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
go = os.environ.get("CIRRINA_CALLER_WAIT_FOR")
if go:
    deadline = time.monotonic() + 30
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
flags_bus = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
shared = Gio.DBusConnection.new_for_address_sync(address, flags_bus, None, None)
for c in calls:
    bus = (Gio.DBusConnection.new_for_address_sync(address, flags_bus, None, None)
           if c.get("fresh") else shared)
    flags = Gio.DBusCallFlags.NO_AUTO_START
    if c.get("interactive"):
        flags |= Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
    start = time.monotonic()
    try:
        params = GLib.Variant.parse(None, c["args"], None, None) if c["args"] else None
        # "fds": files opened (read-only) and passed; args name them
        # by index ("handle 0").
        passed = None
        if c.get("fds"):
            passed = Gio.UnixFDList()
            for p in c["fds"]:
                fd = os.open(p, os.O_RDONLY)
                passed.append(fd)
                os.close(fd)
        reply, fds = bus.call_with_unix_fd_list_sync(
            c["dest"], c["path"], c["iface"], c["method"], params, None, flags,
            c.get("timeout", 30000), passed, None)
        r = {"value": reply.unpack() if reply is not None else None,
             "typed": canon(reply) if reply is not None else None,
             "fds": fds.get_length() if fds is not None else 0}
        for fd in (fds.steal_fds() if fds is not None else []):
            os.close(fd)
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e)
        message = e.message
        if name and message.startswith("GDBus.Error:" + name + ": "):
            message = message[len("GDBus.Error:" + name + ": "):]
        r = {"error": name, "message": message}
    r["seconds"] = time.monotonic() - start
    r["sender"] = bus.get_unique_name()
    out["results"].append(r)
    if bus is not shared:
        bus.close_sync(None)
json.dump(out, sys.stdout, default=repr)
'''


class CallerProcess:
    """A run_as caller started in the background; result() waits for it."""

    def __init__(self, proc, what):
        self.proc = proc
        self.what = what

    def running(self):
        return self.proc.poll() is None

    def result(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise HarnessError(f'the caller {self.what} failed ({self.proc.returncode}):\n'
                               + err.decode('utf-8', 'replace'))
        return json.loads(out)


class PolkitHarness(Harness):
    """A Harness with a real polkitd and the test users (see above).

    fake_bhyve: the daemon runs with Hypervisor=bhyve, the stand-ins of
    tests/data/fake-bhyve on its PATH and dummy firmware, so that the power
    methods work (see test_bhyve_lifecycle.py); the stand-ins record their
    calls in self.fake_dir. polkit=False: no polkitd (start_polkit() later).
    policy: the actions file polkitd reads (the project's by default)."""

    def __init__(self, label='cirrina-polkit', fake_bhyve=False, polkit=True, policy=None,
                 **kwargs):
        if fake_bhyve:
            kwargs.setdefault('hypervisor', 'bhyve')
        super().__init__(label, **kwargs)
        self.fake_bhyve = fake_bhyve
        self.want_polkit = polkit
        self.policy = policy or os.path.join(source_root(), 'polkit', 'org.cirrina.policy')
        self.polkit_proc = None
        self._polkit_log = None
        self.polkit_starts = 0
        self.rules_generation = 0
        self.rules_reloads = 0      # rule changes polkitd picked up by itself
        self.rules_restarts = 0     # rule changes that needed a polkitd restart

    # ---- paths of the polkit world

    @property
    def polkit_dir(self):
        return self.path('polkit')

    @property
    def actions_dir(self):
        return self.path('polkit', 'actions')

    @property
    def rules_dir(self):
        return self.path('polkit', 'rules.d')

    @property
    def polkit_log_path(self):
        return self.path('polkitd.log')

    @property
    def fake_dir(self):
        return self.path('files')

    def polkit_log_text(self):
        return self._read(self.polkit_log_path) if self.tmp else ''

    # ---- the world

    def start(self):
        require_polkit()
        return super().start()

    def _prepare_polkit_files(self):
        os.makedirs(self.actions_dir)
        os.makedirs(self.rules_dir)
        os.makedirs(self.path('polkit', 'empty'))
        for d in (self.polkit_dir, self.actions_dir, self.rules_dir, self.path('polkit', 'empty')):
            os.chmod(d, 0o755)   # polkitd reads them as user polkitd
        shutil.copy(self.policy, os.path.join(self.actions_dir, 'org.cirrina.policy'))
        own = os.path.join(POLKIT_ACTIONS_DIR, 'org.freedesktop.policykit.policy')
        if os.path.isfile(own):
            shutil.copy(own, self.actions_dir)
        with open('/etc/passwd', encoding='utf-8') as f:
            passwd = f.read()
        with open('/etc/group', encoding='utf-8') as f:
            group = f.read()
        taken_uids = {line.split(':')[2] for line in passwd.splitlines() if line.count(':') >= 6}
        taken_gids = {line.split(':')[2] for line in group.splitlines() if line.count(':') >= 3}
        taken_names = ({line.split(':')[0] for line in passwd.splitlines()} |
                       {line.split(':')[0] for line in group.splitlines()})
        for name, uid in TEST_USERS.items():
            if str(uid) in taken_uids or str(uid) in taken_gids or name in taken_names:
                raise HarnessError(f'the host already has the uid/gid {uid} or the name {name}; '
                                   'the polkit tests need them free')
        for name, (gid, _) in TEST_GROUPS.items():
            if str(gid) in taken_gids or name in taken_names:
                raise HarnessError(f'the host already has the gid {gid} or the group {name}')
        passwd = passwd.rstrip('\n') + '\n' + ''.join(
            f'{name}:x:{uid}:{uid}:Cirrina test user:/nonexistent:/usr/sbin/nologin\n'
            for name, uid in TEST_USERS.items())
        group = group.rstrip('\n') + '\n' + ''.join(
            f'{name}:x:{uid}:\n' for name, uid in TEST_USERS.items()) + ''.join(
            f'{name}:x:{gid}:{",".join(members)}\n' for name, (gid, members) in TEST_GROUPS.items())
        for name, text in (('passwd', passwd), ('group', group)):
            p = self.path('polkit', name)
            with open(p, 'w', encoding='utf-8') as f:
                f.write(text)
            os.chmod(p, 0o644)
        self._write_probe_rules()

    def _namespace_script(self, binds):
        """sh -c text: bind-mounts binds ([(source, target)]) in a private
        mount namespace, then execs "$@" (with $0 = sh)."""
        lines = ['set -e']
        for source, target in binds:
            lines.append(f"mount --bind '{source}' '{target}'")
        # A running nscd would answer name lookups with the host's view.
        lines.append(f"if [ -d /run/nscd ]; then mount --bind '{self.path('polkit', 'empty')}' "
                     "/run/nscd; fi")
        lines.append('exec "$@"')
        return '; '.join(lines)

    def _identity_binds(self):
        return [(self.path('polkit', 'passwd'), '/etc/passwd'),
                (self.path('polkit', 'group'), '/etc/group')]

    def _start_bus(self):
        """Harness._start_bus, but dbus-daemon runs in a mount namespace
        where the test users exist, and the bus config lets user polkitd
        own org.freedesktop.PolicyKit1 (the host's own bus policy file for
        it is included); then polkitd is started."""
        self._prepare_polkit_files()
        policy = os.path.join(source_root(), 'dbus', 'org.cirrina.conf')
        if not os.path.isfile(policy):
            raise HarnessError(f'the bus policy {policy} does not exist; '
                               'the test bus includes the real one')
        if not os.path.isfile(POLKIT_BUS_POLICY):
            raise HarnessError(f'{POLKIT_BUS_POLICY} (installed with polkitd) is missing: '
                               'without it polkitd may not own its name on the test bus')
        template = os.path.join(source_root(), 'tests', 'data', 'system-bus.conf')
        with open(template, encoding='utf-8') as f:
            text = f.read()
        for placeholder in ('@CIRRINA_BUS_POLICY@', '@CIRRINA_BUS_ADDRESS@', '</busconfig>'):
            if placeholder not in text:
                raise HarnessError(f'{template} lacks {placeholder}')
        socket_path = self.path('system_bus_socket')
        conf = self.path('system-bus.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(text.replace('@CIRRINA_BUS_POLICY@', policy)
                    .replace('@CIRRINA_BUS_ADDRESS@', 'unix:path=' + socket_path)
                    .replace('</busconfig>', '  <include ignore_missing="yes">'
                             f'{POLKIT_BUS_POLICY}</include>\n</busconfig>'))
        self._bus_log = open(self.path('dbus-daemon.log'), 'wb')
        self.bus_proc = subprocess.Popen(
            UNSHARE_MOUNT() + [
             'sh', '-c', self._namespace_script(self._identity_binds()), 'sh',
             'dbus-daemon', '--config-file=' + conf, '--print-address', '--nofork',
             '--nopidfile'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._bus_log,
            start_new_session=True)
        line = _read_line(self.bus_proc.stdout, START_TIMEOUT)
        if not line:
            self.bus_proc.kill()
            self.bus_proc.wait()
            raise HarnessError('dbus-daemon (in its mount namespace) did not print its address '
                               f'within {START_TIMEOUT:.0f} s:\n'
                               + self._read(self.path('dbus-daemon.log')))
        self.address = line.decode().strip()
        self._control = dbus.bus.BusConnection(self.address)
        if self.want_polkit:
            self.start_polkit()

    def _write_config(self):
        if self.fake_bhyve:
            for name in ('BHYVE_UEFI_CODE.fd', 'BHYVE_UEFI_VARS.fd'):
                with open(self.path('files', name), 'wb') as f:
                    f.write(b'\0' * 4096)
            fakes = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')
            self.extra_config += ('[firmware]\n'
                                  f'UEFICode={self.path("files", "BHYVE_UEFI_CODE.fd")}\n'
                                  f'UEFIVars={self.path("files", "BHYVE_UEFI_VARS.fd")}\n')
            self.extra_env.setdefault('PATH', fakes + ':' + os.environ.get('PATH', '/usr/bin:/bin'))
            self.extra_env.setdefault('CIRRINA_FAKE_BHYVE_DIR', self.fake_dir)
        super()._write_config()

    def fake_calls(self):
        """The fake bhyve/bhyvectl command lines recorded so far."""
        try:
            with open(os.path.join(self.fake_dir, 'calls.log'), encoding='utf-8') as f:
                return [line.rstrip('\n') for line in f]
        except FileNotFoundError:
            return []

    # ---- polkitd

    def polkit_running(self):
        return self.polkit_proc is not None and self.polkit_proc.poll() is None

    def _name_has_owner(self, name):
        return bool(self._control.call_blocking(
            'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
            'NameHasOwner', 's', (name,)))

    def start_polkit(self):
        """Starts polkitd in its mount namespace and waits for its name."""
        if self.polkit_running():
            raise HarnessError('polkitd is already running')
        self.polkit_starts += 1
        log = open(self.polkit_log_path, 'ab')
        log.write(f'===== polkitd start #{self.polkit_starts} =====\n'.encode())
        log.flush()
        binds = [(self.actions_dir, POLKIT_ACTIONS_DIR),
                 (self.rules_dir, POLKIT_RULES_DIRS[0]),
                 (self.path('polkit', 'empty'), POLKIT_RULES_DIRS[1])] + self._identity_binds()
        for _, target in binds:
            if not os.path.exists(target):
                raise HarnessError(f'{target} does not exist: polkitd is not installed as expected')
        env = {'DBUS_SYSTEM_BUS_ADDRESS': self.address, 'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
               'LANG': 'C.UTF-8'}
        self.polkit_proc = subprocess.Popen(
            UNSHARE_MOUNT() + [
             'sh', '-c', self._namespace_script(binds), 'sh', polkitd_path()],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._name_has_owner(POLKIT_NAME):
            if self.polkit_proc.poll() is not None:
                raise HarnessError(f'polkitd exited with status {self.polkit_proc.returncode} '
                                   f'before owning {POLKIT_NAME}:\n{self.polkit_log_text()}')
            if time.monotonic() > deadline:
                raise HarnessError(f'polkitd did not own {POLKIT_NAME} within '
                                   f'{START_TIMEOUT:.0f} s:\n{self.polkit_log_text()}')
            time.sleep(0.02)

    def stop_polkit(self):
        """Stops polkitd and waits until its name is gone from the bus."""
        if self.polkit_proc is None:
            return
        if self.polkit_proc.poll() is None:
            self.polkit_proc.terminate()
            try:
                self.polkit_proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        _killpg(self.polkit_proc.pid)
        if self.polkit_proc.poll() is None:
            self.polkit_proc.kill()
            self.polkit_proc.wait()
        self.polkit_proc = None
        if self._control is not None:
            deadline = time.monotonic() + 5
            while self._name_has_owner(POLKIT_NAME) and time.monotonic() < deadline:
                time.sleep(0.01)

    def cleanup(self):
        try:
            self.stop_polkit()
        except Exception:
            if self.polkit_proc is not None:
                _killpg(self.polkit_proc.pid)
        super().cleanup()

    # ---- rules

    def _write_file(self, name, text):
        """Written under another name first: polkitd loads only *.rules and
        must never see half a file."""
        tmp = os.path.join(self.rules_dir, '.' + name + '.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(self.rules_dir, name))

    def _write_probe_rules(self):
        self._write_file(_PROBE_RULES, (
            '// Written by the test harness: tells it which rules polkitd has loaded.\n'
            'polkit.addRule(function(action, subject) {\n'
            f'    var probe = action.lookup("{_PROBE_DETAIL}");\n'
            '    if (probe !== undefined && probe !== null && probe !== "") {\n'
            f'        return probe == "{self.rules_generation}" ? polkit.Result.YES'
            ' : polkit.Result.NO;\n'
            '    }\n'
            '});\n'))

    def _probe(self):
        """True once polkitd runs the rules of the current generation: the
        harness asks for an action with the probe detail, for itself."""
        subject = ('system-bus-name',
                   {'name': dbus.String(self._control.get_unique_name(), variant_level=1)})
        action = ('org.freedesktop.policykit.exec'
                  if os.path.exists(os.path.join(self.actions_dir,
                                                 'org.freedesktop.policykit.policy'))
                  else 'org.cirrina.vm.console')
        details = dbus.Dictionary({_PROBE_DETAIL: str(self.rules_generation)}, signature='ss')
        try:
            result = self._control.call_blocking(
                POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, 'CheckAuthorization',
                '(sa{sv})sa{ss}us', (subject, action, details, dbus.UInt32(0), ''), timeout=10)
        except dbus.exceptions.DBusException as e:
            raise HarnessError(f'polkitd does not answer the harness\'s probe: '
                               f'{e.get_dbus_name()}: {e.get_dbus_message()}\n'
                               + self.polkit_log_text())
        return bool(result[0])

    def set_rules(self, rules, reload_timeout=5.0):
        """Replaces the test's rules ({file name: JavaScript}) and returns
        once polkitd runs them: polkitd watches rules.d and reloads by
        itself; if it has not within reload_timeout, it is restarted."""
        for name in os.listdir(self.rules_dir):
            if name.endswith('.rules') and name != _PROBE_RULES:
                os.unlink(os.path.join(self.rules_dir, name))
        for name, text in sorted(rules.items()):
            if not name.endswith('.rules') or name == _PROBE_RULES or '/' in name:
                raise HarnessError(f'bad rules file name {name!r}')
            self._write_file(name, text)
        self.rules_generation += 1
        self._write_probe_rules()   # last: seeing it loaded means all are
        if not self.polkit_running():
            return
        deadline = time.monotonic() + reload_timeout
        while time.monotonic() < deadline:
            if self._probe():
                self.rules_reloads += 1
                return
            time.sleep(0.05)
        self.stop_polkit()
        self.start_polkit()
        if not self._probe():
            raise HarnessError('polkitd does not run the new rules even after a restart:\n'
                               + self.polkit_log_text())
        self.rules_restarts += 1

    # ---- callers

    def _caller(self, user, calls, interactive, background, wait_for=None):
        """user: a name of TEST_USERS, or a uid (0 for root)."""
        uid = TEST_USERS[user] if isinstance(user, str) else int(user)
        payload = []
        for call in calls:
            if isinstance(call, dict):
                c = dict(call)
            else:
                p, i, m, a = call
                c = {'path': p, 'iface': i, 'method': m, 'args': a}
            c.setdefault('dest', 'org.freedesktop.DBus' if c['path'] == '/org/freedesktop/DBus'
                         else BUS_NAME)
            c.setdefault('interactive', interactive)
            payload.append(c)
        env = {'DBUS_SYSTEM_BUS_ADDRESS': self.address, 'PATH': '/usr/bin:/bin',
               'HOME': '/nonexistent', 'LANG': 'C.UTF-8', 'GIO_USE_VFS': 'local',
               'GSETTINGS_BACKEND': 'memory', 'PYTHONDONTWRITEBYTECODE': '1'}
        if wait_for:
            env['CIRRINA_CALLER_WAIT_FOR'] = wait_for
        proc = subprocess.Popen(
            ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups',
             '/usr/bin/python3', '-c', _CALLER_SCRIPT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd='/')
        proc.stdin.write(json.dumps(payload).encode())
        proc.stdin.close()
        proc.stdin = None   # written and closed: communicate() must not flush it
        caller = CallerProcess(proc, f'uid {uid}')
        caller.uid = uid
        return caller if background else caller.result()

    def run_as(self, user, calls, interactive=False):
        """Makes calls as user (a TEST_USERS name, or a uid: 0 is root) in
        a separate process, all on one connection unless a call says
        'fresh'. calls: (path, interface, method, args) with args in GVariant
        text format or None, or dicts with those keys ('path', 'iface',
        'method', 'args') and optionally 'interactive' (the
        allow-interactive-authorization flag; default: interactive),
        'fresh' (a connection of its own), 'timeout' (ms).
        Returns {"uid", "gid", "groups", "results"}; each result has
        "value", "typed" (the reply with its D-Bus types, see canon in
        _CALLER_SCRIPT) and "fds" (how many file descriptors came with it),
        or "error" and "message"; and "seconds" and "sender" (the caller's
        unique name). A dict call may also have 'fds': paths of files the
        caller opens read-only and passes with the call (args refer to
        them as handle 0, 1, ...)."""
        return self._caller(user, calls, interactive, background=False)

    def start_as(self, user, calls, interactive=False, wait_for=None):
        """run_as in the background: returns a CallerProcess. wait_for: a
        path; the caller makes its calls once it exists."""
        return self._caller(user, calls, interactive, background=True, wait_for=wait_for)

    def agent(self, respond='cancel'):
        """A polkit authentication agent (PolkitAgent) served by this test
        process, to register for a caller."""
        return PolkitAgent(self, respond)


AGENT_IFACE = 'org.freedesktop.PolicyKit1.AuthenticationAgent'


class PolkitAgent:
    """A stand-in for a desktop's polkit authentication agent (no password
    dialog): registered by root for one caller process, it records every
    BeginAuthentication and answers it at once: respond='cancel' dismisses
    the dialog; 'root' tells polkit that the user authenticated as root
    (AuthenticationAgentResponse2, which only root may call); 'hold' leaves
    the dialog open (the caller's call waits) until release().

        agent = h.agent('root')
        go = h.path('go')
        caller = h.start_as(ALICE, calls, interactive=True, wait_for=go)
        agent.register_for(caller)
        open(go, 'w').close()
        result = agent.serve_until_done(caller)
        agent.requests   # [(action_id, details, identities)]
    """

    PATH = '/org/cirrina/test/AuthenticationAgent'

    def __init__(self, harness, respond):
        import dbus.service

        self.h = harness
        self.respond = respond
        self.requests = []
        self.held = []   # the failure callbacks of the requests left open
        self.conn = dbus.bus.BusConnection(harness.address, mainloop=_mainloop())
        agent = self

        class AgentObject(dbus.service.Object):
            @dbus.service.method(AGENT_IFACE, in_signature='sssa{ss}sa(sa{sv})',
                                 out_signature='', async_callbacks=('ok', 'fail'))
            def BeginAuthentication(self, action_id, message, icon_name, details, cookie,
                                    identities, ok, fail):
                agent.requests.append((str(action_id), unwrap(details), unwrap(identities)))
                if agent.respond == 'hold':
                    agent.held.append(fail)
                elif agent.respond == 'root':
                    # What polkit-agent-helper-1 reports after a good root
                    # password (the uid-less AuthenticationAgentResponse:
                    # the agent's creator is not the subject's user here).
                    harness._control.call_blocking(
                        POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, 'AuthenticationAgentResponse',
                        's(sa{sv})',
                        (cookie, ('unix-user', {'uid': dbus.UInt32(0, variant_level=1)})),
                        timeout=10)
                    ok()
                else:
                    fail(dbus.exceptions.DBusException(
                        'The test agent dismissed the dialog',
                        name='org.freedesktop.PolicyKit1.Error.Cancelled'))

            @dbus.service.method(AGENT_IFACE, in_signature='s', out_signature='')
            def CancelAuthentication(self, cookie):
                pass

        self.obj = AgentObject(self.conn, self.PATH)
        self.subject = None
        self.subject_uid = None

    def register_for(self, caller):
        """Registers as the agent of caller's process (a CallerProcess)."""
        pid = caller.proc.pid
        with open(f'/proc/{pid}/stat') as f:
            start_time = int(f.read().rsplit(')', 1)[1].split()[19])
        self.subject_uid = caller.uid
        self.subject = ('unix-process', {'pid': dbus.UInt32(pid, variant_level=1),
                                         'start-time': dbus.UInt64(start_time, variant_level=1),
                                         'uid': dbus.Int32(self.subject_uid, variant_level=1)})
        self.conn.call_blocking(POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                'RegisterAuthenticationAgent', '(sa{sv})ss',
                                (self.subject, 'C', self.PATH), timeout=10)

    def serve_until_done(self, caller, timeout=60):
        """Answers polkit until caller is done; returns its result."""
        if not wait_until(lambda: not caller.running(), timeout=timeout):
            caller.proc.kill()
            raise HarnessError('the caller did not finish while the test agent served')
        return caller.result()

    def release(self):
        """Dismisses the dialogs left open by respond='hold'."""
        held, self.held = self.held, []
        for fail in held:
            fail(dbus.exceptions.DBusException(
                'The test agent dismissed the dialog',
                name='org.freedesktop.PolicyKit1.Error.Cancelled'))

    def close(self):
        try:
            self.obj.remove_from_connection()
        except Exception:
            pass
        try:
            self.conn.close()
        except Exception:
            pass
