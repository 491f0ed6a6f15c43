"""End to end: disks and ISOs as a real QEMU guest sees them (issue 6).

One VM, booted twice: the guest ISO is imported through a pipe
(ImportISO, its SHA-256 checked) and the VM boots from the imported copy,
with a 64 MiB disk on virtio-blk. Boot 1: the guest reports `CIRRINA-DISK
vda 67108864`; while it runs the disk cannot be resized, cloned or
deleted (Busy). The VM stops through ACPI; the disk grows to 100 MiB.
Boot 2: the guest reports the new size and writes a marker to the disk
itself. After it stops, a Clone holds the same bytes (by hash), marker
included.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/e2e/test_disk_guest.py -v
"""

import hashlib
import os
import re
import sys
import threading
import unittest

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (DISK, ISO, MANAGER, ROOT_PATH, VM, E_BUSY, MiB,  # noqa: E402
                     CirrinaTestCase, Harness, require_environment)
import guest  # noqa: E402

POWER_TIMEOUT = 240
MARK = 'CIRRINA-DISK-MARK'


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


class DiskGuestTest(CirrinaTestCase):

    @classmethod
    def setUpClass(cls):
        require_environment()
        if not os.path.exists('/usr/bin/qemu-system-x86_64'):
            raise unittest.SkipTest('qemu-system-x86_64 is not installed')
        cls.h = Harness('disk-guest')
        cls.class_harness = cls.h
        try:
            cls.h.start()
            cls.c = cls.h.client()
            source = guest.guest_iso(cls.h.tmp)
            cls.iso = cls.import_iso(source)
            cls.disk = cls.c.create_disk('data', 64 * MiB)
            cls.vm = cls.c.create_vm('disks', Disks=[cls.disk], ISOs=[cls.iso],
                                     Memory=guest.GUEST_MEMORY)
            uuid = cls.c.get(cls.vm, VM, 'UUID')
            cls.console = guest.SerialLog(os.path.join(cls.h.run_dir, 'vm', uuid, 'com1.log'))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        tmp = cls.h.tmp
        cls.h.cleanup()
        if tmp:
            guest.kill_vm_processes(tmp)

    @classmethod
    def import_iso(cls, source):
        """The guest ISO through a pipe, as `cat guest.iso |` would give it."""
        r, w = os.pipe()

        def feed():
            with open(source, 'rb') as f, os.fdopen(w, 'wb') as out:
                for block in iter(lambda: f.read(1 << 20), b''):
                    out.write(block)
        threading.Thread(target=feed, daemon=True).start()
        try:
            path = cls.c.call(ROOT_PATH, MANAGER, 'ImportISO', 'guest', dbus.types.UnixFd(r),
                              dbus.Dictionary({'SHA256': dbus.String(sha256_file(source))},
                                              signature='sv'), timeout=120)
        finally:
            os.close(r)
        props = cls.c.get_all(path, ISO)
        assert props['Size'] == os.path.getsize(source), props
        assert os.path.dirname(props['Path']) == cls.h.iso_dir, props
        return str(path)

    def call_vm(self, method, *args):
        return self.c.call(self.vm, VM, method, *args, timeout=POWER_TIMEOUT)

    def boot(self, n):
        """Starts the VM and waits for its n-th boot; the CIRRINA-DISK lines
        of that boot, {name: bytes}."""
        self.call_vm('Start')
        self.console.wait_count(guest.READY, n)
        boot_text = self.console.text().split(guest.READY)[n - 1]
        return {name: int(size) for name, size in
                re.findall(r'CIRRINA-DISK (\S+) (\d+)', boot_text)}

    def test_1_guest_sees_the_disk(self):
        disks = self.boot(1)
        self.assertEqual(disks.get('vda'), 64 * MiB, f'the guest reported {disks}')
        self.assertIn('sr0', disks, 'the imported ISO is the guest\'s CD-ROM; the console: '
                      + self.console.text()[-3000:])

    def test_2_busy_while_running(self):
        self.assertEqual(self.c.get(self.vm, VM, 'State'), 'running')
        self.assertDBusError(E_BUSY, self.c.call, self.disk, DISK, 'Resize',
                             dbus.UInt64(128 * MiB), dbus.Dictionary({}, signature='sv'),
                             mentions=('running',))
        self.assertDBusError(E_BUSY, self.c.call, self.disk, DISK, 'Clone', 'copy',
                             dbus.Dictionary({}, signature='sv'), mentions=('running',))
        self.assertDBusError(E_BUSY, self.c.delete, self.disk, DISK, mentions=('disks',))
        self.assertDBusError(E_BUSY, self.c.delete, self.iso, ISO, mentions=('disks',))
        self.assertEqual(self.c.get(self.disk, DISK, 'Size'), 64 * MiB)

    def test_3_grown_disk_seen_on_the_next_boot(self):
        self.call_vm('Stop', 120)
        self.assertEqual(self.c.get(self.vm, VM, 'State'), 'stopped')
        self.c.call(self.disk, DISK, 'Resize', dbus.UInt64(100 * MiB),
                    dbus.Dictionary({}, signature='sv'))
        disks = self.boot(2)
        self.assertEqual(disks.get('vda'), 100 * MiB, f'after Resize the guest reported {disks}')
        # The guest writes to its disk itself (busybox, on the serial console).
        fd = self.c.call(self.vm, VM, 'OpenConsole', 'com1', {}, signature='sa{sv}')
        guest.type_into_console(fd.take(), f'echo {MARK} > /dev/vda; sync; echo WROTE-$((6*7))')
        self.console.wait_count('WROTE-42', 1, timeout=60)
        self.call_vm('Stop', 120)
        self.assertEqual(self.c.get(self.vm, VM, 'State'), 'stopped')

    def test_4_clone_holds_what_the_guest_wrote(self):
        copy = str(self.c.call(self.disk, DISK, 'Clone', 'data-copy',
                               dbus.Dictionary({}, signature='sv'), timeout=120))
        src_path = self.c.get(self.disk, DISK, 'Path')
        copy_path = self.c.get(copy, DISK, 'Path')
        with open(copy_path, 'rb') as f:
            self.assertEqual(f.read(len(MARK) + 1), (MARK + '\n').encode(),
                             'the clone starts with what the guest wrote')
        self.assertEqual(sha256_file(copy_path), sha256_file(src_path))
        self.assertEqual(self.c.get(copy, DISK, 'Size'), 100 * MiB)


if __name__ == '__main__':
    unittest.main(verbosity=2)
