"""Disks and ISOs that carry data (issue 6, storage), as a client sees them:
sparse disks grown with Resize (shrinking only with Force), Clone (same
settings and contents, independent), Delete (the file goes; refused while
attached), ImportDisk and ImportISO through a passed fd (a pipe or a
regular file) with progress on an org.cirrina.Job, SHA-256 checks and
Cancel, and nothing left behind (no file, no row) by an import that fails,
is cancelled, or whose daemon is killed. The daemon keeps answering others
while an import waits for data.

Data is a pattern (each MiB numbered), never urandom: a GiB of it is made as
fast as it is written.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/integration/test_storage.py -v
"""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    BUS_NAME, CirrinaTestCase, Harness, ROOT_PATH, MANAGER, VM, DISK, ISO, JOB, OBJECT_MANAGER,
    E_BUSY, E_CANCELLED, E_EXISTS, E_INVALID, E_NOT_FOUND, E_UNKNOWN_OBJECT, MiB, GiB, TiB,
    source_root, pump, wait_until)

PATTERN = bytes(range(256)) * (MiB // 256)
IMPORT_TIMEOUT = 120   # seconds for a whole GiB, under ASan on 2 loaded cores
FAKES = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')

OPTION_TYPES = {'Size': 't', 'SHA256': 's', 'Description': 's', 'Bus': 's', 'NoCache': 'b',
                'Direct': 'b', 'ReadOnly': 'b', 'Force': 'b'}


def chunk(i):
    """The i-th MiB of test data: the pattern, numbered."""
    return i.to_bytes(8, 'little') + PATTERN[8:]


_DATA_SHA256 = {}


def data_sha256(n):
    """SHA-256 of chunk(0) .. chunk(n-1), computed once per n."""
    if n not in _DATA_SHA256:
        h = hashlib.sha256()
        for i in range(n):
            h.update(chunk(i))
        _DATA_SHA256[n] = h.hexdigest()
    return _DATA_SHA256[n]


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def options(**values):
    """An a{sv} of import/clone/resize options, typed by name; a dbus-python
    value passes as it is (a deliberately wrong type)."""
    d = dbus.Dictionary({}, signature='sv')
    for k, v in values.items():
        sig = OPTION_TYPES.get(k)
        if hasattr(v, 'variant_level') or sig is None:
            d[k] = v
        else:
            d[k] = {'t': dbus.UInt64, 's': dbus.String, 'b': dbus.Boolean}[sig](v)
    return d


class Feeder(threading.Thread):
    """Writes chunks into a pipe's write end: n MiB (chunk(0)..), delay
    seconds after each piece of piece bytes, then closes it unless
    keep_open. Stops quietly when the reader went away."""

    def __init__(self, w, n, delay=0.0, piece=MiB, keep_open=False):
        super().__init__(daemon=True)
        self.w, self.n, self.delay, self.piece, self.keep_open = w, n, delay, piece, keep_open
        self.written = 0
        self.broken = False
        self.closed = False

    def run(self):
        try:
            for i in range(self.n):
                data = chunk(i)
                for off in range(0, len(data), self.piece):
                    view = memoryview(data)[off:off + self.piece]
                    while view:
                        k = os.write(self.w, view)
                        view = view[k:]
                        self.written += k
                    if self.delay:
                        time.sleep(self.delay)
        except (BrokenPipeError, OSError):
            self.broken = True
        if not self.keep_open:
            self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            os.close(self.w)


class Pending:
    """A call made asynchronously: done, value, error (a DBusException)."""

    def __init__(self, client, path, iface, method, signature, args, timeout=IMPORT_TIMEOUT):
        self.done = False
        self.value = self.error = None
        self.started = time.monotonic()
        self.seconds = None
        client.bus.call_async(BUS_NAME, path, iface, method, signature, args,
                              self._ok, self._fail, timeout=timeout)

    def _ok(self, *value):
        self.value = value[0] if len(value) == 1 else value
        self._end()

    def _fail(self, e):
        self.error = e
        self._end()

    def _end(self):
        self.done = True
        self.seconds = time.monotonic() - self.started

    def wait(self, timeout=IMPORT_TIMEOUT):
        if not wait_until(lambda: self.done, timeout=timeout):
            raise AssertionError(f'no answer within {timeout} s')
        return self


class StorageTestCase(CirrinaTestCase):

    def setUp(self):
        super().setUp()
        self.h = self.start_harness()
        self.c = self.h.client()
        self.c.record_signals()

    def tearDown(self):
        # A clean exit (under ASan: no leaks) after everything the test did.
        if self.h.daemon_alive():
            self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0,
                             'cirrinad did not exit cleanly after SIGTERM (leaks under ASan?)')
        super().tearDown()

    # ---- calls

    def import_(self, method, name, fd, **opts):
        return str(self.c.call(ROOT_PATH, MANAGER, method, name, dbus.types.UnixFd(fd),
                               options(**opts), timeout=IMPORT_TIMEOUT))

    def start_import(self, method, name, fd, **opts):
        return Pending(self.c, ROOT_PATH, MANAGER, method, 'sha{sv}',
                       (name, dbus.types.UnixFd(fd), options(**opts)))

    def import_pipe(self, method, name, n, **opts):
        """Imports n MiB of test data through a pipe, fed as fast as it
        goes; returns the Pending call, answered."""
        r, w = os.pipe()
        call = self.start_import(method, name, r, **opts)
        os.close(r)
        Feeder(w, n).start()
        return call.wait()

    def resize(self, disk, size, **opts):
        self.c.call(disk, DISK, 'Resize', dbus.UInt64(size), options(**opts))

    def clone(self, disk, name, **opts):
        return Pending(self.c, disk, DISK, 'Clone', 'sa{sv}', (name, options(**opts))).wait()

    # ---- state

    def disk_path(self, disk):
        return self.c.get(disk, DISK, 'Path')

    def files(self):
        return sorted(os.listdir(self.h.disk_dir)) + sorted(os.listdir(self.h.iso_dir))

    def rows(self, table):
        con = sqlite3.connect(f'file:{self.h.db_path}?mode=ro', uri=True, timeout=10)
        try:
            return [r[0] for r in con.execute(f'SELECT name FROM {table} ORDER BY name')]
        finally:
            con.close()

    def jobs(self):
        return self.c.objects_with(JOB)

    def wait_for_job(self, name):
        found = wait_until(lambda: [p for p, props in self.jobs().items()
                                    if props['Object'] == name])
        self.assertTrue(found, f'no org.cirrina.Job for {name}')
        return found[0]

    def job_signals(self, path):
        return [args[1] for p, _, member, args in self.c.signals
                if p == path and member == 'PropertiesChanged']

    def assertNothingLeft(self, name, files_before=(), what=''):
        """No object, no row, no file (not even a partial one) and no job
        for name: files_before are the files that were there already."""
        objects = self.c.managed_objects()
        named = [p for p, ifs in objects.items()
                 for i in (DISK, ISO) if ifs.get(i, {}).get('Name') == name]
        self.assertEqual(named, [], f'{what}: objects named {name} are left')
        self.assertNotIn(name, self.rows('disks') + self.rows('isos'),
                         f'{what}: a row for {name} is left')
        self.assertEqual(sorted(set(self.files()) - set(files_before)), [],
                         f'{what}: files are left in the disk or ISO directory')
        self.assertEqual([p for p, props in self.jobs().items() if props['Object'] == name], [],
                         f'{what}: the job for {name} is still there')


