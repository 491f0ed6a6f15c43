"""End to end: a real QEMU guest started, watched and stopped over D-Bus.

One VM with the test guest ISO, booted a few times and reused across the
steps, which run in order (they share the guest to keep TCG boots few):
Start and the guest's marker on its console, the state signals in order,
Reset (the guest boots again), the daemon killed with SIGKILL while the VM
runs (the VM keeps running, the new daemon reports it and stops it through
ACPI: the guest's own poweroff), a guest powering itself off, the restart
policy after an unrequested kill, Kill, Busy for hardware changes while
running, and GetLaunchPlan.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \
      /usr/bin/python3 -m unittest tests/e2e/test_lifecycle.py -v
"""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (VM, E_BUSY, CirrinaTestCase, Harness, require_environment,  # noqa: E402
                     wait_until)
import guest  # noqa: E402

POWER_TIMEOUT = 240   # D-Bus call timeout for Start/Stop, seconds


class LifecycleTest(CirrinaTestCase):

    @classmethod
    def setUpClass(cls):
        require_environment()
        if not os.path.exists('/usr/bin/qemu-system-x86_64'):
            raise unittest.SkipTest('qemu-system-x86_64 is not installed')
        cls.h = Harness('lifecycle')
        cls.class_harness = cls.h
        try:
            cls.h.start()
            cls.c = cls.h.client()
            cls.iso_path = guest.guest_iso(cls.h.tmp)
            iso = cls.c.register_iso('guest', cls.iso_path)
            cls.vm = cls.c.create_vm('e2e', ISOs=[iso], Memory=guest.GUEST_MEMORY)
            cls.uuid = cls.c.get(cls.vm, VM, 'UUID')
            cls.run_dir = os.path.join(cls.h.run_dir, 'vm', cls.uuid)
            cls.console = guest.SerialLog(os.path.join(cls.run_dir, 'com1.log'))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        tmp = cls.h.tmp
        cls.h.cleanup()
        if tmp:
            guest.kill_vm_processes(tmp)

    def state(self):
        return self.c.get(self.vm, VM, 'State')

    def call_vm(self, method, *args, signature=None):
        return self.c.call(self.vm, VM, method, *args, signature=signature,
                           timeout=POWER_TIMEOUT)

    def states_signalled(self):
        return [args[1]['State'] for path, iface, member, args in self.c.signals
                if member == 'PropertiesChanged' and path == self.vm and 'State' in args[1]]

    def qemu_pid(self):
        with open(os.path.join(self.run_dir, 'process')) as f:
            for line in f:
                if line.startswith('PID='):
                    return int(line.split('=', 1)[1])
        raise AssertionError('no PID in the process record')

    def test_1_start_boots_the_guest(self):
        self.c.record_signals()
        self.call_vm('Start')
        self.assertEqual(self.state(), 'running', 'Start answers once the VM runs')
        took = self.console.wait_count(guest.READY, 1)
        sys.stderr.write(f'[guest marker {took:.1f} s after Start returned] ')
        self.assertTrue(wait_until(lambda: self.states_signalled()[-2:] == ['starting', 'running'],
                                   timeout=5),
                        f'State signals in order: {self.states_signalled()}')

    def test_2_reset_boots_it_again(self):
        self.call_vm('Reset')
        self.console.wait_count(guest.READY, 2)
        self.assertEqual(self.state(), 'running')

    def test_3_hardware_is_busy_while_running(self):
        self.assertDBusError(E_BUSY, self.c.update, self.vm, VM, CPUs=2, mentions=('running',))
        self.assertDBusError(E_BUSY, self.c.delete, self.vm, VM, mentions=('running',))
        self.assertEqual(self.c.get(self.vm, VM, 'CPUs'), 1)
        self.c.update(self.vm, VM, Description='still editable')

    def test_4_vm_survives_a_killed_daemon(self):
        pid = self.qemu_pid()
        self.h.kill_daemon()
        time.sleep(1)
        os.kill(pid, 0)   # raises if the VM died with the daemon
        self.h.start_daemon()
        type(self).c = self.h.client()
        self.assertEqual(self.state(), 'running', 'the new daemon reattached to the VM')
        self.assertEqual(self.qemu_pid(), pid)

    def test_5_stop_is_the_guests_own_poweroff(self):
        self.c.record_signals()
        self.call_vm('Stop', 120)
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'poweroff')
        self.assertGreaterEqual(self.console.count(guest.POWEROFF), 1,
                                'the guest saw the ACPI power button and shut down itself')
        self.assertTrue(wait_until(lambda: self.states_signalled()[-2:] == ['stopping', 'stopped'],
                                   timeout=5),
                        f'State signals in order: {self.states_signalled()}')

    def test_6_guest_powering_itself_off_is_seen(self):
        seen = self.console.count(guest.READY)
        self.call_vm('Start')
        self.console.wait_count(guest.READY, seen + 1)
        fd = self.c.call(self.vm, VM, 'OpenConsole', 'com1', {}, signature='sa{sv}')
        guest.type_into_console(fd.take(), 'poweroff -f')
        self.assertTrue(wait_until(lambda: self.state() == 'stopped', timeout=60),
                        f'still {self.state()} after the guest powered off')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'poweroff')

    def test_7_restart_policy_and_kill(self):
        self.c.update(self.vm, VM, RestartPolicy='on-failure')
        self.call_vm('Start')
        first = self.qemu_pid()
        os.kill(first, signal.SIGKILL)   # a crash cirrinad did not ask for
        self.assertTrue(wait_until(lambda: os.path.exists(os.path.join(self.run_dir, 'process'))
                                   and self.qemu_pid() != first and self.state() == 'running',
                                   timeout=60),
                        'the VM was started again after an unrequested kill')
        self.call_vm('Kill')
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'killed')
        time.sleep(1)
        self.assertEqual(self.state(), 'stopped', 'a requested kill is not restarted')

    def test_8_launch_plan(self):
        argv, files = self.call_vm('GetLaunchPlan', '')
        self.assertTrue(argv[0].startswith('qemu-system-x86_64'))
        self.assertIn(self.uuid, argv)
        self.assertTrue(any(self.iso_path in a for a in argv), argv)
        self.assertTrue(any('accel=tcg' in a or 'accel=kvm' in a for a in argv), argv)


if __name__ == '__main__':
    unittest.main(verbosity=2)
