"""Switches on the host: bridges, uplinks and taps, in a network namespace.

cirrinad runs inside a network namespace the test makes (see harness.NetNamespace), so
its bridges and taps never touch the host's network. The namespace has
veth pairs for uplinks, a foreign bridge already named cirbr0 (so the
daemon must pick cirbr1), a foreign tap, and a port of the foreign bridge.

- SwitchTest: a switch is a bridge from CreateSwitch to Delete; its uplink
  joins, moves and leaves with Update; bad uplinks are refused (NotFound,
  InvalidArgument, Busy) and leave nothing behind; GetHostInterfaces lists
  only what could be an uplink; a restarted daemon remakes a bridge the
  host lost.
- BhyveTapOrderTest: the bhyve driver's real start path (the stand-ins of
  tests/data/fake-bhyve) with ip and tc recorded through
  tests/data/net-recorder: each NIC's tap is made and joined before bhyve
  starts, kept across a guest reboot, and removed after the VM's last exit
  (also after a daemon restart, and for a VM that died while the daemon
  was away).

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/integration/test_switches.py -v
"""

import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (MANAGER, NIC, ROOT_PATH, SWITCH, VM, E_BUSY, E_INVALID,  # noqa: E402
                     E_NOT_FOUND, CirrinaTestCase, Harness, NetNamespace, source_root, unwrap,
                     wait_until)

FAKES = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')
RECORDER = os.path.join(source_root(), 'tests', 'data', 'net-recorder')


def make_world(ns):
    """Uplink candidates up0, up0p, up1 (veth); up1p is a port of a foreign
    bridge cirbr0; tapx a foreign tap."""
    ns.ip('link', 'add', 'cirbr0', 'type', 'bridge')
    for a, b in (('up0', 'up0p'), ('up1', 'up1p')):
        ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    ns.ip('link', 'set', 'up1p', 'master', 'cirbr0')
    ns.ip('tuntap', 'add', 'dev', 'tapx', 'mode', 'tap')


