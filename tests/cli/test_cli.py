"""cirrinactl against a private cirrinad: every subcommand, its table and
its JSON, the exit codes of the error cases, --host through an ssh
stand-in to a second daemon, the interactive-authorization flag, the bash
completion and the man page.

The daemon runs with Hypervisor=bhyve and the stand-ins of
tests/data/fake-bhyve, so start/stop/kill/reset take the real start path
on any host (see tests/integration/test_bhyve_lifecycle.py).

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINACTL=build/cli/cirrinactl \\
      CIRRINA_SOURCE_ROOT=$PWD /usr/bin/python3 -m unittest tests/cli/test_cli.py -v
"""

import json
import os
import pty
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cli_harness as cli  # noqa: E402
from cli_harness import (CONFLICT, DENIED, FAILURE, NOT_FOUND, OK, USAGE,  # noqa: E402
                         parse_properties, parse_table)
from harness import (DISK, ISO, NIC, SWITCH, VM, CirrinaTestCase, GiB, MiB, NOBODY,  # noqa: E402
                     api, source_root, wait_until)



def start_private_bus(test):
    """A private dbus-daemon for a stand-in service, stopped at the test's
    cleanup; its address."""
    if not shutil.which('dbus-daemon'):
        test.skipTest('dbus-daemon is not installed')
    bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    test.addCleanup(bus.wait)
    test.addCleanup(bus.terminate)
    address = bus.stdout.readline().decode().strip()
    bus.stdout.close()
    return address

