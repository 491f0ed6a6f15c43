"""End to end: the serial console and the VNC display of a real guest,
handed over D-Bus as file descriptors.

One guest, booted once: a client gets the console fd from OpenConsole,
sees the guest's boot marker, types a shell command and reads the computed
answer; two clients attached at once both see the output, while a third
that never reads blocks neither them nor the guest; GetConsoleLog keeps the
boot output after the VM stops; through OpenDisplay's fd an RFB handshake
completes and a framebuffer update of the guest's screen is not blank.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/e2e/test_console.py -v
"""

import os
import select
import socket
import struct
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (VM, E_BUSY, E_INVALID, E_NOT_FOUND, CirrinaTestCase, Harness,  # noqa: E402
                     require_environment, wait_until)
import guest  # noqa: E402

POWER_TIMEOUT = 240


class Console:
    """One attached client: a socket from OpenConsole."""

    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.seen = b''

    def read_until(self, needle, timeout=guest.BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        needle = needle.encode() if isinstance(needle, str) else needle
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'{needle!r} not seen within {timeout} s; the console shows:\n'
                                     + self.seen[-1500:].decode('utf-8', 'replace'))
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                data = self.sock.recv(65536)
                if not data:
                    raise AssertionError(f'the console closed before {needle!r}')
                self.seen += data
        return self.seen

    def type(self, line):
        self.sock.sendall(line.encode() + b'\r')

    def close(self):
        self.sock.close()


def recv_exactly(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise AssertionError(f'the VNC server closed after {len(data)} of {n} bytes')
        data += chunk
    return data


class ConsoleTest(CirrinaTestCase):

    @classmethod
    def setUpClass(cls):
        require_environment()
        if not os.path.exists('/usr/bin/qemu-system-x86_64'):
            raise unittest.SkipTest('qemu-system-x86_64 is not installed')
        cls.h = Harness('console')
        cls.class_harness = cls.h
        try:
            cls.h.start()
            cls.c = cls.h.client()
            iso = cls.c.register_iso('guest', guest.guest_iso(cls.h.tmp))
            cls.vm = cls.c.create_vm('console', ISOs=[iso], Memory=guest.GUEST_MEMORY)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        tmp = cls.h.tmp
        cls.h.cleanup()
        if tmp:
            guest.kill_vm_processes(tmp)

    def open_console(self, port='com1', **options):
        fd = self.c.call(self.vm, VM, 'OpenConsole', port, options,
                         signature='sa{sv}' if options else None)
        return Console(fd.take())

    def test_0_errors_before_start(self):
        self.assertDBusError(E_BUSY, self.open_console, mentions=('stopped',))
        self.assertDBusError(E_BUSY, self.c.call, self.vm, VM, 'OpenDisplay', {},
                             mentions=('stopped',))
        self.assertDBusError(E_INVALID, self.c.call, self.vm, VM, 'OpenConsole', 'com9', {},
                             mentions=('com9',))

    def test_1_console_round_trip(self):
        self.c.call(self.vm, VM, 'Start', timeout=POWER_TIMEOUT)
        a = self.open_console()
        self.addCleanup(a.close)
        a.read_until(guest.READY)
        a.type('echo $((6*7))')
        a.read_until('\n42\r')
        self.assertDBusError(E_INVALID, self.open_console, 'com2', mentions=('com2',))

    def test_2_two_readers_and_one_that_never_reads(self):
        b = self.open_console(History=dbus.UInt64(0))
        c = self.open_console(History=dbus.UInt64(0))   # never reads: must block nobody
        self.addCleanup(b.close)
        self.addCleanup(c.close)
        b.type('i=0; while [ $i -lt 4000 ]; do echo line-$i-....................'
               '..........................; i=$((i+1)); done; echo DONE-$((40+2))')
        start = time.monotonic()
        b.read_until('DONE-42\r', timeout=300)
        took = time.monotonic() - start
        sys.stderr.write(f'[{len(b.seen)} bytes of guest output in {took:.1f} s] ')
        self.assertIn(b'line-3999-', b.seen)
        # The reader who never read still gets the newest output.
        c.sock.setblocking(False)
        got = b''
        while True:
            try:
                chunk = c.sock.recv(1 << 20)
            except BlockingIOError:
                if b'DONE-42' in got:
                    break
                select.select([c.sock], [], [], 5)
                continue
            if not chunk:
                break
            got += chunk
        self.assertIn(b'DONE-42', got)

    def test_3_display_frame_is_not_blank(self):
        fd = self.c.call(self.vm, VM, 'OpenDisplay', {}, signature='a{sv}')
        s = socket.socket(fileno=fd.take())
        self.addCleanup(s.close)
        s.settimeout(30)
        version = recv_exactly(s, 12)
        self.assertTrue(version.startswith(b'RFB 003.'), version)
        s.sendall(b'RFB 003.008\n')
        n = recv_exactly(s, 1)[0]
        types = recv_exactly(s, n)
        self.assertIn(1, types, f'no "None" security type offered: {list(types)}')
        s.sendall(b'\x01')
        self.assertEqual(struct.unpack('>I', recv_exactly(s, 4))[0], 0, 'security failed')
        s.sendall(b'\x01')                                   # ClientInit: shared
        width, height = struct.unpack('>HH', recv_exactly(s, 4))
        pixel_format = recv_exactly(s, 16)
        bpp = pixel_format[0]
        name_len = struct.unpack('>I', recv_exactly(s, 4))[0]
        recv_exactly(s, name_len)
        self.assertGreater(width * height, 0)
        s.sendall(struct.pack('>BxHi', 2, 1, 0))            # SetEncodings: Raw only
        s.sendall(struct.pack('>BBHHHH', 3, 0, 0, 0, width, height))  # full update
        msg = recv_exactly(s, 4)
        while msg[0] != 0:       # skip anything but FramebufferUpdate
            self.fail(f'unexpected RFB message {msg[0]}')
        nrects = struct.unpack('>H', msg[2:4])[0]
        pixels = b''
        for _ in range(nrects):
            x, y, w, h, enc = struct.unpack('>HHHHi', recv_exactly(s, 12))
            if enc == 0:
                pixels += recv_exactly(s, w * h * bpp // 8)
        self.assertTrue(pixels, 'no raw pixels came')
        distinct = len(set(pixels[i:i + bpp // 8] for i in range(0, len(pixels), bpp // 8)))
        self.assertGreater(distinct, 1, f'the {width}x{height} frame is one colour: blank')

    def test_4_log_after_stop(self):
        self.c.call(self.vm, VM, 'Kill', timeout=POWER_TIMEOUT)
        log = bytes(self.c.call(self.vm, VM, 'GetConsoleLog', 'com1', 0))
        self.assertIn(guest.READY.encode(), log)
        self.assertIn(b'DONE-42', log)
        tail = bytes(self.c.call(self.vm, VM, 'GetConsoleLog', '', 100))
        self.assertEqual(len(tail), 100)
        self.assertTrue(log.endswith(tail))
        self.assertDBusError(E_BUSY, self.open_console, mentions=('stopped',))

    def test_5_no_display(self):
        self.c.update(self.vm, VM, Display='none')
        self.c.call(self.vm, VM, 'Start', timeout=POWER_TIMEOUT)
        self.addCleanup(self.c.call, self.vm, VM, 'Kill', timeout=POWER_TIMEOUT)
        self.assertDBusError(E_NOT_FOUND, self.c.call, self.vm, VM, 'OpenDisplay', {},
                             mentions=('display',))


if __name__ == '__main__':
    unittest.main(verbosity=2)