class SwitchTest(CirrinaTestCase):

    def setUp(self):
        super().setUp()
        self.ns = NetNamespace('sw')
        self.addCleanup(self.ns.delete)
        make_world(self.ns)
        self.h = Harness(self.id(), daemon_prefix=self.ns.prefix)
        self.addCleanup(self.h.cleanup)
        self._harnesses.append(self.h)
        self.h.start()
        self.c = self.h.client()

    def master(self, name):
        return self.ns.links()[name].get('master')

    def host_interfaces(self):
        return unwrap(self.c.call(ROOT_PATH, MANAGER, 'GetHostInterfaces'))

    def test_bridge_follows_the_switch(self):
        sw = self.c.create_switch('lan')
        self.assertEqual(self.c.get(sw, SWITCH, 'Interface'), 'cirbr1',
                         'cirbr0 is the host\'s: the daemon must pick another name')
        links = self.ns.links()
        self.assertEqual(self.ns.kind('cirbr1'), 'bridge')
        self.assertIn('UP', links['cirbr1']['flags'], 'the bridge is up')
        self.assertEqual(self.ns.kind('cirbr0'), 'bridge', 'the host\'s bridge is untouched')

        self.c.update(sw, SWITCH, Uplink='up0')
        self.assertEqual(self.master('up0'), 'cirbr1')
        self.assertIn('UP', self.ns.links()['up0']['flags'], 'the uplink is up')
        self.c.update(sw, SWITCH, Uplink='up1')
        self.assertIsNone(self.master('up0'), 'the old uplink is released')
        self.assertEqual(self.master('up1'), 'cirbr1')
        self.c.update(sw, SWITCH, Uplink='')
        self.assertIsNone(self.master('up1'))

        sw2 = self.c.create_switch('dmz', Uplink='up0')
        self.assertEqual(self.c.get(sw2, SWITCH, 'Interface'), 'cirbr2')
        self.assertEqual(self.master('up0'), 'cirbr2')

        self.c.delete(sw, SWITCH)
        self.assertNotIn('cirbr1', self.ns.links(), 'the bridge is gone with its switch')
        self.c.delete(sw2, SWITCH)
        links = self.ns.links()
        self.assertNotIn('cirbr2', links)
        self.assertIsNone(links['up0'].get('master'), 'the uplink is released, not destroyed')
        self.assertIn('cirbr0', links)

    def test_bad_uplinks_are_refused_and_leave_nothing(self):
        before = set(self.ns.links())
        cases = ((E_NOT_FOUND, 'nope0', ['nope0']),
                 (E_INVALID, 'lo', ['lo', 'GetHostInterfaces']),
                 (E_INVALID, 'cirbr0', ['cirbr0']),   # a bridge
                 (E_INVALID, 'tapx', ['tapx']),       # a tap
                 (E_INVALID, 'up1p', ['up1p']))       # another bridge's port
        for error, uplink, mentions in cases:
            with self.subTest(uplink=uplink):
                self.assertDBusError(error, self.c.create_switch, 'bad', Uplink=uplink,
                                     mentions=mentions)
                self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'Switch', 'bad')
                self.assertEqual(set(self.ns.links()), before, 'a refused switch left a link')

        sw = self.c.create_switch('lan', Uplink='up0')
        self.assertDBusError(E_BUSY, self.c.create_switch, 'other', Uplink='up0',
                             mentions=['up0', 'lan'])
        for error, uplink, mentions in cases:
            with self.subTest(update=uplink):
                self.assertDBusError(error, self.c.update, sw, SWITCH, Uplink=uplink,
                                     mentions=mentions)
                self.assertEqual(self.c.get(sw, SWITCH, 'Uplink'), 'up0')
                self.assertEqual(self.master('up0'), 'cirbr1', 'the uplink stays joined')

    def test_host_interfaces(self):
        self.assertEqual(self.host_interfaces(), ['up0', 'up0p', 'up1'],
                         'veths only: not lo, the bridge, the tap, nor the bridge\'s port')
        sw = self.c.create_switch('lan', Uplink='up0')
        self.assertEqual(self.host_interfaces(), ['up0', 'up0p', 'up1'],
                         'a switch\'s uplink is still one; its bridge is not')
        vm = self.c.create_vm('vm')
        self.c.add_nic(vm, Switch=sw)
        self.assertNotIn('cirbr1', self.host_interfaces())

    def test_restart_remakes_a_lost_bridge(self):
        sw = self.c.create_switch('lan', Uplink='up0')
        self.h.stop_daemon()
        self.ns.ip('link', 'del', 'cirbr1')   # as a host reboot would
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertEqual(self.ns.kind('cirbr1'), 'bridge')
        self.assertEqual(self.master('up0'), 'cirbr1')
        self.assertEqual(self.c.get(sw, SWITCH, 'Uplink'), 'up0')
        # And one the host kept is left as it is.
        self.h.restart_daemon(signal.SIGKILL)
        self.c = self.h.client()
        self.assertEqual(self.master('up0'), 'cirbr1')

    def test_busy_switch_keeps_its_bridge(self):
        sw = self.c.create_switch('lan')
        vm = self.c.create_vm('vm')
        nic = self.c.add_nic(vm, Switch=sw)
        self.assertDBusError(E_BUSY, self.c.delete, sw, SWITCH, mentions=['vm'])
        self.assertIn('cirbr1', self.ns.links())
        self.c.update(nic, NIC, Switch='/')
        self.c.delete(sw, SWITCH)
        self.assertNotIn('cirbr1', self.ns.links())


