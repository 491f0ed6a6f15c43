"""The test guest for end-to-end tests: its ISO and its serial console.

guest_iso() builds or reuses the ISO (tests/data/guest/build-guest-iso,
cached between runs); SerialLog follows a VM's console log file as the
daemon's QEMU writes it; type_into_console() types a line on the guest's
serial port through QEMU's socket.
"""

import os
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, '..', 'data', 'guest', 'build-guest-iso')

READY = 'CIRRINA-GUEST-READY'
POWEROFF = 'CIRRINA-GUEST-POWEROFF'
BOOT_TIMEOUT = 180     # TCG on 2 loaded cores, ASan daemon
GUEST_MEMORY = 512 << 20


def guest_iso(directory, cmdline=None):
    """The path of a guest ISO in directory, built or taken from the cache."""
    out = os.path.join(directory, 'guest.iso' if not cmdline else 'guest-custom.iso')
    args = [BUILD] + (['--cmdline', cmdline] if cmdline else []) + [out]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return out


class SerialLog:
    """A VM's serial console log (com1.log in its run directory)."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def count(self, marker):
        return self.text().count(marker)

    def wait_count(self, marker, n, timeout=BOOT_TIMEOUT):
        """Waits until marker appeared n times; returns the seconds taken."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.count(marker) >= n:
                return time.monotonic() - start
            time.sleep(0.2)
        tail = self.text()[-1500:]
        raise AssertionError(f'{marker} did not appear {n} time(s) within {timeout} s in '
                             f'{self.path}; the console ends with:\n{tail}')


def type_into_console(fd, line):
    """Types line (and Enter) on the guest's serial port, through a console
    fd from VM.OpenConsole (cirrinad holds the port itself)."""
    with socket.socket(fileno=fd) as s:
        s.sendall(line.encode() + b'\r')
        time.sleep(0.5)   # let the daemon pass it on before the socket closes


def kill_vm_processes(directory):
    """Kills hypervisor processes left from a test directory (VMs outlive
    the daemon by design, so tests clean up after themselves)."""
    subprocess.run(['pkill', '-KILL', '-f', directory], check=False)