class CliTestCase(CirrinaTestCase):
    """One bhyve-faked daemon for the class; each test uses its own names."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.h = cli.bhyve_harness(cls.__name__)
        cls.class_harness = cls.h
        cls.c = cls.h.client()

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()
        super().tearDownClass()

    def ctl(self, *args, expect=OK, **kwargs):
        r = cli.run(self.h.address, *args, **kwargs)
        if expect is not None:
            self.assertEqual(r.rc, expect, r)
        if expect == OK:
            self.assertEqual(r.err, '', r)
        elif expect is not None:
            self.assertError(r)
        return r

    def assertError(self, r, mentions=()):
        """One line on stderr: 'cirrinactl: ...'."""
        lines = r.err.splitlines()
        self.assertTrue(lines and lines[0].startswith('cirrinactl: '), r)
        self.assertEqual(len(lines), 1, r)
        for m in mentions:
            self.assertIn(m.lower(), r.err.lower(), r)

    def path_of(self, kind, name):
        return self.c.lookup(kind, name)


class BasicsTest(CliTestCase):

    def test_help_version_and_usage_errors(self):
        r = self.ctl('--help')
        for word in ('vm list', 'vm console', 'nic add', 'switch', 'disk create', 'iso register',
                     'host info', '--host', '--json', 'Exit status'):
            self.assertIn(word, r.out)
        self.assertRegex(self.ctl('--version').out, r'^cirrinactl \d+\.\d+')
        self.assertIn('no command', self.ctl(expect=USAGE).err)
        self.assertIn("unknown command 'frobnicate'", self.ctl('frobnicate', expect=USAGE).err)
        self.assertIn("unknown command 'vm frobnicate'",
                      self.ctl('vm', 'frobnicate', expect=USAGE).err)
        self.assertIn("unknown option '--frob'", self.ctl('vm', 'list', '--frob', expect=USAGE).err)
        self.ctl('--system', '--session', 'host', 'info', expect=USAGE)
        self.ctl('vm', 'show', expect=USAGE)
        self.ctl('vm', 'edit', 'x', 'novalue', expect=USAGE)

    def test_host_info(self):
        props = parse_properties(self.ctl('host', 'info').out)
        self.assertEqual(props['Bus'], 'system')
        self.assertEqual(props['Hypervisor'], 'bhyve')
        self.assertRegex(props['HostMemory'], r'^\d+(\.\d)?[KMGT]$')
        info = self.ctl('--json', 'host', 'info').json()
        manager = self.c.get_all('/org/cirrina', 'org.cirrina.Manager')
        for key, value in manager.items():
            self.assertEqual(info[key], value, key)
        self.assertEqual(info['Bus'], 'system')
        self.assertEqual(props['HostCPUs'], str(manager['HostCPUs']))
        self.assertIsInstance(info['VMs'], int)
        # Forced buses: --system is this one; the session bus is absent here.
        self.assertEqual(self.ctl('--system', '--json', 'host', 'info').json()['Bus'], 'system')
        r = self.ctl('--session', 'host', 'info', expect=FAILURE)
        self.assertIn('session bus', r.err)

    def test_host_interfaces(self):
        if 'GetHostInterfaces' not in api_methods(self.c, '/org/cirrina'):
            r = self.ctl('host', 'interfaces', expect=FAILURE)
            self.assertIn('not supported by this cirrinad', r.err)
            return
        names = self.c.call('/org/cirrina', 'org.cirrina.Manager', 'GetHostInterfaces')
        self.assertEqual(self.ctl('host', 'interfaces').out.splitlines(), list(names))
        self.assertEqual(self.ctl('--json', 'host', 'interfaces').json(), list(names))

    def test_global_options_anywhere(self):
        self.ctl('disk', 'create', 'anywhere', '1M')
        self.assertEqual(self.ctl('disk', 'show', 'anywhere', '--json').json()['Size'], MiB)
        self.assertEqual(self.ctl('disk', '--json', 'show', 'anywhere').json()['Name'], 'anywhere')


class DiskTest(CliTestCase):

    def test_create_list_show_edit_rename_delete(self):
        self.ctl('disk', 'create', 'd-root', '10G')
        self.ctl('disk', 'create', 'd-data', 'Size=1.5G', 'Bus=nvme', 'Description=data disk')
        root = self.path_of('Disk', 'd-root')
        self.assertEqual(self.c.get(root, DISK, 'Size'), 10 * GiB)
        data = self.path_of('Disk', 'd-data')
        self.assertEqual(self.c.get(data, DISK, 'Size'), 1536 * MiB)
        self.assertEqual(self.c.get(data, DISK, 'Bus'), 'nvme')

        names, rows = parse_table(self.ctl('disk', 'list').out)
        self.assertEqual(names, ['NAME', 'SIZE', 'ALLOCATED', 'FORMAT', 'BUS', 'VM', 'UUID'])
        by_name = {r['NAME']: r for r in rows}
        self.assertEqual(by_name['d-root']['SIZE'], '10G')
        self.assertEqual(by_name['d-data']['SIZE'], '1.5G')
        self.assertEqual(by_name['d-data']['BUS'], 'nvme')
        self.assertEqual(by_name['d-root']['VM'], '-')
        self.assertEqual(by_name['d-root']['UUID'], self.c.get(root, DISK, 'UUID'))
        self.assertEqual([r['NAME'] for r in rows], sorted(r['NAME'] for r in rows))

        listed = {d['Name']: d for d in self.ctl('--json', 'disk', 'list').json()}
        self.assertEqual(listed['d-data'], self.c.get_all(data, DISK))
        self.assertEqual(set(listed['d-root']), set(api()[DISK]['properties']))

        props = parse_properties(self.ctl('disk', 'show', 'd-data').out)
        self.assertEqual(props['Size'], '1.5G')
        self.assertEqual(props['Description'], 'data disk')
        self.assertEqual(props['AttachedTo'], '-')
        self.assertEqual(props['ReadOnly'], 'no')
        self.assertEqual(self.ctl('--json', 'disk', 'show', 'd-data').json(),
                         self.c.get_all(data, DISK))
        # By UUID as well as by name.
        uuid = self.c.get(data, DISK, 'UUID')
        self.assertEqual(self.ctl('--json', 'disk', 'show', uuid).json()['Name'], 'd-data')

        self.ctl('disk', 'edit', 'd-data', 'ReadOnly=yes', 'Bus=ahci-hd')
        self.assertTrue(self.c.get(data, DISK, 'ReadOnly'))
        self.assertEqual(self.c.get(data, DISK, 'Bus'), 'ahci-hd')
        self.ctl('disk', 'rename', 'd-data', 'd-data2')
        self.assertEqual(self.c.get(data, DISK, 'Name'), 'd-data2')
        self.ctl('disk', 'delete', 'd-data2', 'd-root')
        self.ctl('disk', 'show', 'd-root', expect=NOT_FOUND)

    def test_create_json_prints_the_new_disk(self):
        made = self.ctl('--json', 'disk', 'create', 'd-json', '512M').json()
        self.assertEqual(made['Name'], 'd-json')
        self.assertEqual(made['Size'], 512 * MiB)
        self.assertEqual(self.ctl('disk', 'create', 'd-quiet', '1M').out, '')

    def test_sizes(self):
        for i, (text, size) in enumerate((('4096', 4096), ('4K', 4096), ('1.5M', 1536 * 1024),
                                          ('2GiB', 2 * GiB), ('1T', 1 << 40))):
            with self.subTest(text=text):
                name = f'd-size-{i}'
                self.ctl('disk', 'create', name, text)
                self.assertEqual(self.c.get(self.path_of('Disk', name), DISK, 'Size'), size)
        for text in ('12X', '-1G', '0.3K', '1.2.3G', 'G', ''):
            with self.subTest(bad=text):
                r = self.ctl('disk', 'create', 'd-bad', f'Size={text}', expect=USAGE)
                self.assertIn(f'Size={text}', r.err)
        self.ctl('disk', 'show', 'd-bad', expect=NOT_FOUND)

    def test_storage_methods(self):
        """resize/clone/import: what they do where the daemon has them, a
        clear "not supported by this cirrinad" where it does not."""
        import hashlib
        self.ctl('disk', 'create', 'd-grow', '1M')
        disk = self.path_of('Disk', 'd-grow')
        methods = api_methods(self.c, disk)
        manager = api_methods(self.c, '/org/cirrina')
        src = self.h.make_file('image.raw', 4096)

        def unsupported(*argv):
            r = self.ctl(*argv, expect=FAILURE)
            self.assertIn('not supported by this cirrinad', r.err)

        if 'Resize' in methods:
            self.ctl('disk', 'resize', 'd-grow', '2M')
            self.assertEqual(self.c.get(disk, DISK, 'Size'), 2 * MiB)
            self.ctl('disk', 'resize', 'd-grow', '1M', expect=USAGE)   # shrinking needs --force
            self.ctl('disk', 'resize', 'd-grow', '1M', '--force')
            self.assertEqual(self.c.get(disk, DISK, 'Size'), MiB)
        else:
            unsupported('disk', 'resize', 'd-grow', '2M')
        if 'Clone' in methods:
            made = self.ctl('--json', 'disk', 'clone', 'd-grow', 'd-copy', 'Bus=nvme').json()
            self.assertEqual((made['Name'], made['Size'], made['Bus']), ('d-copy', MiB, 'nvme'))
        else:
            unsupported('disk', 'clone', 'd-grow', 'd-copy')
        if 'ImportDisk' in manager:
            made = self.ctl('--json', 'disk', 'import', 'd-imported', src).json()
            self.assertEqual((made['Name'], made['Size']), ('d-imported', 4096))
        else:
            unsupported('disk', 'import', 'd-imported', src)
        if 'ImportISO' in manager:
            with open(src, 'rb') as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            made = self.ctl('--json', 'iso', 'import', 'i-imported', src).json()
            self.assertEqual((made['Name'], made['Size'], made['SHA256']),
                             ('i-imported', 4096, digest))
        else:
            unsupported('iso', 'import', 'i-imported', src)


def api_methods(client, path):
    xml = client.introspect(path)
    return set(re.findall(r'<method name="(\w+)"', xml))


class VMTest(CliTestCase):

    def test_create_show_edit(self):
        self.ctl('disk', 'create', 'v-root', '1G')
        self.ctl('disk', 'create', 'v-data', '1G')
        iso_file = self.h.make_file('v.iso', 4096)
        self.ctl('iso', 'register', 'v-iso', iso_file)
        self.ctl('vm', 'create', 'web', 'CPUs=2', 'Memory=2G', 'Disks=v-root,v-data',
                 'ISOs=v-iso', 'Autostart=yes', 'Description=the web server')
        vm = self.path_of('VM', 'web')
        got = self.c.get_all(vm, VM)
        self.assertEqual(got['CPUs'], 2)
        self.assertEqual(got['Memory'], 2 * GiB)
        self.assertEqual(got['Disks'], [self.path_of('Disk', 'v-root'),
                                        self.path_of('Disk', 'v-data')])
        self.assertEqual(got['ISOs'], [self.path_of('ISO', 'v-iso')])
        self.assertTrue(got['Autostart'])

        props = parse_properties(self.ctl('vm', 'show', 'web').out)
        self.assertEqual(list(props), list(got), 'every property, in the daemon\'s order')
        self.assertEqual(props['Memory'], '2G')
        self.assertEqual(props['Disks'], 'v-root,v-data')
        self.assertEqual(props['ISOs'], 'v-iso')
        self.assertEqual(props['Autostart'], 'yes')
        self.assertEqual(props['Description'], 'the web server')
        self.assertEqual(props['State'], 'stopped')

        shown = self.ctl('--json', 'vm', 'show', 'web').json()
        self.assertEqual(shown, got, 'JSON: property names as keys, D-Bus values')
        self.assertEqual(set(shown), set(api()[VM]['properties']))
        self.assertIsInstance(shown['Memory'], int)
        self.assertIs(shown['Autostart'], True)

        # The structured settings, and their display read back as input.
        self.ctl('vm', 'edit', 'web', 'CPUPins=0:1,1:0', 'Shares=src:/srv:ro,out:/tmp',
                 'Disks=v-data', 'Autostart=off', 'Memory=1536M')
        got = self.c.get_all(vm, VM)
        self.assertEqual(got['CPUPins'], [(0, 1), (1, 0)])
        self.assertEqual(got['Shares'], [('src', '/srv', True), ('out', '/tmp', False)])
        self.assertEqual(got['Disks'], [self.path_of('Disk', 'v-data')])
        self.assertFalse(got['Autostart'])
        self.assertEqual(got['Memory'], 1536 * MiB)
        props = parse_properties(self.ctl('vm', 'show', 'web').out)
        self.assertEqual(props['CPUPins'], '0:1,1:0')
        self.assertEqual(props['Shares'], 'src:/srv:ro,out:/tmp')
        self.assertEqual(props['Memory'], '1.5G')
        shown = self.ctl('--json', 'vm', 'show', 'web').json()
        self.assertEqual(shown['CPUPins'], [[0, 1], [1, 0]])
        self.assertEqual(shown['Shares'], [['src', '/srv', True], ['out', '/tmp', False]])
        self.ctl('vm', 'edit', 'web', 'CPUPins=' + props['CPUPins'], 'Shares=' + props['Shares'])
        self.assertEqual(self.c.get(vm, VM, 'Shares'),
                         [('src', '/srv', True), ('out', '/tmp', False)])
        # Empty lists.
        self.ctl('vm', 'edit', 'web', 'CPUPins=', 'Shares=', 'ISOs=', 'Disks=')
        got = self.c.get_all(vm, VM)
        self.assertEqual((got['CPUPins'], got['Shares'], got['ISOs'], got['Disks']),
                         ([], [], [], []))
        # The write-only password.
        self.ctl('vm', 'edit', 'web', 'DisplayPassword=secret')
        self.assertTrue(self.c.get(vm, VM, 'DisplayPasswordSet'))
        self.assertNotIn('secret', self.ctl('--json', 'vm', 'show', 'web').out)

    def test_list_table_and_json(self):
        self.ctl('vm', 'create', 'list-b', 'CPUs=4', 'Memory=512M')
        self.ctl('vm', 'create', 'list-a')
        names, rows = parse_table(self.ctl('vm', 'list').out)
        self.assertEqual(names, ['NAME', 'STATE', 'CPUS', 'MEMORY', 'DISKS', 'AUTOSTART', 'UUID'])
        by_name = {r['NAME']: r for r in rows}
        self.assertEqual(by_name['list-b'], {
            'NAME': 'list-b', 'STATE': 'stopped', 'CPUS': '4', 'MEMORY': '512M', 'DISKS': '-',
            'AUTOSTART': 'no', 'UUID': self.c.get(self.path_of('VM', 'list-b'), VM, 'UUID')})
        self.assertEqual([r['NAME'] for r in rows], sorted(by_name))
        listed = self.ctl('--json', 'vm', 'list').json()
        self.assertIsInstance(listed, list)
        self.assertEqual([v['Name'] for v in listed], sorted(by_name))
        for v in listed:
            self.assertEqual(v, self.c.get_all(self.path_of('VM', v['Name']), VM))

    def test_rename_and_uuid(self):
        self.ctl('vm', 'create', 'old-name')
        vm = self.path_of('VM', 'old-name')
        uuid = self.c.get(vm, VM, 'UUID')
        self.ctl('vm', 'rename', 'old-name', 'new-name')
        self.assertEqual(self.c.get(vm, VM, 'Name'), 'new-name')
        self.ctl('vm', 'show', 'old-name', expect=NOT_FOUND)
        self.ctl('vm', 'edit', uuid, 'CPUs=3')
        self.assertEqual(self.c.get(vm, VM, 'CPUs'), 3)
        self.assertEqual(self.ctl('--json', 'vm', 'show', vm).json()['UUID'], uuid,
                         'an object path names it too')
        self.ctl('vm', 'rename', 'new-name', 'bad name!', expect=USAGE)

    def test_power(self):
        self.ctl('vm', 'create', 'power', 'Memory=256M')
        vm = self.path_of('VM', 'power')
        state = lambda: self.c.get(vm, VM, 'State')  # noqa: E731
        self.ctl('vm', 'start', 'power')
        self.assertEqual(state(), 'running')
        self.assertEqual(parse_properties(self.ctl('vm', 'show', 'power').out)['State'], 'running')
        r = self.ctl('vm', 'edit', 'power', 'CPUs=2', expect=CONFLICT)
        self.assertIn('running', r.err)
        self.ctl('vm', 'edit', 'power', 'Description=still editable')
        self.ctl('vm', 'delete', 'power', expect=CONFLICT)
        self.ctl('vm', 'reset', 'power')
        self.assertTrue(wait_until(lambda: state() == 'running', timeout=10))
        self.ctl('vm', 'stop', 'power', '--timeout', '5')
        self.assertEqual(state(), 'stopped')
        self.assertEqual(self.c.get(vm, VM, 'ExitReason'), 'poweroff')
        self.ctl('vm', 'start', 'power')
        self.ctl('vm', 'kill', 'power')
        self.assertEqual(state(), 'stopped')
        self.ctl('vm', 'stop', 'power', '--timeout=x', expect=USAGE)
        # Several at once: the first failure's status, the rest still done.
        self.ctl('vm', 'create', 'power2')
        r = self.ctl('vm', 'start', 'no-such-vm', 'power2', expect=NOT_FOUND)
        self.assertEqual(self.c.get(self.path_of('VM', 'power2'), VM, 'State'), 'running')
        self.ctl('vm', 'kill', 'power2')

    def test_plan(self):
        self.ctl('vm', 'create', 'planned', 'CPUs=2', 'Memory=512M')
        argv, files = self.c.call(self.path_of('VM', 'planned'), VM, 'GetLaunchPlan', 'bhyve')
        out = self.ctl('vm', 'plan', 'planned', '--hypervisor', 'bhyve').out
        self.assertTrue(out.startswith('# command\n' + ' '.join(argv) + '\n'), out)
        for path, text in files.items():
            self.assertIn(f'# file {path}\n{text}', out)
        plan = self.ctl('--json', 'vm', 'plan', 'planned', '--hypervisor=bhyve').json()
        self.assertEqual(plan, {'argv': list(argv), 'files': dict(files)})
        self.assertIn('cpus=2', list(plan['files'].values())[0])

    def test_delete_keeps_or_deletes_disks(self):
        self.ctl('disk', 'create', 'keep-me', '1M')
        self.ctl('disk', 'create', 'drop-me', '1M')
        self.ctl('vm', 'create', 'del-a', 'Disks=keep-me')
        self.ctl('vm', 'create', 'del-b', 'Disks=drop-me')
        self.ctl('vm', 'delete', 'del-a')
        self.ctl('vm', 'delete', 'del-b', '--delete-disks')
        self.ctl('vm', 'show', 'del-a', expect=NOT_FOUND)
        self.assertEqual(self.ctl('--json', 'disk', 'show', 'keep-me').json()['AttachedTo'], '/')
        self.ctl('disk', 'show', 'drop-me', expect=NOT_FOUND)

    def test_log(self):
        self.ctl('vm', 'create', 'logged')
        if 'GetConsoleLog' not in api_methods(self.c, self.path_of('VM', 'logged')):
            r = self.ctl('vm', 'log', 'logged', expect=FAILURE)
            self.assertIn('not supported by this cirrinad', r.err)
            return
        expected = bytes(self.c.call(self.path_of('VM', 'logged'), VM, 'GetConsoleLog', '', 0))
        r = cli.run(self.h.address, 'vm', 'log', 'logged')
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.out.encode(), expected)
        self.ctl('vm', 'log', 'logged', '--port', 'com2', '--bytes', '1K', expect=None)
        self.ctl('vm', 'log', 'logged', '--bytes', 'lots', expect=USAGE)
        self.ctl('vm', 'log', 'nope', expect=NOT_FOUND)

    def test_console_of_a_stopped_vm(self):
        self.ctl('vm', 'create', 'quiet')
        if 'OpenConsole' not in api_methods(self.c, self.path_of('VM', 'quiet')):
            self.assertIn('not supported', self.ctl('vm', 'console', 'quiet', expect=FAILURE).err)
            return
        r = cli.run(self.h.address, 'vm', 'console', 'quiet')
        self.assertIn(r.rc, (CONFLICT, FAILURE), r)
        self.assertIn('quiet', r.err)
        self.ctl('vm', 'console', 'nope', expect=NOT_FOUND)


class SwitchNicTest(CliTestCase):

    def test_switch(self):
        self.ctl('switch', 'create', 'lan', 'Description=office')
        sw = self.path_of('Switch', 'lan')
        names, rows = parse_table(self.ctl('switch', 'list').out)
        self.assertEqual(names, ['NAME', 'TYPE', 'INTERFACE', 'UPLINK', 'UUID'])
        row = [r for r in rows if r['NAME'] == 'lan'][0]
        self.assertEqual(row['TYPE'], 'bridge')
        self.assertEqual(row['INTERFACE'], self.c.get(sw, SWITCH, 'Interface'))
        self.assertEqual(row['UPLINK'], '-')
        self.assertEqual(self.ctl('--json', 'switch', 'show', 'lan').json(),
                         self.c.get_all(sw, SWITCH))
        self.assertEqual(parse_properties(self.ctl('switch', 'show', 'lan').out)['Description'],
                         'office')
        self.ctl('switch', 'edit', 'lan', 'Description=lab')
        self.assertEqual(self.c.get(sw, SWITCH, 'Description'), 'lab')
        self.ctl('switch', 'rename', 'lan', 'lab')
        self.ctl('switch', 'create', 'lab', expect=CONFLICT)
        self.ctl('switch', 'delete', 'lab')
        self.ctl('switch', 'show', 'lab', expect=NOT_FOUND)

    def test_nics(self):
        self.ctl('switch', 'create', 'nic-lan')
        self.ctl('vm', 'create', 'nic-vm')
        vm = self.path_of('VM', 'nic-vm')
        self.assertEqual(self.ctl('nic', 'list', 'nic-vm').out, 'No NICs.\n')
        self.assertEqual(self.ctl('--json', 'nic', 'list', 'nic-vm').json(), [])
        self.ctl('nic', 'add', 'nic-vm')
        made = self.ctl('--json', 'nic', 'add', 'nic-vm', 'Model=e1000', 'Switch=nic-lan').json()
        self.assertEqual(made['Model'], 'e1000')
        nics = self.c.get(vm, VM, 'NICs')
        self.assertEqual(len(nics), 2)
        second = self.c.get_all(nics[1], NIC)
        self.assertEqual(second['Switch'], self.path_of('Switch', 'nic-lan'))
        self.assertEqual(made, second)

        names, rows = parse_table(self.ctl('nic', 'list', 'nic-vm').out)
        self.assertEqual(names, ['NIC', 'MODEL', 'MAC', 'SWITCH', 'RATE-IN', 'RATE-OUT'])
        numbers = [p.rsplit('/', 1)[1] for p in nics]
        self.assertEqual([r['NIC'] for r in rows], numbers)
        self.assertEqual(rows[0]['SWITCH'], '-')
        self.assertEqual(rows[1]['SWITCH'], 'nic-lan')
        self.assertEqual(rows[1]['MAC'], second['MAC'])
        listed = self.ctl('--json', 'nic', 'list', 'nic-vm').json()
        self.assertEqual(listed, [self.c.get_all(p, NIC) for p in nics])

        # By number or by MAC.
        props = parse_properties(self.ctl('nic', 'show', 'nic-vm', numbers[1]).out)
        self.assertEqual(props['Switch'], 'nic-lan')
        self.assertEqual(props['VM'], 'nic-vm')
        self.assertEqual(self.ctl('--json', 'nic', 'show', 'nic-vm', second['MAC'].upper()).json(),
                         second)
        self.ctl('nic', 'edit', 'nic-vm', numbers[1], 'Switch=nat', 'RateLimitIn=8000')
        self.assertEqual(self.c.get(nics[1], NIC, 'Switch'), '/')
        self.assertEqual(self.c.get(nics[1], NIC, 'RateLimitIn'), 8000)
        self.ctl('nic', 'edit', 'nic-vm', numbers[0], 'Switch=nic-lan')
        self.ctl('switch', 'delete', 'nic-lan', expect=CONFLICT)
        self.ctl('nic', 'show', 'nic-vm', '7', expect=NOT_FOUND)
        self.ctl('nic', 'edit', 'nic-vm', numbers[0], 'Model=rtl8139', expect=USAGE)
        self.ctl('nic', 'remove', 'nic-vm', numbers[0], second['MAC'])
        self.assertEqual(self.c.get(vm, VM, 'NICs'), [])
        self.ctl('nic', 'list', 'no-such-vm', expect=NOT_FOUND)
        self.ctl('nic', 'frob', 'nic-vm', expect=USAGE)


class ISOTest(CliTestCase):

    def test_register_list_show_edit_rename_delete(self):
        path = self.h.make_file('install.iso', 8192)
        # A relative path is taken from the current directory.
        self.ctl('iso', 'register', 'install', 'install.iso', 'Description=installer',
                 cwd=os.path.dirname(path))
        iso = self.path_of('ISO', 'install')
        self.assertEqual(self.c.get(iso, ISO, 'Path'), path)
        names, rows = parse_table(self.ctl('iso', 'list').out)
        self.assertEqual(names, ['NAME', 'SIZE', 'PATH', 'UUID'])
        row = [r for r in rows if r['NAME'] == 'install'][0]
        self.assertEqual((row['SIZE'], row['PATH']), ('8K', path))
        self.assertEqual(self.ctl('--json', 'iso', 'show', 'install').json(),
                         self.c.get_all(iso, ISO))
        self.assertEqual(parse_properties(self.ctl('iso', 'show', 'install').out)['Size'], '8K')
        self.ctl('iso', 'edit', 'install', 'Description=debian')
        self.assertEqual(self.c.get(iso, ISO, 'Description'), 'debian')
        self.ctl('iso', 'rename', 'install', 'debian')
        self.ctl('vm', 'create', 'iso-user', 'ISOs=debian')
        self.ctl('iso', 'delete', 'debian', expect=CONFLICT)
        self.ctl('vm', 'edit', 'iso-user', 'ISOs=')
        self.ctl('iso', 'delete', 'debian')
        self.assertTrue(os.path.exists(path), 'a registered file is left in place')
        self.ctl('iso', 'register', 'missing', '/nonexistent/x.iso', expect=None)
        self.ctl('iso', 'register', 'no-path', expect=USAGE)

    def test_path_with_terminal_escapes(self):
        """An ISO's file name may hold escape sequences (an OSC window
        title ended by BEL, a C1 CSI): cirrinactl shows them escaped and
        its JSON keeps them exact."""
        name = '\x1b]0;pwned\x07 \u009b31m.iso'
        path = self.h.make_file(name, 4096)
        self.ctl('iso', 'register', 'escapes', path, 'Description=two\nlines\tand a tab')
        self.assertEqual(self.c.get(self.path_of('ISO', 'escapes'), ISO, 'Path'), path)
        shown_path = path.replace(name, '\\x1b]0;pwned\\x07 \\xc2\\x9b31m.iso')

        listed = self.ctl('iso', 'list')
        shown = self.ctl('iso', 'show', 'escapes')
        as_json = self.ctl('--json', 'iso', 'show', 'escapes')
        for r in (listed, shown, as_json):
            self.assertFalse(re.search('[\x00-\x09\x0b-\x1f\x7f-\x9f]', r.out),
                             f'a control character reached the terminal: {r}')
        row = [r for r in parse_table(listed.out)[1] if r['NAME'] == 'escapes'][0]
        self.assertEqual(row['PATH'], shown_path)
        props = parse_properties(shown.out)
        self.assertEqual(props['Path'], shown_path)
        self.assertEqual(props['Description'], 'two\\nlines\\tand a tab',
                         'one line, as "Key: value" lists are')
        self.assertEqual(as_json.json()['Path'], path, 'JSON: escaped as JSON, the same string')
        self.assertEqual(as_json.json()['Description'], 'two\nlines\tand a tab')
        self.assertIn('\\u001b]0;pwned\\u0007 \\u009b31m', as_json.out)
        self.ctl('iso', 'delete', 'escapes')

    def test_empty_lists(self):
        h = cli.bhyve_harness('empty')
        try:
            for kind in ('vm', 'switch', 'disk', 'iso'):
                r = cli.run(h.address, kind, 'list')
                self.assertEqual(r.rc, OK, r)
                self.assertTrue(r.out.startswith('No '), r)
                r = cli.run(h.address, '--json', kind, 'list')
                self.assertEqual(json.loads(r.out), [])
            # The first VM: no object to introspect yet, the built-in XML
            # gives the types.
            r = cli.run(h.address, 'vm', 'create', 'first', 'Memory=1G', 'Autostart=yes')
            self.assertEqual(r.rc, OK, r)
            r = cli.run(h.address, '--json', 'vm', 'show', 'first')
            self.assertEqual(json.loads(r.out)['Memory'], GiB)
        finally:
            h.cleanup()


class ErrorTest(CliTestCase):
    """Exit codes and one-line errors with the daemon's message."""

    def test_not_found(self):
        for argv in (['vm', 'show', 'ghost'], ['vm', 'start', 'ghost'], ['disk', 'delete', 'ghost'],
                     ['switch', 'edit', 'ghost', 'Description=x'], ['iso', 'rename', 'ghost', 'y'],
                     ['nic', 'add', 'ghost'], ['vm', 'edit', 'x-missing', 'Disks=ghost']):
            with self.subTest(argv=argv):
                self.ctl(*argv, expect=NOT_FOUND)

    def test_invalid_values(self):
        self.ctl('vm', 'create', 'bad-values')
        r = self.ctl('vm', 'edit', 'bad-values', 'Memory=5', expect=USAGE)
        # The daemon's own message, as busctl would show it.
        try:
            self.c.update(self.path_of('VM', 'bad-values'), VM, Memory=5)
        except Exception as e:
            self.assertEqual(r.err, f'cirrinactl: {e.get_dbus_message()}\n')
        r = self.ctl('vm', 'edit', 'bad-values', 'CPUs=two', expect=USAGE)
        self.assertIn('CPUs=two', r.err)
        r = self.ctl('vm', 'edit', 'bad-values', 'Autostart=maybe', expect=USAGE)
        self.assertIn('Autostart=maybe', r.err)
        r = self.ctl('vm', 'edit', 'bad-values', 'NoSuchKey=1', expect=USAGE)
        self.assertIn('NoSuchKey', r.err)
        self.ctl('vm', 'edit', 'bad-values', 'CPUPins=0-1', expect=USAGE)
        self.ctl('vm', 'edit', 'bad-values', 'Shares=nodir', expect=USAGE)
        self.ctl('vm', 'edit', 'bad-values', 'CPUs=1', 'CPUs=2', expect=USAGE)
        self.ctl('vm', 'create', 'bad name', expect=USAGE)
        self.assertEqual(self.c.get(self.path_of('VM', 'bad-values'), VM, 'CPUs'), 1,
                         'nothing changed')

    def test_conflicts(self):
        self.ctl('disk', 'create', 'attached', '1M')
        self.ctl('vm', 'create', 'holder', 'Disks=attached')
        r = self.ctl('disk', 'delete', 'attached', expect=CONFLICT)
        self.assertIn('holder', r.err)
        self.ctl('vm', 'create', 'holder', expect=CONFLICT)
        self.ctl('disk', 'create', 'attached', '1M', expect=CONFLICT)

    def test_denied_as_nobody(self):
        self.ctl('vm', 'create', 'not-yours')
        for argv in (['vm', 'create', 'by-nobody'], ['vm', 'start', 'not-yours'],
                     ['vm', 'delete', 'not-yours'], ['vm', 'list']):
            with self.subTest(argv=argv):
                r = cli.run(self.h.address, *argv, user=NOBODY)
                self.assertEqual(r.rc, DENIED, r)
                self.assertError(r)
        self.assertEqual(self.c.get(self.path_of('VM', 'not-yours'), VM, 'State'), 'stopped')

    def test_no_daemon(self):
        r = cli.run(None, 'vm', 'list', env={
            'DBUS_SYSTEM_BUS_ADDRESS': 'unix:path=' + self.h.path('no-such-socket')})
        self.assertEqual(r.rc, FAILURE, r)
        self.assertError(r)