class ResizeTest(StorageTestCase):

    def test_create_is_sparse_and_grows(self):
        disk = self.c.create_disk('grow', 64 * MiB)
        path = self.disk_path(disk)
        self.assertEqual(os.stat(path).st_size, 64 * MiB)
        self.assertLess(os.stat(path).st_blocks * 512, MiB, 'a new disk is a sparse file')
        self.resize(disk, 256 * MiB)
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 256 * MiB)
        self.assertEqual(os.stat(path).st_size, 256 * MiB, 'the image grew')
        self.assertLess(os.stat(path).st_blocks * 512, MiB, 'and stayed sparse')
        self.assertTrue(self.c.wait_for_signal(
            lambda p, i, m, a: p == disk and m == 'PropertiesChanged'
            and a[1].get('Size') == 256 * MiB), 'no PropertiesChanged for Size')
        # Stored: a killed daemon comes back with the new size.
        self.h.restart_daemon(signal.SIGKILL)
        self.c = self.h.client()
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 256 * MiB)
        self.resize(disk, 256 * MiB)   # the same size: nothing to do
        self.assertEqual(os.stat(path).st_size, 256 * MiB)

    def test_shrinking_needs_force(self):
        disk = self.c.create_disk('shrink', 64 * MiB)
        path = self.disk_path(disk)
        with open(path, 'r+b') as f:
            f.seek(40 * MiB)
            f.write(chunk(1))
        self.assertDBusError(E_INVALID, self.resize, disk, 32 * MiB, mentions=('Force',))
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 64 * MiB)
        self.assertEqual(os.stat(path).st_size, 64 * MiB, 'a refused shrink left the file')
        self.assertDBusError(E_INVALID, self.resize, disk, 32 * MiB, Force=False,
                             mentions=('Force',))
        self.resize(disk, 32 * MiB, Force=True)
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 32 * MiB)
        self.assertEqual(os.stat(path).st_size, 32 * MiB)

    def test_bad_sizes_and_options(self):
        disk = self.c.create_disk('sizes', 64 * MiB)
        for size, mentions in ((0, ('out of range', '512')), (1000, ('512',)),
                               (16 * TiB + 512, ('out of range',)),
                               (2 ** 64 - 512, ('out of range',))):
            with self.subTest(size=size):
                self.assertDBusError(E_INVALID, self.resize, disk, size, mentions=mentions)
        self.assertDBusError(E_INVALID, self.resize, disk, 128 * MiB, Shrink=dbus.Boolean(True),
                             mentions=('Shrink',))
        self.assertDBusError(E_INVALID, self.resize, disk, 32 * MiB, Force=dbus.String('yes'),
                             mentions=('Force',))
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 64 * MiB)
        self.assertEqual(os.stat(self.disk_path(disk)).st_size, 64 * MiB)


