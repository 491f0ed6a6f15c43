"""The bhyve driver's start path, run for real with stand-ins for bhyve(8).

bhyve cannot run on Linux, so tests/data/fake-bhyve/ puts a `bhyve` and a
`bhyvectl` on the daemon's PATH that record their command lines. The daemon
runs with Hypervisor=bhyve and takes its real start path: the plan (the
bhyve_config(5) file checked by the golden tests), the spawn, the exit
handling. These tests check what a FreeBSD host would see run, in order:
`bhyve -k FILE NAME`, then after every exit `bhyvectl --vm=NAME --destroy`,
and a new `bhyve` after a reboot (exit 0) only.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/integration/test_bhyve_lifecycle.py -v
"""

import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import VM, CirrinaTestCase, Harness, source_root, wait_until  # noqa: E402

FAKES = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')


def process_gone(pid):
    """Gone or a zombie: the killed daemon's children go to an init that
    may not reap them here."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


class BhyveLifecycleTest(CirrinaTestCase):

    def setUp(self):
        super().setUp()
        self.h = Harness(self.id(), hypervisor='bhyve')
        self.addCleanup(self.h.cleanup)
        self._harnesses.append(self.h)
        # The firmware must exist for a start; bhyve itself is the fake.
        self.h.extra_env = {'PATH': FAKES + ':' + os.environ.get('PATH', '/usr/bin:/bin')}
        self.h.start()
        self.fake_dir = self.h.path('files')
        with open(self.h.config_path, 'a') as f:
            f.write('[firmware]\n'
                    f'UEFICode={self.h.path("files", "BHYVE_UEFI_CODE.fd")}\n'
                    f'UEFIVars={self.h.path("files", "BHYVE_UEFI_VARS.fd")}\n')
        for name in ('BHYVE_UEFI_CODE.fd', 'BHYVE_UEFI_VARS.fd'):
            with open(self.h.path('files', name), 'wb') as f:
                f.write(b'\0' * 4096)
        self.h.extra_env['CIRRINA_FAKE_BHYVE_DIR'] = self.fake_dir
        self.h.restart_daemon()
        self.c = self.h.client()
        self.vm = self.c.create_vm('web1', CPUs=2, Memory=512 << 20)
        self.uuid = self.c.get(self.vm, VM, 'UUID')

    def calls(self):
        try:
            with open(os.path.join(self.fake_dir, 'calls.log')) as f:
                return [line.rstrip('\n') for line in f]
        except FileNotFoundError:
            return []

    def next_exit(self, code):
        with open(os.path.join(self.fake_dir, 'next-exit'), 'w') as f:
            f.write(str(code))

    def state(self):
        return self.c.get(self.vm, VM, 'State')

    def conf(self):
        return os.path.join(self.h.run_dir, 'vm', self.uuid, 'bhyve.conf')

    def test_start_runs_bhyve_with_its_config_and_stop_destroys(self):
        self.assertEqual(self.c.get('/org/cirrina', 'org.cirrina.Manager', 'Hypervisor'), 'bhyve')
        self.c.call(self.vm, VM, 'Start')
        self.assertEqual(self.state(), 'running')
        self.assertTrue(wait_until(lambda: os.path.exists(os.path.join(self.fake_dir, 'last.conf')),
                                   timeout=10))
        self.assertEqual(self.calls(), [f'bhyve -k {self.conf()} web1'])
        with open(os.path.join(self.fake_dir, 'last.conf')) as f:
            conf = f.read().splitlines()
        for line in ('name=web1', 'cpus=2', 'memory.size=512M', 'destroy_on_poweroff=true',
                     f'uuid={self.uuid}'):
            self.assertIn(line, conf)
        # The config bhyve ran is the one GetLaunchPlan shows.
        argv, files = self.c.call(self.vm, VM, 'GetLaunchPlan', 'bhyve')
        self.assertEqual(list(argv), ['bhyve', '-k', self.conf(), 'web1'])

        self.c.call(self.vm, VM, 'Stop', 10, timeout=30)
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'poweroff')
        self.assertEqual(self.calls()[1:], ['bhyve exit 1 (SIGTERM: ACPI poweroff)',
                                            'bhyvectl --vm=web1 --destroy'])

    def test_reboot_destroys_then_starts_again(self):
        self.next_exit(0)
        self.c.call(self.vm, VM, 'Start')
        self.assertTrue(wait_until(lambda: len(self.calls()) >= 4, timeout=10), self.calls())
        self.assertEqual(self.calls()[:4], [f'bhyve -k {self.conf()} web1', 'bhyve exit 0',
                                            'bhyvectl --vm=web1 --destroy',
                                            f'bhyve -k {self.conf()} web1'])
        self.assertEqual(self.state(), 'running', 'a guest reboot does not stop the VM')
        self.c.call(self.vm, VM, 'Kill', timeout=30)
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'killed')
        self.assertEqual(self.calls()[-1], 'bhyvectl --vm=web1 --destroy')

    def test_exit_codes_are_reasons(self):
        for code, reason in ((1, 'poweroff'), (2, 'halt'), (3, 'triple-fault'), (4, 'error')):
            with self.subTest(code=code):
                before = len(self.calls())
                self.next_exit(code)
                self.c.call(self.vm, VM, 'Start')
                self.assertTrue(wait_until(lambda: self.state() == 'stopped', timeout=10))
                self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), reason)
                self.assertEqual(self.calls()[before:],
                                 [f'bhyve -k {self.conf()} web1', f'bhyve exit {code}',
                                  'bhyvectl --vm=web1 --destroy'],
                                 'destroyed once after the exit, and not started again')

    def test_on_failure_restarts_after_a_triple_fault(self):
        self.c.update(self.vm, VM, RestartPolicy='on-failure')
        self.next_exit(3)
        self.c.call(self.vm, VM, 'Start')
        self.assertTrue(wait_until(lambda: len(self.calls()) >= 4, timeout=10), self.calls())
        self.assertEqual(self.calls()[1:4], ['bhyve exit 3', 'bhyvectl --vm=web1 --destroy',
                                             f'bhyve -k {self.conf()} web1'])
        self.c.call(self.vm, VM, 'Stop', 10, timeout=30)
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'poweroff')

    def bhyve_pid(self):
        with open(os.path.join(self.h.run_dir, 'vm', self.uuid, 'process')) as f:
            return int(next(l for l in f if l.startswith('PID=')).split('=', 1)[1])

    def test_vm_that_died_while_the_daemon_was_away_is_cleaned_up(self):
        self.c.call(self.vm, VM, 'Start')
        pid = self.bhyve_pid()
        self.h.kill_daemon()
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: process_gone(pid), timeout=10))
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'exited')
        self.assertEqual(self.calls()[-1], 'bhyvectl --vm=web1 --destroy',
                         'the kernel VM of a bhyve that died meanwhile is destroyed')
        self.assertFalse(os.path.exists(os.path.join(self.h.run_dir, 'vm', self.uuid, 'process')))

    def test_running_vm_is_reattached_and_still_controlled(self):
        self.c.call(self.vm, VM, 'Start')
        pid = self.bhyve_pid()
        self.h.kill_daemon()
        self.h.start_daemon()
        self.c = self.h.client()
        self.assertEqual(self.state(), 'running')
        self.assertEqual(self.bhyve_pid(), pid)
        self.c.call(self.vm, VM, 'Stop', 10, timeout=30)
        self.assertEqual(self.state(), 'stopped')
        self.assertEqual(self.c.get(self.vm, VM, 'ExitReason'), 'poweroff')
        self.assertEqual(self.calls()[-1], 'bhyvectl --vm=web1 --destroy')

    def test_autostart_after_its_delay(self):
        self.c.update(self.vm, VM, Autostart=True, AutostartDelay=2)
        other = self.c.create_vm('manual')
        self.h.restart_daemon()
        self.c = self.h.client()
        self.assertEqual(self.state(), 'stopped', 'not before its delay')
        self.assertTrue(wait_until(lambda: self.state() == 'running', timeout=10),
                        'the VM started by itself after its delay')
        self.assertEqual(self.c.get(other, VM, 'State'), 'stopped')
        # The stand-in logs itself once it runs, which may follow the state.
        self.assertTrue(wait_until(lambda: self.calls() == [f'bhyve -k {self.conf()} web1'],
                                   timeout=10), self.calls())


if __name__ == '__main__':
    unittest.main(verbosity=2)