class InteractiveAuthorizationTest(CliTestCase):
    """On a terminal, calls carry ALLOW_INTERACTIVE_AUTHORIZATION (0x4), and a
    polkit agent is there to ask for the password."""

    def flags_of_get_vm(self, on_terminal):
        """The flags of the one GetVM call `cirrinactl vm show` makes, as a
        bus monitor saw them. Marker calls (GetId) fence the command: the
        first seen means the monitor is in place, the second that every
        message before it has been printed."""
        monitor = subprocess.Popen(['busctl', f'--address={self.h.address}', 'monitor',
                                    '--json=short'],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        messages = queue.Queue()

        def read_monitor():
            for line in monitor.stdout:
                try:
                    messages.put(json.loads(line))
                except ValueError:
                    continue
            messages.put(None)

        reader = threading.Thread(target=read_monitor, daemon=True)
        reader.start()
        seen = []

        def fence():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                subprocess.run(['busctl', f'--address={self.h.address}', 'call',
                                'org.freedesktop.DBus', '/org/freedesktop/DBus',
                                'org.freedesktop.DBus', 'GetId'],
                               stdout=subprocess.DEVNULL, check=True)
                try:
                    while True:
                        m = messages.get(timeout=0.5)
                        self.assertIsNotNone(m, 'busctl monitor ended')
                        if m.get('member') == 'GetId' and m.get('type') == 'method_call':
                            return
                        seen.append(m)
                except queue.Empty:
                    continue
            self.fail('busctl monitor never showed a marker call')

        try:
            fence()
            seen.clear()
            argv = [cli.cirrinactl_path(), 'vm', 'show', 'flagged']
            env = cli.base_env(self.h.address)
            if on_terminal:
                code, out = self.on_terminal(argv, env)
                self.assertEqual(code, 0, out)
            else:
                subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, check=True,
                               stdout=subprocess.DEVNULL)
            fence()
        finally:
            monitor.terminate()
            monitor.wait(timeout=10)
            reader.join(timeout=10)
            monitor.stdout.close()
        flags = [m['flags'] for m in seen
                 if m.get('member') == 'GetVM' and m.get('type') == 'method_call']
        self.assertEqual(len(flags), 1, seen)
        return flags[0]

    FAKE_AGENT = """#!/bin/sh
# pkttyagent stand-in: records its arguments, says it is registered (closes
# the notify fd), stays until cirrinactl ends it. The trap comes before the
# notification: cirrinactl may send TERM as soon as the fd closes.
printf '%s\\n' "$*" > "$FAKE_AGENT_LOG"
trap 'echo stopped >> "$FAKE_AGENT_LOG"; exit 0' TERM
eval "exec $2>&-"
while :; do sleep 0.05; done
"""

    def on_terminal(self, argv, env):
        """Runs argv with a pseudo-terminal as stdin/stdout; its exit code."""
        pid, master = pty.fork()
        if pid == 0:
            os.execve(argv[0], argv, env)
        out = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(master)
        return os.waitstatus_to_exitcode(status), out

    def test_polkit_agent_on_a_terminal(self):
        """Not root, on a terminal: a pkttyagent for polkit's prompts, ended
        with cirrinactl; root or no terminal: none."""
        d = tempfile.mkdtemp(prefix='cirrinactl-agent-')
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o777)
        agent = os.path.join(d, 'agent')
        with open(agent, 'w') as f:
            f.write(self.FAKE_AGENT)
        os.chmod(agent, 0o755)
        log = os.path.join(d, 'agent.log')
        env = dict(cli.base_env(self.h.address), CIRRINA_POLKIT_AGENT=agent, FAKE_AGENT_LOG=log)
        nobody = [shutil.which('setpriv'), f'--reuid={NOBODY}', f'--regid={NOBODY}',
                  '--clear-groups']
        code, out = self.on_terminal(nobody + [cli.cirrinactl_path(), 'vm', 'list'], env)
        self.assertEqual(code, DENIED, out)
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertRegex(lines[0], r'^--notify-fd \d+ --fallback$')
        self.assertEqual(lines[1], 'stopped', 'ended when cirrinactl ended')
        os.unlink(log)
        code, out = self.on_terminal([cli.cirrinactl_path(), 'vm', 'list'], env)
        self.assertEqual(code, OK, out)
        self.assertFalse(os.path.exists(log), 'root is never asked')
        r = cli.run(self.h.address, 'vm', 'list', user=NOBODY, env={
            'CIRRINA_POLKIT_AGENT': agent, 'FAKE_AGENT_LOG': log})
        self.assertEqual(r.rc, DENIED, r)
        self.assertFalse(os.path.exists(log), 'no terminal, no agent')

    def test_flag_follows_the_terminal(self):
        if not shutil.which('busctl'):
            self.skipTest('busctl is not installed')
        self.ctl('vm', 'create', 'flagged')
        self.assertTrue(self.flags_of_get_vm(True) & 4, 'set on a terminal')
        self.assertFalse(self.flags_of_get_vm(False) & 4, 'not set without one')