class CloneDeleteTest(StorageTestCase):

    def test_clone_has_the_same_contents_and_is_independent(self):
        src = self.c.create_disk('orig', 32 * MiB, Bus='nvme', Description='the original',
                                 NoCache=True)
        src_path = self.disk_path(src)
        with open(src_path, 'r+b') as f:   # what a guest would have written
            f.write(chunk(0))
            f.seek(20 * MiB)
            f.write(chunk(1))
        before = file_sha256(src_path)
        copy = str(self.clone(src, 'copy', Description='the copy').value)
        props = self.c.get_all(copy, DISK)
        self.assertEqual({k: props[k] for k in ('Name', 'Size', 'Bus', 'NoCache', 'Direct',
                                                'ReadOnly', 'Format', 'Description',
                                                'AttachedTo')},
                         {'Name': 'copy', 'Size': 32 * MiB, 'Bus': 'nvme', 'NoCache': True,
                          'Direct': False, 'ReadOnly': False, 'Format': 'raw',
                          'Description': 'the copy', 'AttachedTo': '/'})
        copy_path = props['Path']
        self.assertNotEqual(copy_path, src_path)
        self.assertEqual(file_sha256(copy_path), before, 'the clone holds the same bytes')
        self.assertLess(os.stat(copy_path).st_blocks * 512, 8 * MiB, 'the holes were kept')
        # The job that did it came and went.
        added = self.c.wait_for_signal(
            lambda p, i, m, a: m == 'InterfacesAdded' and JOB in a[1]
            and a[1][JOB]['Object'] == 'copy')
        self.assertTrue(added, 'no org.cirrina.Job for the clone')
        self.assertEqual(added[3][1][JOB]['Kind'], 'clone-disk')
        self.assertTrue(self.c.wait_for_signal(
            lambda p, i, m, a: m == 'InterfacesRemoved' and a[0] == added[3][0]))
        # Independent: writing, resizing or deleting one leaves the other.
        with open(copy_path, 'r+b') as f:
            f.write(b'changed')
        self.assertEqual(file_sha256(src_path), before, 'writing the clone changed the original')
        self.resize(copy, 64 * MiB)
        self.assertEqual(self.c.get(src, DISK, 'Size'), 32 * MiB)
        changed = file_sha256(copy_path)
        self.c.delete(src, DISK)
        self.assertFalse(os.path.exists(src_path))
        self.assertEqual(file_sha256(copy_path), changed)
        self.h.restart_daemon()
        self.c = self.h.client()
        self.assertEqual(self.c.get(copy, DISK, 'Size'), 64 * MiB)

    def test_clone_refusals(self):
        src = self.c.create_disk('src', 8 * MiB)
        self.c.create_disk('taken', MiB)
        files = self.files()
        for name, opts, error, mentions in (
                ('taken', {}, E_EXISTS, ('taken',)),
                ('a/b', {}, E_INVALID, ('a/b',)),
                ('', {}, E_INVALID, ('name',)),
                ('new', {'Size': 16 * MiB}, E_INVALID, ('Size',)),
                ('new', {'Format': dbus.String('zvol')}, E_INVALID, ('Format',)),
                ('new', {'Bus': 'scsi'}, E_INVALID, ('scsi',))):
            with self.subTest(name=name, opts=opts):
                e = self.clone(src, name, **opts).error
                self.assertIsNotNone(e, f'Clone {name} {opts} succeeded')
                self.assertEqual(e.get_dbus_name(), error, e.get_dbus_message())
                self.assertTrue(any(m in e.get_dbus_message() for m in mentions),
                                e.get_dbus_message())
        self.assertEqual(self.files(), files)
        self.assertEqual(self.rows('disks'), ['src', 'taken'])

    def test_delete_removes_the_file_and_is_refused_while_attached(self):
        disk = self.c.create_disk('data', 16 * MiB)
        path = self.disk_path(disk)
        vm = self.c.create_vm('user', Disks=[disk])
        self.assertDBusError(E_BUSY, self.c.delete, disk, DISK, mentions=('user',))
        self.assertTrue(os.path.exists(path))
        self.assertEqual(self.c.get(disk, DISK, 'AttachedTo'), vm)
        self.c.update(vm, VM, Disks=[])
        self.c.delete(disk, DISK)
        self.assertFalse(os.path.exists(path), 'the image file is gone with the disk')
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'Disk', 'data')
        self.assertEqual(self.rows('disks'), [])

    def test_iso_delete_removes_imported_files_only(self):
        registered_file = self.h.make_file('reg.iso', MiB)
        registered = self.c.register_iso('registered', registered_file)
        imported_file = self.h.make_file('imp.iso', 3 * MiB + 7)
        fd = os.open(imported_file, os.O_RDONLY)
        imported = self.import_('ImportISO', 'imported', fd, Description='from a file')
        os.close(fd)
        props = self.c.get_all(imported, ISO)
        self.assertEqual(os.path.dirname(props['Path']), self.h.iso_dir)
        self.assertEqual(props['Size'], 3 * MiB + 7)
        self.assertEqual(props['SHA256'], file_sha256(imported_file))
        self.assertEqual(props['Description'], 'from a file')
        self.assertEqual(file_sha256(props['Path']), file_sha256(imported_file))
        self.c.delete(imported, ISO)
        self.assertFalse(os.path.exists(props['Path']), 'an imported ISO\'s file goes with it')
        self.assertTrue(os.path.exists(imported_file), 'the caller\'s file is untouched')
        self.c.delete(registered, ISO)
        self.assertTrue(os.path.exists(registered_file), 'a registered ISO\'s file stays')
        self.assertEqual(self.files(), [])