class BhyveTapOrderTest(CirrinaTestCase):

    def setUp(self):
        super().setUp()
        self.ns = NetNamespace('bhyve')
        self.addCleanup(self.ns.delete)
        self.h = Harness(self.id(), hypervisor='bhyve', daemon_prefix=self.ns.prefix)
        self.addCleanup(self.h.cleanup)
        self._harnesses.append(self.h)
        path = os.environ.get('PATH', '/usr/bin:/bin')
        self.h.extra_env = {'PATH': RECORDER + ':' + FAKES + ':' + path}
        self.h.start()
        self.fake_dir = self.h.path('files')
        with open(self.h.config_path, 'a') as f:
            f.write('[firmware]\n'
                    f'UEFICode={self.h.path("files", "BHYVE_UEFI_CODE.fd")}\n'
                    f'UEFIVars={self.h.path("files", "BHYVE_UEFI_VARS.fd")}\n')
        for name in ('BHYVE_UEFI_CODE.fd', 'BHYVE_UEFI_VARS.fd'):
            with open(self.h.path('files', name), 'wb') as f:
                f.write(b'\0' * 4096)
        log = os.path.join(self.fake_dir, 'calls.log')
        self.h.extra_env.update({'CIRRINA_FAKE_BHYVE_DIR': self.fake_dir,
                                 'CIRRINA_NET_LOG': log})
        self.h.restart_daemon()
        self.c = self.h.client()
        self.sw = self.c.create_switch('lan')
        self.vm = self.c.create_vm('web1', CPUs=2, Memory=512 << 20)
        self.uuid = self.c.get(self.vm, VM, 'UUID')
        self.nic = self.c.add_nic(self.vm, Switch=self.sw, RateLimitIn=1000000,
                                  RateLimitOut=2000000)
        self.c.add_nic(self.vm)   # user-mode NAT: no tap
        self.tap = self.planned_tap()
        self.ifb = self.tap + 'i'
        os.unlink(log)   # the switch's own commands are SwitchTest's

    def planned_tap(self):
        """The NIC's UUID is no property; its tap is in the launch plan."""
        argv, files = self.c.call(self.vm, VM, 'GetLaunchPlan', 'bhyve')
        taps = [line.split('=', 1)[1] for conf in files.values() for line in conf.splitlines()
                if re.match(r'pci\.0\.\d+\.0\.backend=ct[0-9a-f]{8}$', line)]
        self.assertEqual(len(taps), 1, f'one tap in the plan: {files}')
        return str(taps[0])

    def calls(self):
        try:
            with open(os.path.join(self.fake_dir, 'calls.log')) as f:
                return [line.rstrip('\n') for line in f]
        except FileNotFoundError:
            return []

    def conf(self):
        return os.path.join(self.h.run_dir, 'vm', self.uuid, 'bhyve.conf')

    def made(self):
        """What starting the VM runs for its tap, in order."""
        t, i = self.tap, self.ifb
        return [f'ip tuntap add dev {t} mode tap',
                f'ip link set {t} master cirbr0',
                f'ip link set {t} up',
                f'tc qdisc add dev {t} root tbf rate 1000000bit burst 15140 latency 50ms',
                f'ip link add {i} type ifb',
                f'ip link set {i} up',
                f'tc qdisc add dev {t} handle ffff: ingress',
                f'tc filter add dev {t} parent ffff: protocol all u32 match u32 0 0 '
                f'action mirred egress redirect dev {i}',
                f'tc qdisc add dev {i} root tbf rate 2000000bit burst 15140 latency 50ms']

    def removed(self):
        return [f'ip link del {self.ifb}', f'ip link del {self.tap}']

    def bhyve(self):
        return f'bhyve -k {self.conf()} web1'

    def state(self):
        return self.c.get(self.vm, VM, 'State')

    def next_exit(self, code):
        with open(os.path.join(self.fake_dir, 'next-exit'), 'w') as f:
            f.write(str(code))

    def bhyve_pid(self):
        with open(os.path.join(self.h.run_dir, 'vm', self.uuid, 'process')) as f:
            return int(next(line for line in f if line.startswith('PID=')).split('=', 1)[1])

    def assert_port_up(self):
        links = self.ns.links()
        self.assertEqual(links[self.tap].get('master'), 'cirbr0')
        self.assertEqual(self.ns.kind(self.tap), 'tun')
        self.assertEqual(self.ns.kind(self.ifb), 'ifb')
        qdiscs = self.ns.run('tc', 'qdisc', 'show', 'dev', self.tap)
        self.assertIn('tbf', qdiscs)
        self.assertIn('ingress', qdiscs)

    def assert_port_gone(self):
        links = self.ns.links()
        self.assertNotIn(self.tap, links)
        self.assertNotIn(self.ifb, links)

    def test_tap_made_before_bhyve_and_removed_after_its_exit(self):
        self.c.call(self.vm, VM, 'Start')
        self.assertTrue(wait_until(lambda: self.bhyve() in self.calls(), timeout=10))
        self.assertEqual(self.calls(), self.made() + [self.bhyve()])
        self.assert_port_up()
        with open(os.path.join(self.fake_dir, 'last.conf')) as f:
            conf = f.read().splitlines()
        self.assertTrue(any(re.match(rf'pci\.0\.\d+\.0\.backend={self.tap}$', line)
                            for line in conf), conf)
        self.assertTrue(any(line.endswith('.backend=slirp') for line in conf), conf)

        self.c.call(self.vm, VM, 'Stop', 10, timeout=30)
        self.assertEqual(self.calls()[len(self.made()) + 1:],
                         ['bhyve exit 1 (SIGTERM: ACPI poweroff)',
                          'bhyvectl --vm=web1 --destroy'] + self.removed())
        self.assert_port_gone()
        self.assertFalse(os.path.exists(os.path.join(self.h.run_dir, 'vm', self.uuid,
                                                     'network')))

    def test_a_reboot_keeps_the_tap(self):
        self.next_exit(0)
        self.c.call(self.vm, VM, 'Start')
        n = len(self.made())
        self.assertTrue(wait_until(lambda: len(self.calls()) >= n + 4, timeout=10), self.calls())
        self.assertEqual(self.calls()[n:n + 4], [self.bhyve(), 'bhyve exit 0',
                                                 'bhyvectl --vm=web1 --destroy', self.bhyve()])
        self.assert_port_up()
        self.c.call(self.vm, VM, 'Kill', timeout=30)
        self.assertEqual(self.calls()[-3:], ['bhyvectl --vm=web1 --destroy'] + self.removed())
        self.assert_port_gone()

    def test_reattached_vm_loses_its_tap_when_it_stops(self):
        self.c.call(self.vm, VM, 'Start')
        self.h.kill_daemon()
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertEqual(self.state(), 'running')
        self.assert_port_up()
        self.c.call(self.vm, VM, 'Stop', 10, timeout=30)
        self.assertEqual(self.calls()[-3:], ['bhyvectl --vm=web1 --destroy'] + self.removed())
        self.assert_port_gone()

    def test_vm_that_died_while_the_daemon_was_away_loses_its_tap(self):
        self.c.call(self.vm, VM, 'Start')
        pid = self.bhyve_pid()
        self.h.kill_daemon()
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: self.bhyve_gone(pid), timeout=10))
        self.assert_port_up()
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.calls()[-3:], ['bhyvectl --vm=web1 --destroy'] + self.removed())
        self.assert_port_gone()

    def test_a_failed_start_leaves_no_tap(self):
        os.unlink(self.h.path('files', 'BHYVE_UEFI_CODE.fd'))
        self.assertRaises(Exception, self.c.call, self.vm, VM, 'Start')
        self.assertEqual(self.calls(), self.made() + self.removed())
        self.assert_port_gone()

    @staticmethod
    def bhyve_gone(pid):
        try:
            with open(f'/proc/{pid}/stat') as f:
                return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
        except FileNotFoundError:
            return True


if __name__ == '__main__':
    unittest.main(verbosity=2)