class RemoteTest(CirrinaTestCase):
    """--host through an ssh stand-in that runs systemd-stdio-bridge on a
    second daemon's bus: the same commands, "remotely"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cli.stdio_bridge():
            raise unittest.SkipTest('systemd-stdio-bridge is not installed')
        cls.local = cli.bhyve_harness('local')
        cls.remote = cli.bhyve_harness('remote')
        cls.class_harness = cls.remote
        cls.rc = cls.remote.client()
        cls.dir = tempfile.mkdtemp(prefix='cirrinactl-remote-')
        cls.env = cli.remote_env(cls.dir, cls.remote.address)

    @classmethod
    def tearDownClass(cls):
        cls.local.cleanup()
        cls.remote.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def there(self, *args, expect=OK, host='admin@vmhost'):
        r = cli.run(self.local.address, '--host', host, *args, env=self.env)
        if expect is not None:
            self.assertEqual(r.rc, expect, r)
        return r

    def here(self, *args):
        r = cli.run(self.local.address, *args)
        self.assertEqual(r.rc, OK, r)
        return r

    def test_commands_reach_the_other_daemon(self):
        self.there('disk', 'create', 'far-disk', '1G')
        self.there('vm', 'create', 'far-vm', 'CPUs=2', 'Memory=1G', 'Disks=far-disk')
        self.assertEqual(self.here('--json', 'vm', 'list').json(), [], 'not on the local daemon')
        vm = self.rc.lookup('VM', 'far-vm')
        self.assertEqual(self.rc.get(vm, VM, 'CPUs'), 2)

        names, rows = parse_table(self.there('vm', 'list').out)
        self.assertEqual([r['NAME'] for r in rows], ['far-vm'])
        self.assertEqual(rows[0]['DISKS'], 'far-disk')
        self.assertEqual(self.there('--json', 'vm', 'show', 'far-vm').json(),
                         self.rc.get_all(vm, VM))
        info = self.there('--json', 'host', 'info').json()
        self.assertEqual((info['Host'], info['Bus'], info['VMs']), ('admin@vmhost', 'system', 1))

        self.there('vm', 'start', 'far-vm')
        self.assertEqual(self.rc.get(vm, VM, 'State'), 'running')
        self.there('vm', 'edit', 'far-vm', 'CPUs=1', expect=CONFLICT)
        self.there('vm', 'kill', 'far-vm')
        self.there('nic', 'add', 'far-vm', 'Model=e1000')
        self.assertEqual(len(self.there('--json', 'nic', 'list', 'far-vm').json()), 1)
        self.there('vm', 'rename', 'far-vm', 'far-vm2')
        self.there('vm', 'show', 'far-vm', expect=NOT_FOUND)
        self.there('vm', 'delete', 'far-vm2', '--delete-disks')
        self.assertEqual(self.there('--json', 'disk', 'list').json(), [])

        with open(self.env['FAKE_SSH_LOG']) as f:
            calls = f.read().splitlines()
        self.assertTrue(calls)
        for line in calls:
            self.assertTrue(line.startswith('-xT admin@vmhost -- '), line)
        self.assertTrue(any(c.endswith(f"--bus-path='{self.remote.address}'") for c in calls))

    def test_remote_errors(self):
        r = self.there('vm', 'show', 'nowhere', expect=NOT_FOUND)
        self.assertTrue(r.err.startswith('cirrinactl: '), r)
        self.there('vm', 'create', 'x', 'Memory=5', expect=USAGE)
        # A host where the bridge cannot reach a bus.
        env = dict(self.env, CIRRINA_REMOTE_BRIDGE=cli.stdio_bridge()
                   + " --bus-path='unix:path=/nonexistent/socket'")
        r = cli.run(self.local.address, '--host', 'broken', 'vm', 'list', env=env)
        self.assertEqual(r.rc, FAILURE, r)
        self.assertIn('broken', r.err)
        r = cli.run(self.local.address, '--host', 'x', 'vm', 'list',
                    env=dict(self.env, CIRRINA_SSH='/nonexistent/ssh'))
        self.assertEqual(r.rc, FAILURE, r)

    def test_remote_console_reports_the_remote_error(self):
        """vm console over --host runs cirrinactl there; its exit status
        comes back (the guest round trip is in test_console.py)."""
        self.there('vm', 'create', 'far-quiet')
        vm = self.rc.lookup('VM', 'far-quiet')
        if 'OpenConsole' not in api_methods(self.rc, vm):
            self.skipTest('this cirrinad has no OpenConsole yet')
        r = self.there('vm', 'console', 'far-quiet', expect=None)
        self.assertIn(r.rc, (CONFLICT, FAILURE), r)
        self.assertIn('far-quiet', r.err)
        r = self.there('vm', 'console', 'far-nothing', expect=NOT_FOUND)
        with open(self.env['FAKE_SSH_LOG']) as f:
            last = f.read().splitlines()[-1]
        self.assertIn(f'{cli.cirrinactl_path()} vm console --raw', last)


FAKE_IMPORTER = r"""
import os, sys, hashlib
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName('org.cirrina', bus)