class RunningVMTest(StorageTestCase):
    """With the bhyve stand-ins (tests/data/fake-bhyve), a VM runs without a
    guest: its disk cannot be resized, cloned or deleted meanwhile."""

    def setUp(self):
        CirrinaTestCase.setUp(self)
        h = Harness(self.id(), hypervisor='bhyve')
        self.addCleanup(h.cleanup)
        self._harnesses.append(h)
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
        self.h = h
        self.c = h.client()

    def test_busy_while_the_vm_runs(self):
        disk = self.c.create_disk('root', 32 * MiB)
        vm = self.c.create_vm('runner', Disks=[disk], Memory=512 * MiB)
        self.c.call(vm, VM, 'Start')
        self.assertEqual(self.c.get(vm, VM, 'State'), 'running')
        self.assertDBusError(E_BUSY, self.resize, disk, 64 * MiB, mentions=('running',))
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 32 * MiB)
        e = self.clone(disk, 'copy').error
        self.assertIsNotNone(e, 'Clone of the disk of a running VM succeeded')
        self.assertEqual(e.get_dbus_name(), E_BUSY)
        self.assertIn('running', e.get_dbus_message())
        self.assertDBusError(E_BUSY, self.c.delete, disk, DISK, mentions=('runner',))
        self.c.call(vm, VM, 'Kill', timeout=30)
        self.resize(disk, 64 * MiB)
        self.assertEqual(self.c.get(disk, DISK, 'Size'), 64 * MiB)
        self.assertIsNone(self.clone(disk, 'copy').error)


