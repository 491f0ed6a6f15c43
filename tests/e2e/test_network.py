"""End to end: real guests on a switch, and on user-mode NAT.

cirrinad runs in a network namespace the test makes, so the switch's bridge
and the NICs' taps never touch the host. Two test guests, booted at the
same time and reused by the steps (which run in order):

  a  ISO with cirrina.ip=10.0.0.1/24; one NIC on the switch, rate limited
     (tc on its tap, checked on the host side)
  b  ISO with cirrina.ip=10.0.0.2/24; NIC 0 on the switch, NIC 1 on
     user-mode NAT (eth1 in the guest)

a pings b through the switch (typed on a's console, the replies read from
it); b asks QEMU's built-in DHCP server for eth1's address with the guest's
own udhcpc script and prints CIRRINA-IP 10.0.2.15. While they run, each
switch NIC has its tap on the bridge; once the VMs have stopped the taps
are gone, and the bridge is gone once the switch is deleted.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/e2e/test_network.py -v
"""

import os
import re
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (NIC, SWITCH, VM, CirrinaTestCase, Harness, NetNamespace,  # noqa: E402
                     require_environment, wait_until)
import guest  # noqa: E402

POWER_TIMEOUT = 240
ANSI = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]')


class Console:
    """A client of a VM's serial console (an fd from VM.OpenConsole)."""

    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.seen = b''

    def text(self):
        return ANSI.sub(b'', self.seen).decode('utf-8', 'replace')

    def read_until(self, pattern, timeout=guest.BOOT_TIMEOUT):
        """Reads until the regular expression matches the output (escape
        sequences left out); returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text())
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'{pattern!r} not seen within {timeout} s; the console '
                                     f'shows:\n{self.text()[-1500:]}')
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                data = self.sock.recv(65536)
                if not data:
                    raise AssertionError(f'the console closed before {pattern!r}')
                self.seen += data

    def type(self, line):
        self.seen = b''   # what follows is the answer
        self.sock.sendall(line.encode() + b'\r')

    def close(self):
        self.sock.close()


class NetworkTest(CirrinaTestCase):

    @classmethod
    def setUpClass(cls):
        require_environment()
        if not os.path.exists('/usr/bin/qemu-system-x86_64'):
            raise unittest.SkipTest('qemu-system-x86_64 is not installed')
        cls.ns = NetNamespace('e2e-net')
        cls.h = Harness('network', daemon_prefix=cls.ns.prefix)
        cls.class_harness = cls.h
        cls.consoles = {}
        try:
            cls.h.start()
            cls.c = c = cls.h.client()
            cls.sw = c.create_switch('lan')
            cls.bridge = c.get(cls.sw, SWITCH, 'Interface')
            cls.vms, cls.switch_nics = {}, {}
            for name, ip in (('a', '10.0.0.1/24'), ('b', '10.0.0.2/24')):
                d = os.path.join(cls.h.tmp, 'files', name)
                os.mkdir(d)
                iso = c.register_iso('guest-' + name,
                                     guest.guest_iso(d, f'cirrina.ip={ip}'))
                vm = c.create_vm(name, ISOs=[iso], Memory=guest.GUEST_MEMORY)
                cls.vms[name] = vm
                limits = {'RateLimitIn': 50_000_000, 'RateLimitOut': 20_000_000} \
                    if name == 'a' else {}
                cls.switch_nics[name] = c.add_nic(vm, Switch=cls.sw, **limits)
            cls.nat_nic = c.add_nic(cls.vms['b'])   # no switch: user-mode NAT
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for console in cls.consoles.values():
            console.close()
        tmp = cls.h.tmp
        cls.h.cleanup()
        if tmp:
            guest.kill_vm_processes(tmp)
        cls.ns.delete()

    def taps(self):
        """The switch NICs' taps, from the plan of the running VMs."""
        taps = {}
        for name, vm in self.vms.items():
            argv, files = self.c.call(vm, VM, 'GetLaunchPlan', '')
            found = [m.group(1) for a in argv for m in [re.search(r'ifname=(ct[0-9a-f]{8})', a)]
                     if m]
            self.assertEqual(len(found), 1, f'one tap for {name}: {list(argv)}')
            taps[name] = found[0]
        return taps

    def console(self, name):
        if name not in self.consoles:
            fd = self.c.call(self.vms[name], VM, 'OpenConsole', 'com1', {})
            self.consoles[name] = Console(fd.take())
        return self.consoles[name]

    def test_1_guests_boot_on_the_switch(self):
        start = time.monotonic()
        for vm in self.vms.values():   # both boot at once
            self.c.call(vm, VM, 'Start', timeout=POWER_TIMEOUT)
        links = self.ns.links()
        for name, tap in self.taps().items():
            self.assertEqual(self.ns.kind(tap), 'tun', f'{name}\'s tap exists')
            self.assertEqual(links[tap].get('master'), self.bridge,
                             f'{name}\'s tap is a port of the switch\'s bridge')
        for name, ip in (('a', '10.0.0.1'), ('b', '10.0.0.2')):
            con = self.console(name)
            con.read_until('CIRRINA-IP ' + re.escape(ip))
            con.read_until(guest.READY)
        sys.stderr.write(f'[both guests ready {time.monotonic() - start:.1f} s after Start] ')

    def test_2_rate_limits_are_on_the_tap(self):
        tap = self.taps()['a']
        qdiscs = self.ns.run('tc', 'qdisc', 'show', 'dev', tap)
        self.assertRegex(qdiscs, r'tbf .*rate 50Mbit', 'RateLimitIn shapes what a receives')
        self.assertIn('ingress', qdiscs)
        shaped = self.ns.run('tc', 'qdisc', 'show', 'dev', tap + 'i')
        self.assertRegex(shaped, r'tbf .*rate 20Mbit', 'RateLimitOut shapes what a sends')
        self.assertNotIn('tbf', self.ns.run('tc', 'qdisc', 'show', 'dev', self.taps()['b']))

    def test_3_a_pings_b_across_the_switch(self):
        a = self.console('a')
        a.type('ping -c 3 10.0.0.2')
        m = a.read_until(r'(\d+) packets transmitted, (\d+) packets received', timeout=60)
        self.assertEqual(m.group(2), '3', a.text()[-800:])
        self.assertIn('bytes from 10.0.0.2', a.text())

    def test_4_b_gets_an_address_from_qemus_dhcp_on_nat(self):
        b = self.console('b')
        # The script prints CIRRINA-IP on the console; the failure marker
        # is computed so that the echoed command line cannot match it.
        b.type('udhcpc -i eth1 -s /lib/cirrina/udhcpc -n -q -t 10 -T 2 >/dev/null 2>&1 '
               '|| echo NO-LEASE-$((6*7))')
        # The whole line: the console may deliver the address in pieces.
        m = b.read_until(r'CIRRINA-IP (\S+)\r?\n|NO-LEASE-42', timeout=60)
        self.assertEqual(m.group(1), '10.0.2.15', b.text()[-800:])

    def test_5_taps_and_bridge_are_gone_afterwards(self):
        taps = self.taps()
        errors = []
        for vm in self.vms.values():   # both power off at once
            self.c.bus.call_async('org.cirrina', vm, VM, 'Stop', 'u', (60,), lambda *a: None,
                                  errors.append, timeout=POWER_TIMEOUT)
        self.assertTrue(wait_until(lambda: all(self.c.get(vm, VM, 'State') == 'stopped'
                                               for vm in self.vms.values()), timeout=120))
        self.assertEqual(errors, [])
        links = self.ns.links()
        for name, tap in taps.items():
            self.assertNotIn(tap, links, f'{name}\'s tap outlived its VM')
            self.assertNotIn(tap + 'i', links)
        self.assertIn(self.bridge, links, 'the switch stays while it exists')
        for nic in self.switch_nics.values():
            self.c.call(nic, NIC, 'Remove')
        self.c.delete(self.sw, SWITCH)
        self.assertNotIn(self.bridge, self.ns.links(), 'the bridge outlived its switch')


if __name__ == '__main__':
    unittest.main(verbosity=2)