class Manager(dbus.service.Object):
    @dbus.service.method('org.cirrina.Manager', in_signature='sha{sv}', out_signature='o')
    def ImportDisk(self, disk, fd, config):
        f = os.fdopen(fd.take(), 'rb')
        data = f.read()
        f.close()
        if disk == 'refuse':
            raise dbus.exceptions.DBusException('No room for it', name='org.cirrina.Error.Busy')
        with open(sys.argv[1], 'w') as out:
            out.write(f'{disk} {len(data)} {hashlib.sha256(data).hexdigest()} {dict(config)}')
        return dbus.ObjectPath('/org/cirrina/disk/imported')

Manager(bus, '/org/cirrina')
print('ready', flush=True)
GLib.MainLoop().run()
"""


class ImportTest(unittest.TestCase):
    """disk import against a stand-in daemon that has ImportDisk: the file
    arrives whole, quietly as the file's own fd without a terminal, through
    a pipe with a progress bar and its Size announced on one."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='cirrinactl-import-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.address = start_private_bus(self)
        self.record = os.path.join(self.dir, 'record')
        env = {'DBUS_SESSION_BUS_ADDRESS': self.address, 'PATH': '/usr/bin:/bin'}
        self.service = subprocess.Popen(['/usr/bin/python3', '-c', FAKE_IMPORTER, self.record],
                                        stdout=subprocess.PIPE, env=env)
        self.addCleanup(self.service.wait)
        self.addCleanup(self.service.terminate)
        self.assertEqual(self.service.stdout.readline(), b'ready\n')
        self.service.stdout.close()
        self.env = {'DBUS_SESSION_BUS_ADDRESS': self.address}
        self.image = os.path.join(self.dir, 'image.raw')
        with open(self.image, 'wb') as f:
            f.write(os.urandom(3 << 20))

    def test_import_streams_the_file(self):
        import hashlib
        with open(self.image, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        r = cli.run(None, '--session', 'disk', 'import', 'imported', self.image, 'Bus=nvme',
                    env=self.env)
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.err, '', 'quiet without a terminal')
        with open(self.record) as f:
            name, size, got, config = f.read().split(' ', 3)
        self.assertEqual((name, int(size), got), ('imported', 3 << 20, digest))
        self.assertIn("String('Bus'): dbus.String('nvme'", config)

        # On a terminal: a progress bar that ends at 100 %.
        argv = [cli.cirrinactl_path(), '--session', 'disk', 'import', 'bar', self.image]
        pid, master = pty.fork()
        if pid == 0:
            os.execve(argv[0], argv, dict(cli.base_env(None), **self.env))
        out = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(master)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        self.assertRegex(out.decode(), r'bar \[#{30}\] 100% 3M/3M')
        with open(self.record) as f:
            name, size, got, config = f.read().split(' ', 3)
        self.assertEqual((name, int(size), got), ('bar', 3 << 20, digest))
        self.assertIn(f"String('Size'): dbus.UInt64({3 << 20}", config,
                      'through a pipe, the size is announced')

        # The daemon's refusal, as for any call.
        r = cli.run(None, '--session', 'disk', 'import', 'refuse', self.image, env=self.env)
        self.assertEqual(r.rc, CONFLICT, r)
        self.assertEqual(r.err, 'cirrinactl: No room for it\n')
        r = cli.run(None, '--session', 'disk', 'import', 'x', '/nonexistent', env=self.env)
        self.assertEqual(r.rc, FAILURE, r)
        # ImportISO is not there: not supported.
        r = cli.run(None, '--session', 'iso', 'import', 'x', self.image, env=self.env)
        self.assertEqual(r.rc, FAILURE, r)
        self.assertIn('not supported by this cirrinad', r.err)