class ImportTest(StorageTestCase):

    def test_import_1gib_through_a_pipe_with_progress_and_sha256(self):
        """1 GiB through a pipe with Size and SHA256 announced; a second
        client subscribed to the signals sees the job come, progress at most
        10 times a second, complete and go."""
        n = 1024
        expected = data_sha256(n)
        watcher = self.h.client()
        watcher.record_signals()
        began = time.monotonic()
        call = self.import_pipe('ImportDisk', 'big', n, Size=n * MiB, SHA256=expected,
                                Description='a GiB')
        took = time.monotonic() - began
        self.assertIsNone(call.error, call.error)
        disk = str(call.value)
        sys.stderr.write(f'[1 GiB imported in {took:.1f} s] ')
        props = self.c.get_all(disk, DISK)
        self.assertEqual((props['Name'], props['Size'], props['Description']),
                         ('big', GiB, 'a GiB'))
        self.assertEqual(os.stat(props['Path']).st_size, GiB)
        self.assertEqual(file_sha256(props['Path']), expected, 'the image holds the data')

        pump(0.2)
        added = [a for p, i, m, a in watcher.signals
                 if m == 'InterfacesAdded' and JOB in a[1]]
        self.assertEqual(len(added), 1, 'one job for the import')
        job, first = added[0][0], added[0][1][JOB]
        self.assertEqual((first['Kind'], first['Object'], first['BytesTotal'], first['State']),
                         ('import-disk', 'big', GiB, 'running'))
        changes = [a[1] for p, i, m, a in watcher.signals
                   if p == job and m == 'PropertiesChanged']
        progress = [c['Progress'] for c in changes if 'Progress' in c]
        self.assertGreaterEqual(len(progress), 3, f'too few progress signals: {progress}')
        self.assertEqual(progress, sorted(progress), 'progress went backwards')
        self.assertTrue(all(0 <= p <= 1 for p in progress), progress)
        self.assertLessEqual(len(progress), took * 10 + 3,
                             f'{len(progress)} progress signals in {took:.1f} s: more than 10/s')
        self.assertEqual(changes[-1].get('State'), 'completed')
        self.assertEqual(changes[-1].get('Progress'), 1.0)
        self.assertEqual(changes[-1].get('BytesDone'), GiB)
        self.assertTrue([a for p, i, m, a in watcher.signals
                         if m == 'InterfacesRemoved' and a[0] == job], 'the job did not go')
        self.assertEqual(self.jobs(), {})

    def test_iso_from_a_pipe_gets_its_sha256(self):
        call = self.import_pipe('ImportISO', 'installer', 6)
        iso = str(call.value)
        props = self.c.get_all(iso, ISO)
        self.assertEqual(props['SHA256'], data_sha256(6))
        self.assertEqual(props['Size'], 6 * MiB)
        self.assertEqual(file_sha256(props['Path']), data_sha256(6))
        # A restarted daemon has it as it was.
        self.h.restart_daemon()
        self.c = self.h.client()
        self.assertEqual(self.c.get_all(iso, ISO), props)

    def test_wrong_sha256_keeps_nothing(self):
        for method in ('ImportDisk', 'ImportISO'):
            with self.subTest(method):
                call = self.import_pipe(method, 'wrong', 8, SHA256='00' * 32)
                self.assertIsNotNone(call.error, 'a wrong SHA256 was accepted')
                self.assertEqual(call.error.get_dbus_name(), E_INVALID)
                self.assertIn(data_sha256(8), call.error.get_dbus_message(),
                              'the error tells the data\'s real SHA-256')
                self.assertNothingLeft('wrong', what=f'{method} with a wrong SHA256')
        # Upper-case hex is hex too.
        call = self.import_pipe('ImportDisk', 'right', 2, SHA256=data_sha256(2).upper())
        self.assertIsNone(call.error, call.error)

    def test_file_source_rounds_up_and_keeps_holes(self):
        src = self.h.path('files', 'holey.img')
        with open(src, 'wb') as f:
            f.write(chunk(0))
            f.seek(30 * MiB)
            f.write(chunk(1))
            f.write(b'tail' * 25)       # 100 bytes past a whole MiB
        size = os.stat(src).st_size
        fd = os.open(src, os.O_RDONLY)
        os.lseek(fd, 12345, os.SEEK_SET)   # the fd's offset is not used
        disk = self.import_('ImportDisk', 'holey', fd, Bus='ahci-hd', ReadOnly=True)
        os.close(fd)
        props = self.c.get_all(disk, DISK)
        rounded = (size + 511) // 512 * 512
        self.assertEqual((props['Size'], props['Bus'], props['ReadOnly']),
                         (rounded, 'ahci-hd', True), 'Size is the data rounded up to 512')
        with open(props['Path'], 'rb') as f:
            image = f.read()
        with open(src, 'rb') as f:
            data = f.read()
        self.assertEqual(image, data + b'\0' * (rounded - size), 'the data, then zeros')
        self.assertLess(os.stat(props['Path']).st_blocks * 512, 8 * MiB, 'holes were kept')
        # Through a pipe, blocks of zeros become holes too.
        r, w = os.pipe()
        call = self.start_import('ImportDisk', 'zeros', r)
        os.close(r)

        def feed():
            with os.fdopen(w, 'wb') as f:
                f.write(chunk(0) + b'\0' * (16 * MiB) + chunk(1))
        threading.Thread(target=feed, daemon=True).start()
        call.wait()
        self.assertIsNone(call.error, call.error)
        path = self.disk_path(str(call.value))
        self.assertEqual(os.stat(path).st_size, 18 * MiB)
        self.assertLess(os.stat(path).st_blocks * 512, 4 * MiB, 'zeros from a pipe became holes')

    def test_short_or_long_data_keeps_nothing(self):
        # Announced 16 MiB, the writer closes after 4.
        call = self.import_pipe('ImportDisk', 'short', 4, Size=16 * MiB)
        self.assertEqual(call.error.get_dbus_name(), E_INVALID, call.error)
        self.assertIn(str(16 * MiB), call.error.get_dbus_message())
        self.assertNothingLeft('short', what='data shorter than Size')
        # Announced 1 MiB, 3 come.
        call = self.import_pipe('ImportISO', 'long', 3, Size=MiB)
        self.assertEqual(call.error.get_dbus_name(), E_INVALID, call.error)
        self.assertIn('longer', call.error.get_dbus_message())
        self.assertNothingLeft('long', what='data longer than Size')
        # A regular file of another size than announced.
        path = self.h.make_file('two.img', 2 * MiB)
        fd = os.open(path, os.O_RDONLY)
        self.assertDBusError(E_INVALID, self.import_, 'ImportDisk', 'mismatch', fd, Size=MiB,
                             mentions=(str(2 * MiB),))
        os.close(fd)
        self.assertNothingLeft('mismatch', what='a file of another size than Size')

    def test_bad_fds(self):
        """What is not a readable pipe or regular file is refused at once."""
        files = self.files()
        cases = []
        d = os.open(self.h.tmp, os.O_RDONLY | os.O_DIRECTORY)
        cases.append(('a directory', d, ('directory',)))
        a, b = socket.socketpair()   # a socket nobody writes to
        cases.append(('a socket without data', a.fileno(), ('socket',)))
        dev = os.open('/dev/zero', os.O_RDONLY)
        cases.append(('a character device', dev, ('character device',)))
        wo = os.open(self.h.make_file('wo.img', MiB), os.O_WRONLY)
        cases.append(('a file open for writing only', wo, ('writing',)))
        empty = os.open(self.h.make_file('empty.img', 0, b''), os.O_RDONLY)
        cases.append(('an empty file', empty, ('empty',)))
        r, w = os.pipe()
        os.close(w)
        cases.append(('a pipe closed without data', r, ('no data',)))
        for what, fd, mentions in cases:
            for method in ('ImportDisk', 'ImportISO'):
                with self.subTest(f'{method} of {what}'):
                    self.assertDBusError(E_INVALID, self.import_, method, 'bad', fd,
                                         mentions=mentions, what=f'{method} of {what}')
        for fd in (d, dev, wo, empty, r):
            os.close(fd)
        a.close()
        b.close()
        # A closed fd cannot even be sent: the client library refuses it.
        with self.assertRaises(ValueError):
            dbus.types.UnixFd(r)
        self.assertNothingLeft('bad', files, what='bad fds')
        self.assertTrue(self.h.daemon_alive())

    def test_bad_names_and_options(self):
        self.c.create_disk('taken', MiB)
        files = self.files()
        path = self.h.make_file('ok.img', MiB)
        for method, name, opts, error, mentions in (
                ('ImportDisk', 'a/b', {}, E_INVALID, ('a/b',)),
                ('ImportISO', '../x', {}, E_INVALID, ('../x',)),
                ('ImportDisk', '', {}, E_INVALID, ('name',)),
                ('ImportDisk', 'taken', {}, E_EXISTS, ('taken',)),
                ('ImportDisk', 'x', {'Size': 0}, E_INVALID, ('Size',)),
                ('ImportDisk', 'x', {'Size': 16 * TiB + 512}, E_INVALID, ('out of range',)),
                ('ImportDisk', 'x', {'SHA256': 'abc'}, E_INVALID, ('SHA256',)),
                ('ImportDisk', 'x', {'SHA256': 'g' * 64}, E_INVALID, ('SHA256',)),
                ('ImportDisk', 'x', {'SHA256': dbus.UInt64(1)}, E_INVALID, ('SHA256',)),
                ('ImportDisk', 'x', {'Size': dbus.String('1')}, E_INVALID, ('Size',)),
                ('ImportDisk', 'x', {'Format': dbus.String('zvol')}, E_INVALID, ('Format',)),
                ('ImportDisk', 'x', {'Bus': 'scsi'}, E_INVALID, ('scsi',)),
                ('ImportDisk', 'x', {'Description': 'x' * 2000}, E_INVALID, ('Description',)),
                ('ImportISO', 'x', {'Bus': 'nvme'}, E_INVALID, ('Bus',))):
            with self.subTest(method=method, name=name, opts=opts):
                fd = os.open(path, os.O_RDONLY)
                try:
                    self.assertDBusError(error, self.import_, method, name, fd,
                                         mentions=mentions, **opts)
                finally:
                    os.close(fd)
        self.assertEqual(self.files(), files)
        self.assertEqual(self.rows('disks'), ['taken'])
        self.assertEqual(self.rows('isos'), [])


