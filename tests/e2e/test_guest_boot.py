#!/usr/bin/python3
"""The test guest itself, booted with plain QEMU (no daemon involved).

Builds or reuses the guest ISO (tests/data/guest/build-guest-iso), boots it
under OVMF and checks what later end-to-end tests rely on, reading only the
guest's serial console:

  boot    marker, typed command, CIRRINA-DISK lines for a CD-ROM, a
          virtio-blk, an NVMe and a SATA (AHCI) disk, a screen that is not
          blank (QMP screendump), ACPI power button (QMP system_powerdown)
          -> CIRRINA-GUEST-POWEROFF and QEMU exits
  dhcp    virtio-net on QEMU user networking, cirrina.dhcp=1 ->
          CIRRINA-IP 10.0.2.15; system_powerdown right at the marker
          (the guest listens to the power button by then) -> QEMU exits
  static  e1000, cirrina.ip=10.0.0.2/24 -> CIRRINA-IP and the address on
          eth0; `poweroff -f` typed -> QEMU exits

Usage: test_guest_boot.py [CASE...]   (default: all)
Environment: CIRRINA_CACHE_DIR (ISO cache), CIRRINA_TEST_ACCEL (default
tcg), CIRRINA_TEST_KEEP=1 keeps the scratch directory.
Exit status 77 (skip) when QEMU or OVMF is missing.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "data", "guest", "build-guest-iso")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
QEMU = "qemu-system-x86_64"

# GRUB 2.06 cannot load Debian's kernel (init_size 64 MiB) below ~288 MiB
# of guest RAM: "error: out of memory" (its x86 loader leaks the first
# placement attempt).  Give the guest room.
MEMORY = "512"
BOOT_TIMEOUT = 90
POWEROFF_TIMEOUT = 30


def log(msg):
    print(msg, flush=True)


class Fail(Exception):
    pass


class Guest:
    """One QEMU process with its serial console and QMP on unix sockets."""

    def __init__(self, workdir, name, iso, extra_args=()):
        self.dir = os.path.join(workdir, name)
        os.mkdir(self.dir)
        self.name = name
        self.output = b""  # everything read from the serial console
        self.pos = 0  # how far expect() has consumed self.output
        vars_copy = os.path.join(self.dir, "OVMF_VARS.fd")
        shutil.copyfile(OVMF_VARS, vars_copy)
        serial = os.path.join(self.dir, "serial.sock")
        qmp = os.path.join(self.dir, "qmp.sock")
        accel = os.environ.get("CIRRINA_TEST_ACCEL", "tcg")
        argv = [
            QEMU, "-machine", "q35", "-accel", accel, "-m", MEMORY,
            "-display", "none", "-monitor", "none",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-cdrom", iso,
            # wait=on: the guest does not start before we are connected,
            # so no console output is lost
            "-chardev", f"socket,id=ser0,path={serial},server=on,wait=on",
            "-serial", "chardev:ser0",
            "-qmp", f"unix:{qmp},server=on,wait=off",
            *extra_args,
        ]
        self.qemu_log = open(os.path.join(self.dir, "qemu.log"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        self.serial = self._connect(serial)
        self.qmp_path = qmp
        self.console_log = open(os.path.join(self.dir, "console.log"), "wb")

    def _connect(self, path, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    raise Fail(f"QEMU exited early ({self.proc.returncode})")
                if time.monotonic() > deadline:
                    raise Fail(f"no socket {path}")
                time.sleep(0.05)

    def _read(self, timeout):
        """Read what the console has; False at EOF."""
        self.serial.settimeout(max(timeout, 0.001))
        try:
            data = self.serial.recv(65536)
        except socket.timeout:
            return True
        if not data:
            return False
        self.output += data
        self.console_log.write(data)
        self.console_log.flush()
        return True

    def expect(self, pattern, timeout):
        """Wait for a regex (bytes) in console output after the last match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.output, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail(f"{self.name}: no {pattern!r} within {timeout} s")
            if not self._read(min(left, 0.5)):
                m = rx.search(self.output, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                raise Fail(f"{self.name}: console closed before {pattern!r}")

    def type(self, line):
        self.serial.sendall(line.encode() + b"\r")

    def qmp(self, command, **arguments):
        s = self._connect(self.qmp_path)
        f = s.makefile("rwb")
        json.loads(f.readline())  # greeting
        for cmd in ({"execute": "qmp_capabilities"},
                    {"execute": command, "arguments": arguments}):
            f.write(json.dumps(cmd).encode() + b"\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "event" not in reply:
                    break
            if "error" in reply:
                raise Fail(f"QMP {cmd['execute']}: {reply['error']}")
        s.close()

    def wait_exit(self, timeout):
        """Drain the console until QEMU exits; its exit status."""
        deadline = time.monotonic() + timeout
        eof = False
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise Fail(f"{self.name}: QEMU still running after {timeout} s")
            if eof:
                time.sleep(0.1)
            else:
                eof = not self._read(0.2)
        while not eof and self._read(0.2):
            pass
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.serial.close()
        self.console_log.close()
        self.qemu_log.close()

    def tail(self, n=40):
        """The end of the console output and QEMU's own messages."""
        text = self.output.decode(errors="replace").replace("\r", "")
        lines = ["# console:"] + text.splitlines()[-n:]
        self.qemu_log.flush()
        with open(self.qemu_log.name, errors="replace") as f:
            lines += ["# qemu:"] + f.read().splitlines()[-10:]
        return "\n".join(lines)


def line(pattern):
    """A regex for a whole console line (CR before and after allowed)."""
    return rb"^\r*" + pattern + rb"\r*$"


# The power button may come while the shell shows its prompt, so the
# marker can end a line that began with "# ": anchored at the end only
# (nothing is typed in these cases, so no echo can match).
POWEROFF_LINE = rb"CIRRINA-GUEST-POWEROFF\r*$"


def screen_is_blank(ppm_path):
    with open(ppm_path, "rb") as f:
        data = f.read()
    # binary PPM: "P6" width height maxval, one whitespace, then pixels
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise Fail(f"{ppm_path}: not a PPM")
    pixels = data[m.end():]
    return pixels.count(0) == len(pixels)


def build(workdir, name, cmdline=None):
    out = os.path.join(workdir, name + ".iso")
    argv = [BUILD] + (["--cmdline", cmdline] if cmdline else []) + [out]
    t = time.monotonic()
    subprocess.run(argv, check=True)
    log(f"# {name}: ISO ready in {time.monotonic() - t:.1f} s, "
        f"{os.path.getsize(out)} bytes")
    return out


def boot(guest):
    guest.expect(line(rb"CIRRINA-GUEST-READY"), BOOT_TIMEOUT)
    log(f"# {guest.name}: marker after {time.monotonic() - guest.started:.1f} s")


def shell_check(guest):
    guest.type("echo $((6*7))")
    guest.expect(line(rb"42"), 10)


def case_boot(workdir):
    iso = build(workdir, "guest")
    vda = os.path.join(workdir, "vda.img")
    nvme = os.path.join(workdir, "nvme.img")
    sata = os.path.join(workdir, "sata.img")
    for path, size in ((vda, 64 << 20), (nvme, 32 << 20), (sata, 16 << 20)):
        with open(path, "wb") as f:
            f.truncate(size)
    g = Guest(workdir, "boot", iso, [
        "-drive", f"if=none,id=d0,format=raw,file={vda}",
        "-device", "virtio-blk-pci,drive=d0",
        "-drive", f"if=none,id=d1,format=raw,file={nvme}",
        "-device", "nvme,drive=d1,serial=cirrina1",
        # q35's AHCI controller; -cdrom is on its third port (ide.2)
        "-drive", f"if=none,id=d2,format=raw,file={sata}",
        "-device", "ide-hd,drive=d2,bus=ide.0",
    ])
    try:
        boot(g)
        disks = {m[0].decode(): int(m[1]) for m in re.findall(
            line(rb"CIRRINA-DISK (\S+) (\d+)"), g.output, re.M)}
        want = {"sr0": os.path.getsize(iso), "vda": 64 << 20,
                "nvme0n1": 32 << 20, "sda": 16 << 20}
        if disks != want:
            raise Fail(f"disks {disks}, expected {want}")
        shell_check(g)
        # the kernel drives the screen too (efifb, shell on tty1)
        ppm = os.path.join(g.dir, "screen.ppm")
        g.qmp("screendump", filename=ppm)
        if screen_is_blank(ppm):
            raise Fail("the screen is blank")
        t = time.monotonic()
        g.qmp("system_powerdown")
        g.expect(POWEROFF_LINE, POWEROFF_TIMEOUT)
        rc = g.wait_exit(POWEROFF_TIMEOUT)
        log(f"# boot: QEMU exited ({rc}) {time.monotonic() - t:.1f} s "
            "after system_powerdown")
        if rc != 0:
            raise Fail(f"QEMU exit status {rc}")
    except Exception:
        log(g.tail())
        raise
    finally:
        g.close()


def case_dhcp(workdir):
    iso = build(workdir, "guest-dhcp", "cirrina.dhcp=1")
    g = Guest(workdir, "dhcp", iso,
              ["-nic", "user,model=virtio-net-pci"])
    try:
        boot(g)
        m = re.search(line(rb"CIRRINA-IP (\S+)"), g.output, re.M)
        if not m or m[1] != b"10.0.2.15":
            raise Fail(f"no CIRRINA-IP 10.0.2.15 line ({m and m[1]})")
        g.qmp("system_powerdown")
        g.expect(POWEROFF_LINE, POWEROFF_TIMEOUT)
        rc = g.wait_exit(POWEROFF_TIMEOUT)
        if rc != 0:
            raise Fail(f"QEMU exit status {rc}")
    except Exception:
        log(g.tail())
        raise
    finally:
        g.close()


def case_static(workdir):
    iso = build(workdir, "guest-static", "cirrina.ip=10.0.0.2/24")
    g = Guest(workdir, "static", iso,
              ["-nic", "user,model=e1000"])
    try:
        boot(g)
        if not re.search(line(rb"CIRRINA-IP 10\.0\.0\.2"), g.output, re.M):
            raise Fail("no CIRRINA-IP 10.0.0.2 line")
        g.type("ip -4 -o addr show dev eth0")
        g.expect(rb"eth0\s+inet 10\.0\.0\.2/24", 10)
        g.type("poweroff -f")
        rc = g.wait_exit(POWEROFF_TIMEOUT)
        if rc != 0:
            raise Fail(f"QEMU exit status {rc}")
    except Exception:
        log(g.tail())
        raise
    finally:
        g.close()


CASES = {"boot": case_boot, "dhcp": case_dhcp, "static": case_static}


def main():
    names = sys.argv[1:] or list(CASES)
    for n in names:
        if n not in CASES:
            sys.exit(f"unknown case {n}; known: {' '.join(CASES)}")
    missing = [p for p in (OVMF_CODE, OVMF_VARS) if not os.path.exists(p)]
    if not shutil.which(QEMU):
        missing.append(QEMU)
    if missing:
        log(f"1..0 # SKIP missing {' '.join(missing)}")
        sys.exit(77)

    workdir = tempfile.mkdtemp(prefix="cirrina-guest-")
    failed = 0
    log(f"1..{len(names)}")
    for i, n in enumerate(names, 1):
        t = time.monotonic()
        try:
            CASES[n](workdir)
            log(f"ok {i} - {n} ({time.monotonic() - t:.1f} s)")
        except (Fail, subprocess.CalledProcessError, OSError) as e:
            failed += 1
            log(f"not ok {i} - {n}: {e}")
    if os.environ.get("CIRRINA_TEST_KEEP") == "1" or failed:
        log(f"# scratch directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