HOSTILE_DAEMON = r"""
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName('org.cirrina', bus)
EVIL = '\x1b]0;pwned\x07'
VM_PATH = '/org/cirrina/vm/evil'
VM_PROPS = {
    'Name': dbus.String('evil' + EVIL), 'Description': dbus.String('about ' + EVIL),
    'State': dbus.String('stopped\u009b2J'), 'CPUs': dbus.UInt32(1),
    'Memory': dbus.UInt64(1 << 30), 'Autostart': dbus.Boolean(False),
    'Disks': dbus.Array([], signature='o'), 'UUID': dbus.String('7c1d' + EVIL),
    EVIL: dbus.String('a key'),
}

class Root(dbus.service.Object):
    @dbus.service.method('org.freedesktop.DBus.ObjectManager', out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        return {dbus.ObjectPath(VM_PATH): {'org.cirrina.VM': VM_PROPS}}

    @dbus.service.method('org.cirrina.Manager', in_signature='s', out_signature='o')
    def GetVM(self, name):
        if name != 'evil':
            raise dbus.exceptions.DBusException(f'No VM {EVIL} here',
                                                name='org.cirrina.Error.NotFound')
        return dbus.ObjectPath(VM_PATH)

    @dbus.service.method('org.cirrina.Manager', out_signature='as')
    def GetHostInterfaces(self):
        return ['eth0', 'br' + EVIL]

class VM(dbus.service.Object):
    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='s',
                         out_signature='a{sv}')
    def GetAll(self, interface):
        return VM_PROPS

Root(bus, '/org/cirrina')
VM(bus, VM_PATH)
print('ready', flush=True)
GLib.MainLoop().run()
"""