class JobTest(StorageTestCase):
    """Imports that wait for data: cancel, interruption, other callers."""

    def slow_import(self, name, method='ImportDisk', **opts):
        """An import whose pipe has 4 MiB and then stays open: (call,
        writer fd, job path)."""
        r, w = os.pipe()
        call = self.start_import(method, name, r, **opts)
        os.close(r)
        f = Feeder(w, 4, keep_open=True)
        f.start()
        f.join()
        job = self.wait_for_job(name)
        self.assertTrue(wait_until(lambda: self.jobs()[job]['BytesDone'] == 4 * MiB),
                        'the job did not report the bytes read')
        return call, f, job

    def test_cancel_through_the_job(self):
        files = self.files()
        call, feeder, job = self.slow_import('cancelled', Size=64 * MiB)
        props = self.jobs()[job]
        self.assertEqual((props['Kind'], props['State'], props['BytesTotal']),
                         ('import-disk', 'running', 64 * MiB))
        self.assertAlmostEqual(props['Progress'], 4 / 64)
        self.c.call(job, JOB, 'Cancel')
        call.wait(30)
        self.assertIsNotNone(call.error, 'the import succeeded after Cancel')
        self.assertEqual(call.error.get_dbus_name(), E_CANCELLED, call.error)
        states = [c['State'] for c in self.job_signals(job) if 'State' in c]
        self.assertEqual(states, ['cancelling', 'cancelled'])
        self.assertTrue(self.c.wait_for_signal(
            lambda p, i, m, a: m == 'InterfacesRemoved' and a[0] == job))
        self.assertNothingLeft('cancelled', files, what='a cancelled import')
        self.assertDBusError((E_UNKNOWN_OBJECT, E_NOT_FOUND), self.c.call, job, JOB, 'Cancel')
        feeder.close()
        # The name is free again.
        self.c.create_disk('cancelled', MiB)

    def test_at_most_16_jobs_at_once(self):
        writers, calls = [], []
        for i in range(16):
            r, w = os.pipe()
            calls.append(self.start_import('ImportDisk', f'many{i}', r))
            os.close(r)
            writers.append(w)
        self.assertTrue(wait_until(lambda: len(self.jobs()) == 16), self.jobs())
        r, w = os.pipe()
        self.assertDBusError(E_BUSY, self.import_, 'ImportDisk', 'one-more', r, mentions=('16',))
        os.close(r)
        os.close(w)
        for w in writers:
            os.write(w, chunk(0))
            os.close(w)
        for call in calls:
            self.assertIsNone(call.wait().error, call.error)
        self.assertEqual(len(self.c.objects_with(DISK)), 16)
        self.assertEqual(self.jobs(), {})

    def test_name_is_taken_while_importing(self):
        call, feeder, job = self.slow_import('pending')
        fd = os.open(self.h.make_file('other.img', MiB), os.O_RDONLY)
        self.assertDBusError(E_EXISTS, self.import_, 'ImportDisk', 'pending', fd,
                             mentions=('being made',))
        os.close(fd)
        self.assertDBusError(E_EXISTS, self.c.create_disk, 'pending', MiB)
        e = self.clone(self.c.create_disk('third', MiB), 'pending').error
        self.assertEqual(e and e.get_dbus_name(), E_EXISTS, e)
        feeder.close()
        call.wait()
        self.assertIsNone(call.error, call.error)
        self.assertEqual(self.c.get(str(call.value), DISK, 'Size'), 4 * MiB)

    def test_killed_daemon_leaves_nothing(self):
        files = self.files()
        call, feeder, job = self.slow_import('interrupted', Size=64 * MiB)
        partial = [f for f in os.listdir(self.h.disk_dir) if f.endswith('.partial')]
        self.assertEqual(len(partial), 1, f'the import writes a partial file: {partial}')
        self.h.kill_daemon()
        self.assertTrue(os.path.exists(os.path.join(self.h.disk_dir, partial[0])))
        feeder.close()
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertNothingLeft('interrupted', files, what='an import whose daemon was killed')
        self.assertIn('Removed', self.h.log_text().split('cirrinad start #2')[1])

    def test_sigterm_cancels_imports(self):
        files = self.files()
        call, feeder, job = self.slow_import('stopping')
        self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0)
        pump(0.5)
        self.assertTrue(call.done, 'the import was not answered when the daemon stopped')
        self.assertEqual(call.error.get_dbus_name(), E_CANCELLED, call.error)
        self.assertIn('shutting down', call.error.get_dbus_message())
        self.assertEqual(self.files(), files, 'the partial file is removed at once')
        feeder.close()
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertNothingLeft('stopping', files)

    def test_writer_that_died_without_size_leaves_nothing(self):
        """A pipe without Size ends when its writer closes it, or dies: when
        the caller is gone by then, nothing is kept."""
        files = self.files()
        r, w = os.pipe()
        script = ('import dbus, sys\n'
                  'bus = dbus.bus.BusConnection(sys.argv[1])\n'
                  'print(bus.get_unique_name(), flush=True)\n'
                  "bus.call_blocking('org.cirrina', '/org/cirrina', 'org.cirrina.Manager',\n"
                  "    'ImportDisk', 'sha{sv}', ('orphan', dbus.types.UnixFd(int(sys.argv[2])),\n"
                  "    dbus.Dictionary({}, signature='sv')), timeout=600)\n")
        child = subprocess.Popen(['/usr/bin/python3', '-c', script, self.h.address, str(r)],
                                 pass_fds=[r], stdout=subprocess.PIPE)
        os.close(r)
        caller = child.stdout.readline().decode().strip()
        try:
            job = self.wait_for_job('orphan')
            os.write(w, chunk(0))
            self.assertTrue(wait_until(lambda: self.jobs()[job]['BytesDone'] == MiB))
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        # The caller is gone from the bus before the pipe ends.
        self.assertTrue(wait_until(lambda: not self.c.name_has_owner(caller)))
        os.close(w)
        self.assertTrue(wait_until(lambda: job not in self.jobs(), timeout=10))
        self.assertNothingLeft('orphan', files, what='an open-ended import whose caller died')
        self.assertIn('left the bus', self.h.log_text())

    def test_others_are_answered_during_a_slow_import(self):
        """While an import waits for a slow writer, other calls take well
        under a second each."""
        r, w = os.pipe()
        call = self.start_import('ImportDisk', 'slow', r)
        os.close(r)
        feeder = Feeder(w, 3, delay=0.02, piece=64 * 1024)   # 3 MiB over ~1 s
        feeder.start()
        job = self.wait_for_job('slow')
        worst, calls = 0.0, 0
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline or calls < 20:
            for fn in (lambda: self.c.managed_objects(),
                       lambda: self.c.get(job, JOB, 'BytesDone'),
                       lambda: self.c.delete(self.c.create_disk(f'quick{calls}', MiB), DISK),
                       lambda: self.c.lookup('Disk', 'nothing-such')):
                began = time.monotonic()
                try:
                    fn()
                except dbus.exceptions.DBusException:
                    pass
                worst = max(worst, time.monotonic() - began)
                calls += 1
        sys.stderr.write(f'[{calls} calls during the import, slowest {worst * 1000:.0f} ms] ')
        self.assertLess(worst, 1.0, 'a call waited for the import')
        feeder.join()
        call.wait()
        self.assertIsNone(call.error, call.error)
        self.assertEqual(self.c.get(str(call.value), DISK, 'Size'), 3 * MiB)


if __name__ == '__main__':
    unittest.main(verbosity=2)