class TerminalEscapeTest(unittest.TestCase):
    """What a daemon sends is escaped before it reaches a terminal: a
    stand-in daemon (a remote host's, say, that is not to be trusted)
    sends names, descriptions, property names, errors and interfaces with
    an OSC sequence that would retitle the terminal (ESC ] 0 ; ... BEL)
    and a C1 CSI; cirrinad itself refuses most of them."""

    EVIL = '\x1b]0;pwned\x07'
    SHOWN = '\\x1b]0;pwned\\x07'

    def setUp(self):
        self.address = start_private_bus(self)
        env = {'DBUS_SESSION_BUS_ADDRESS': self.address, 'PATH': '/usr/bin:/bin'}
        self.service = subprocess.Popen(['/usr/bin/python3', '-c', HOSTILE_DAEMON],
                                        stdout=subprocess.PIPE, env=env)
        self.addCleanup(self.service.wait)
        self.addCleanup(self.service.terminate)
        self.assertEqual(self.service.stdout.readline(), b'ready\n')
        self.service.stdout.close()

    def ctl(self, *args, expect=OK):
        r = cli.run(None, '--session', *args, env={'DBUS_SESSION_BUS_ADDRESS': self.address})
        self.assertEqual(r.rc, expect, r)
        for text in (r.out, r.err):
            self.assertNotIn('\x1b', text, f'an ESC reached the terminal: {r}')
            self.assertFalse(re.search('[\x00-\x09\x0b-\x1f\x7f-\x9f]', text),
                             f'a control character reached the terminal: {r}')
        return r

    def test_table_properties_and_errors(self):
        names, rows = parse_table(self.ctl('vm', 'list').out)
        self.assertEqual(rows, [{'NAME': 'evil' + self.SHOWN, 'STATE': 'stopped\\xc2\\x9b2J',
                                 'CPUS': '1', 'MEMORY': '1G', 'DISKS': '-', 'AUTOSTART': 'no',
                                 'UUID': '7c1d' + self.SHOWN}])

        shown = self.ctl('vm', 'show', 'evil').out
        self.assertRegex(shown, f'(?m)^Description: +about {re.escape(self.SHOWN)}$')
        self.assertRegex(shown, f'(?m)^{re.escape(self.SHOWN)}: +a key$', 'property names too')

        r = self.ctl('vm', 'show', 'other', expect=NOT_FOUND)
        self.assertEqual(r.err, f'cirrinactl: No VM {self.SHOWN} here\n')

        self.assertEqual(self.ctl('host', 'interfaces').out, f'eth0\nbr{self.SHOWN}\n')

    def test_json_stays_exact(self):
        for args in (['vm', 'show', 'evil'], ['vm', 'list']):
            r = self.ctl('--json', *args)
            got = r.json() if args[1] == 'show' else r.json()[0]
            self.assertEqual(got['Description'], 'about ' + self.EVIL)
            self.assertEqual(got['State'], 'stopped\u009b2J')
            self.assertEqual(got[self.EVIL], 'a key')
            self.assertIn('about \\u001b]0;pwned\\u0007', r.out)
            self.assertIn('stopped\\u009b2J', r.out)


class CompletionTest(CliTestCase):
    """The bash completion file, driven as bash drives it."""

    SCRIPT = r'''
source "$1"
t() {
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _cirrinactl
    local IFS=' '
    echo "${COMPREPLY[*]}"
}
t cirrinactl ''
t cirrinactl vm ''
t cirrinactl --json vm st
t cirrinactl vm start ''
t cirrinactl vm edit comp-web C
t cirrinactl vm edit comp-web Disks = ''
t cirrinactl vm edit comp-web Disks=comp-a,comp-
t cirrinactl nic edit comp-web ''
t cirrinactl nic add comp-web Switch = ''
t cirrinactl vm console comp-web --port c
t cirrinactl disk delete ''
t cirrinactl --system vm show ''
'''

    def test_completion(self):
        self.ctl('disk', 'create', 'comp-a', '1M')
        self.ctl('disk', 'create', 'comp-b', '1M')
        self.ctl('switch', 'create', 'comp-lan')
        self.ctl('vm', 'create', 'comp-web')
        self.ctl('nic', 'add', 'comp-web')
        completion = os.path.join(source_root(), 'cli', 'cirrinactl.bash-completion')
        env = cli.base_env(self.h.address)
        env['PATH'] = os.path.dirname(cli.cirrinactl_path()) + ':' + env['PATH']
        out = subprocess.run(['bash', '-c', self.SCRIPT, 'bash', completion], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
                             timeout=60).stdout.decode().splitlines()
        vms = sorted(v['Name'] for v in self.ctl('--json', 'vm', 'list').json())
        disks = sorted(d['Name'] for d in self.ctl('--json', 'disk', 'list').json())
        self.assertEqual(out[0].split(), ['vm', 'switch', 'disk', 'iso', 'nic', 'host', 'help'])
        self.assertIn('console', out[1].split())
        self.assertEqual(out[2].split(), ['start', 'stop'])
        self.assertEqual(sorted(out[3].split()), vms)
        self.assertEqual(sorted(out[4].split()), ['CPUPins=', 'CPUs=', 'Clock=', 'Cores='])
        self.assertEqual(sorted(out[5].split()), disks)
        self.assertEqual(out[6].split(), ['Disks=comp-a,comp-a', 'Disks=comp-a,comp-b'])
        self.assertEqual(out[7].split(), ['0'])
        self.assertIn('comp-lan', out[8].split())
        self.assertEqual(out[9].split(), ['com1', 'com2', 'com3', 'com4'])
        self.assertEqual(sorted(out[10].split()), disks)
        self.assertEqual(sorted(out[11].split()), vms)


class DocumentationTest(unittest.TestCase):

    def test_man_page(self):
        page = os.path.join(source_root(), 'cli', 'cirrinactl.1')
        if not shutil.which('groff'):
            self.skipTest('groff is not installed')
        proc = subprocess.run(['groff', '-man', '-Tutf8', '-ww', page], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              env={'LANG': 'C.UTF-8', 'PATH': '/usr/bin:/bin'})
        self.assertEqual(proc.stderr.decode(), '', 'groff warns about nothing')
        text = re.sub(r'.\x08', '', proc.stdout.decode())
        for word in ('vm console', 'vm log', 'vm plan', 'nic add', 'switch create', 'disk resize',
                     'iso register', 'host info', '--host', '--json', 'EXIT STATUS',
                     'CIRRINA_SSH', 'Ctrl+]'):
            self.assertIn(word, text)
        for code, what in ((0, 'Success'), (2, 'Invalid input'), (3, 'Not found'),
                           (4, 'Denied'), (5, 'Conflict')):
            self.assertRegex(text, rf'\n\s+{code}\s+' + what.replace(' ', r'\s+'))

    def test_installed_files(self):
        build = os.environ.get('MESON_BUILD_ROOT')
        if not build:
            self.skipTest('MESON_BUILD_ROOT is not set (run through meson test)')
        with open(os.path.join(build, 'meson-info', 'intro-installed.json')) as f:
            installed = json.load(f).values()
        self.assertTrue(any(p.endswith('/bin/cirrinactl') for p in installed), installed)
        self.assertTrue(any(p.endswith('/man1/cirrinactl.1') for p in installed), installed)
        self.assertTrue(any(p.endswith('/bash-completion/completions/cirrinactl')
                            for p in installed), installed)


if __name__ == '__main__':
    unittest.main(verbosity=2)
