"""Objects through the D-Bus API, as a client sees them: create, update,
rename and delete every kind, lookups, documented defaults and ranges,
attachments, signals, persistence across a SIGKILL and a clean SIGTERM.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \
      /usr/bin/python3 -m unittest tests/integration/test_objects.py -v
"""

import hashlib
import os
import signal
import sys
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    CirrinaTestCase, ROOT_PATH, MANAGER, VM, NIC, SWITCH, DISK, ISO, PROPERTIES,
    OBJECT_MANAGER, E_NOT_FOUND, E_BUSY, E_INVALID, E_FAILED, E_NOT_SUPPORTED, E_UNKNOWN_OBJECT,
    MiB, GiB, TiB,
    UUID_RE, api, path_encode, dbus_signature_of, wait_until)

VM_PREFIX = ROOT_PATH + '/vm'
SWITCH_PREFIX = ROOT_PATH + '/switch'
DISK_PREFIX = ROOT_PATH + '/disk'
ISO_PREFIX = ROOT_PATH + '/iso'

# What a vanished object answers: sd-bus replies UnknownObject once the
# daemon's find callback no longer knows the path; NotFound is accepted for
# a daemon that answers for the path itself.
GONE = (E_UNKNOWN_OBJECT, E_NOT_FOUND)


def is_unicast_mac(mac):
    octets = mac.split(':')
    return (len(octets) == 6 and all(len(o) == 2 for o in octets)
            and int(octets[0], 16) & 1 == 0 and mac != '00:00:00:00:00:00')


class ObjectTestCase(CirrinaTestCase):
    """Each test runs against its own fresh bus, daemon and state."""

    def setUp(self):
        super().setUp()
        self.h = self.start_harness()
        self.c = self.h.client()

    # ---- small helpers

    def props(self, path, iface):
        return self.c.get_all(path, iface)

    def assertProps(self, path, iface, expected, what=''):
        props = self.props(path, iface)
        got = {k: props.get(k, '<missing>') for k in expected}
        self.assertEqual(got, expected, f'{what or path}: properties as a client reads them')

    def assertGone(self, path, iface):
        """The object left GetManagedObjects and its path answers no more."""
        self.assertNotIn(path, self.c.managed_objects(), f'{path} is still listed')
        self.assertDBusError(GONE, self.c.get_all, path, iface,
                             what=f'reading the properties of deleted {path}')

    def assertObjectPath(self, path, prefix, uuid):
        self.assertRegex(uuid, UUID_RE, f'{path}: UUID is not a lower-case RFC 4122 UUID')
        self.assertEqual(path, path_encode(prefix, uuid),
                         'the object path must be the prefix plus the sd_bus_path_encode()d UUID')

    def make_iso(self, name='install', size=MiB + 2048):
        file_path = self.h.make_file(name + '.iso', size)
        return file_path, self.c.register_iso(name, file_path)


class ManagerTest(ObjectTestCase):

    def test_manager_properties(self):
        p = self.props(ROOT_PATH, MANAGER)
        self.assertIsInstance(p['Version'], str)
        self.assertTrue(p['Version'], 'Version is empty')
        if sys.platform.startswith('linux'):
            self.assertEqual(p['Hypervisor'], 'qemu', 'Hypervisor=auto on Linux means QEMU')
        else:
            self.assertIn(p['Hypervisor'], ('qemu', 'bhyve'))
        self.assertIn(p['HostCPUs'], (os.cpu_count(), len(os.sched_getaffinity(0))),
                      'HostCPUs is not the number of logical CPUs')
        phys = os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
        self.assertAlmostEqual(p['HostMemory'], phys, delta=phys * 0.02,
                               msg='HostMemory is not the physical memory in bytes')

    def test_fresh_state_is_empty(self):
        objects = self.c.managed_objects()
        cirrina = {path: sorted(i for i in ifs if i.startswith('org.cirrina.'))
                   for path, ifs in objects.items() if path != ROOT_PATH}
        self.assertEqual({p: i for p, i in cirrina.items() if i}, {},
                         'a new state directory must list no objects')
        self.assertIn('<interface name="org.freedesktop.DBus.ObjectManager">',
                      self.c.introspect(ROOT_PATH), '/org/cirrina must be an ObjectManager')

    def test_database_in_wal_mode(self):
        import sqlite3
        self.assertTrue(os.path.isfile(self.h.db_path), f'no database at {self.h.db_path}')
        con = sqlite3.connect(self.h.db_path, timeout=10)
        try:
            mode = con.execute('PRAGMA journal_mode').fetchone()[0]
        finally:
            con.close()
        self.assertEqual(mode.lower(), 'wal')

    def test_lookups_by_name_and_uuid(self):
        vm = self.c.create_vm('lookup-vm')
        sw = self.c.create_switch('lookup-sw')
        disk = self.c.create_disk('lookup-disk', 64 * MiB)
        _, iso = self.make_iso('lookup-iso')
        for kind, iface, path, name in (('VM', VM, vm, 'lookup-vm'),
                                        ('Switch', SWITCH, sw, 'lookup-sw'),
                                        ('Disk', DISK, disk, 'lookup-disk'),
                                        ('ISO', ISO, iso, 'lookup-iso')):
            with self.subTest(kind=kind):
                uuid = self.c.get(path, iface, 'UUID')
                self.assertEqual(self.c.lookup(kind, name), path, f'Get{kind}(name)')
                self.assertEqual(self.c.lookup(kind, uuid), path, f'Get{kind}(uuid)')
                self.assertDBusError(E_NOT_FOUND, self.c.lookup, kind, 'no-such-' + kind.lower(),
                                     mentions=['no-such-' + kind.lower()],
                                     what=f'Get{kind} of an unknown name')
                self.assertDBusError(E_NOT_FOUND, self.c.lookup, kind,
                                     '00000000-0000-4000-8000-000000000000',
                                     mentions=['00000000-0000-4000-8000-000000000000'],
                                     what=f'Get{kind} of an unknown UUID')
        # Names are unique per kind: one name across all kinds is fine.
        self.assertNotEqual(self.c.lookup('VM', 'lookup-vm'), self.c.lookup('Switch', 'lookup-sw'))

    def test_same_name_in_every_kind(self):
        vm = self.c.create_vm('shared')
        sw = self.c.create_switch('shared')
        disk = self.c.create_disk('shared', MiB)
        _, iso = self.make_iso('shared')
        self.assertEqual([self.c.lookup(k, 'shared') for k in ('VM', 'Switch', 'Disk', 'ISO')],
                         [vm, sw, disk, iso])

    def test_managed_objects_lists_everything_with_typed_properties(self):
        sw = self.c.create_switch('listed-sw')
        disk = self.c.create_disk('listed-disk', MiB)
        _, iso = self.make_iso('listed-iso')
        # Objects that refer to each other: references are listed as paths.
        vm = self.c.create_vm('listed', Disks=[disk], ISOs=[iso])
        nic = self.c.add_nic(vm, Switch=sw)
        raw = self.c.managed_objects_raw()
        for path, iface in ((vm, VM), (nic, NIC), (sw, SWITCH), (disk, DISK), (iso, ISO)):
            with self.subTest(iface=iface):
                self.assertIn(path, raw, f'GetManagedObjects does not list {path}')
                self.assertIn(iface, raw[path], f'{path} is listed without {iface}')
                listed = raw[path][iface]
                documented = api()[iface]['properties']
                self.assertEqual(sorted(listed), sorted(documented),
                                 f'{iface}: property names in GetManagedObjects vs the XML')
                for name, (sig, _, _) in documented.items():
                    self.assertEqual(dbus_signature_of(listed[name]), sig,
                                     f'{iface}.{name} has the wrong D-Bus type')
                # GetAll agrees with GetManagedObjects.
                self.assertEqual(self.props(path, iface), self.c.managed_objects()[path][iface])
        listed = self.c.managed_objects()
        self.assertEqual(listed[vm][VM]['Disks'], [disk])
        self.assertEqual(listed[vm][VM]['ISOs'], [iso])
        self.assertEqual(listed[vm][VM]['NICs'], [nic])
        self.assertEqual(listed[nic][NIC]['VM'], vm)
        self.assertEqual(listed[nic][NIC]['Switch'], sw)
        self.assertEqual(listed[disk][DISK]['AttachedTo'], vm)


class VMTest(ObjectTestCase):

    def test_create_defaults(self):
        vm = self.c.create_vm('alpha')
        p = self.props(vm, VM)
        self.assertObjectPath(vm, VM_PREFIX, p['UUID'])
        self.assertEqual(p['Name'], 'alpha')
        for key, value in (('Description', ''), ('Group', ''), ('State', 'stopped'),
                           ('ExitReason', ''), ('DisplayPasswordSet', False), ('Autostart', False),
                           ('CPUPins', []), ('Shares', []), ('Disks', []), ('ISOs', []),
                           ('NICs', [])):
            self.assertEqual(p[key], value, f'a new VM: {key}')
        self.assertTrue(1 <= p['CPUs'] <= 256, f'default CPUs {p["CPUs"]}')
        self.assertEqual(p['CPUs'], p['Sockets'] * p['Cores'] * p['Threads'],
                         'default topology does not multiply to CPUs')
        self.assertEqual(p['Memory'] % MiB, 0, 'default Memory is not a multiple of 1 MiB')
        self.assertTrue(32 * MiB <= p['Memory'] <= 4 * TiB, f'default Memory {p["Memory"]}')
        self.assertTrue(0 <= p['AutostartDelay'] <= 3600)
        self.assertIn(p['RestartPolicy'], ('no', 'on-failure', 'always'))
        self.assertIn(p['Clock'], ('utc', 'localtime'))
        self.assertIn(p['Display'], ('vnc', 'none'))
        self.assertTrue(640 <= p['DisplayWidth'] <= 3840 and 480 <= p['DisplayHeight'] <= 2160,
                        f'default display {p["DisplayWidth"]}x{p["DisplayHeight"]}')
        self.assertIn(p['DisplayVGA'], ('io', 'on', 'off'))
        self.assertTrue(0 <= p['SerialPorts'] <= 4)

    def test_create_with_config_and_update_every_writable_property(self):
        share_dir = self.h.path('files')
        vm = self.c.create_vm('configured', CPUs=2, Memory=512 * MiB, Description='a test VM',
                              Group='lab', Clock='localtime')
        self.assertProps(vm, VM, {'CPUs': 2, 'Sockets': 2, 'Cores': 1, 'Threads': 1,
                                  'Memory': 512 * MiB, 'Description': 'a test VM',
                                  'Group': 'lab', 'Clock': 'localtime'}, 'CreateVM with config')
        changes = {
            'Description': 'changed', 'Group': 'staff', 'CPUs': 4, 'Memory': 2 * GiB,
            'MemoryWired': True, 'Autostart': True, 'AutostartDelay': 30,
            'RestartPolicy': 'on-failure', 'Clock': 'utc', 'IgnoreUnknownMSRs': True,
            'VMExitOnHLT': True, 'Display': 'vnc', 'DisplayWidth': 1920, 'DisplayHeight': 1080,
            'DisplayWait': True, 'DisplayVGA': 'off', 'Tablet': True, 'Sound': True, 'RNG': True,
            'SerialPorts': 2, 'Shares': [('data', share_dir, True)],
            'CPUPins': [(0, 0), (1, 0)],
        }
        self.c.update(vm, VM, **changes)
        expected = dict(changes, Sockets=4, Cores=1, Threads=1)
        self.assertProps(vm, VM, expected, 'after Update')
        self.assertEqual({k: self.c.managed_objects()[vm][VM][k] for k in expected}, expected,
                         'GetManagedObjects after Update')
        # Each property again, one at a time, back to other values.
        for key, value in (('Autostart', False), ('RestartPolicy', 'always'),
                           ('Display', 'none'), ('DisplayVGA', 'io'), ('SerialPorts', 0),
                           ('Shares', []), ('CPUPins', []), ('Group', '')):
            with self.subTest(key=key):
                self.c.update(vm, VM, **{key: value})
                self.assertEqual(self.c.get(vm, VM, key), value)

    def test_boundaries_are_accepted(self):
        vm = self.c.create_vm('v' * 31)
        self.assertEqual(self.c.get(vm, VM, 'Name'), 'v' * 31, 'a 31-character VM name')
        for changes in ({'Memory': 32 * MiB}, {'Memory': 4 * TiB}, {'CPUs': 1}, {'CPUs': 256},
                        {'AutostartDelay': 0}, {'AutostartDelay': 3600},
                        {'DisplayWidth': 640, 'DisplayHeight': 480},
                        {'DisplayWidth': 3840, 'DisplayHeight': 2160},
                        {'SerialPorts': 4}, {'Description': 'd' * 1024},
                        {'Shares': [(f's{i}', '/tmp', False) for i in range(8)]},
                        {'DisplayPassword': '~' * 64}):
            with self.subTest(changes=str(changes)[:60]):
                self.assertCallOK(self.c.update, vm, VM, **changes)
                for key, value in changes.items():
                    if key != 'DisplayPassword':
                        self.assertEqual(self.c.get(vm, VM, key), value)
        for name in ('0start-with-digit', 'a.b_c-d', 'A'):
            with self.subTest(name=name):
                self.assertCallOK(self.c.create_vm, name)

    def test_display_password_is_write_only(self):
        vm = self.c.create_vm('vnc', Display='vnc')
        self.assertFalse(self.c.get(vm, VM, 'DisplayPasswordSet'))
        self.c.update(vm, VM, DisplayPassword='s3cret!')
        self.assertTrue(self.c.get(vm, VM, 'DisplayPasswordSet'))
        everything = repr(self.c.managed_objects())
        self.assertNotIn('s3cret!', everything, 'the VNC password is a property')
        self.assertNotIn('s3cret!', self.c.introspect(vm))
        # Only GetDisplayPassword tells it (to callers allowed the console).
        self.assertEqual(self.c.call(vm, VM, 'GetDisplayPassword'), 's3cret!')
        self.c.update(vm, VM, DisplayPassword='')
        self.assertFalse(self.c.get(vm, VM, 'DisplayPasswordSet'), '"" clears the password')

    def test_cpu_topology_rules(self):
        vm = self.c.create_vm('topo')
        topo = lambda: tuple(self.c.get(vm, VM, k) for k in ('CPUs', 'Sockets', 'Cores', 'Threads'))
        self.c.update(vm, VM, CPUs=4)
        self.assertEqual(topo(), (4, 4, 1, 1), 'CPUs alone sets Sockets=CPUs, Cores=Threads=1')
        self.c.update(vm, VM, Sockets=1, Cores=2, Threads=2)
        self.assertEqual(topo(), (4, 1, 2, 2), 'the topology alone sets CPUs to its product')
        self.c.update(vm, VM, Cores=4)
        self.assertEqual(topo(), (8, 1, 4, 2),
                         'part of the topology: CPUs is the product with the unchanged parts')
        self.c.update(vm, VM, CPUs=12, Sockets=3, Cores=2, Threads=2)
        self.assertEqual(topo(), (12, 3, 2, 2), 'CPUs and a consistent topology together')
        self.assertDBusError(E_INVALID, self.c.update, vm, VM, CPUs=6, Sockets=2, Cores=2,
                             Threads=2, mentions=['CPUs', 'Sockets', 'topology', '6'],
                             what='CPUs=6 with a 2x2x2 topology')
        self.assertDBusError(E_INVALID, self.c.update, vm, VM, Sockets=16, Cores=16, Threads=2,
                             mentions=['CPUs', '512', 'topology', '256'],
                             what='a topology of 512 CPUs')
        self.assertEqual(topo(), (12, 3, 2, 2), 'a refused Update changed the topology')
        vm2 = self.c.create_vm('topo2', Sockets=2, Cores=3, Threads=1)
        self.assertEqual(self.c.get(vm2, VM, 'CPUs'), 6, 'CreateVM with a topology sets CPUs')
        vm3 = self.c.create_vm('topo3', CPUs=3)
        self.assertEqual([self.c.get(vm3, VM, k) for k in ('Sockets', 'Cores', 'Threads')],
                         [3, 1, 1], 'CreateVM with CPUs alone')

    def test_update_is_all_or_nothing(self):
        vm = self.c.create_vm('atomic', Description='before')
        before = self.props(vm, VM)
        self.assertDBusError(E_INVALID, self.c.update, vm, VM, Description='after', CPUs=2,
                             Memory=0, mentions=['Memory'], what='Update with one bad value')
        self.assertEqual(self.props(vm, VM), before, 'a refused Update changed some properties')

    def test_rename(self):
        vm = self.c.create_vm('old-name')
        uuid = self.c.get(vm, VM, 'UUID')
        self.c.rename(vm, VM, 'new-name')
        self.assertEqual(self.c.get(vm, VM, 'Name'), 'new-name')
        self.assertEqual(self.c.lookup('VM', 'new-name'), vm, 'the path changed on Rename')
        self.assertEqual(self.c.get(vm, VM, 'UUID'), uuid)
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'VM', 'old-name', mentions=['old-name'],
                             what='GetVM of the old name')
        self.assertCallOK(self.c.create_vm, 'old-name', what='reusing the old name')

    def test_description_is_free_text(self):
        vm = self.c.create_vm('texts')
        for text in ("'; DROP TABLE vms; --", 'two\nlines\tand a tab', '\u00e9' * 512,
                     'emoji \U0001f600', ''):
            with self.subTest(text=text[:20]):
                self.c.update(vm, VM, Description=text)
                self.assertEqual(self.c.get(vm, VM, 'Description'), text)
        self.h.restart_daemon()
        self.assertEqual(self.h.client().get(vm, VM, 'Description'), '')

    def test_fewer_cpus_never_leave_a_pin_behind(self):
        """Each pinned virtual CPU is below CPUs: shrinking the VM under a
        pin is refused, or drops the pin; never an impossible pin."""
        vm = self.c.create_vm('pinned', CPUs=4, CPUPins=[(3, 0), (0, 0)])
        for changes in ({'CPUs': 2}, {'Sockets': 1, 'Cores': 1, 'Threads': 1}):
            with self.subTest(changes=changes):
                try:
                    self.c.update(vm, VM, **changes)
                except dbus.exceptions.DBusException as e:
                    self.assertEqual(e.get_dbus_name(), E_INVALID, e.get_dbus_message())
                cpus, pins = self.c.get(vm, VM, 'CPUs'), self.c.get(vm, VM, 'CPUPins')
                self.assertTrue(all(v < cpus for v, _ in pins),
                                f'CPUs={cpus} but CPUPins={pins}')

    def test_delete(self):
        vm = self.c.create_vm('doomed')
        uuid = self.c.get(vm, VM, 'UUID')
        nic = self.c.add_nic(vm, Switch=self.c.create_switch('doomed-sw'))
        self.c.update(vm, VM, Disks=[self.c.create_disk('doomed-disk', MiB)])
        self.c.delete(vm, VM)
        self.assertGone(vm, VM)
        self.assertGone(nic, NIC)
        leftovers = [line for line in self.h.db_dump() if uuid in line]
        self.assertEqual(leftovers, [], 'the deleted VM left rows in the database')
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'VM', 'doomed', mentions=['doomed'])
        self.assertCallOK(self.c.create_vm, 'doomed', what='reusing a deleted VM\'s name')


class NICTest(ObjectTestCase):

    def test_add_update_remove(self):
        vm = self.c.create_vm('net')
        sw = self.c.create_switch('lan')
        nic = self.c.add_nic(vm)
        self.assertTrue(nic.startswith(vm + '/nic/'), f'NIC path {nic} is not under {vm}/nic/')
        p = self.props(nic, NIC)
        self.assertEqual(p['VM'], vm)
        self.assertIn(p['Model'], ('virtio-net', 'e1000'))
        self.assertEqual(p['Switch'], '/', 'a NIC without a switch uses user-mode NAT ("/")')
        self.assertEqual((p['RateLimitIn'], p['RateLimitOut']), (0, 0), 'unlimited by default')
        self.assertTrue(p['MAC'].startswith('0e:c1:') and is_unicast_mac(p['MAC']),
                        f'generated MAC {p["MAC"]} is not a unicast 0e:c1:... address')
        self.assertEqual(self.c.get(vm, VM, 'NICs'), [nic])

        nic2 = self.c.add_nic(vm, Model='e1000', MAC='02:00:00:00:00:01', Switch=sw,
                              RateLimitIn=8000, RateLimitOut=100000000000)
        self.assertProps(nic2, NIC, {'Model': 'e1000', 'MAC': '02:00:00:00:00:01', 'Switch': sw,
                                     'RateLimitIn': 8000, 'RateLimitOut': 100000000000})
        self.assertEqual(self.c.get(vm, VM, 'NICs'), [nic, nic2], 'NICs in order of AddNIC')

        self.c.update(nic, NIC, Model='e1000', Switch=sw, MAC='02:00:00:00:00:02',
                      RateLimitIn=1000000)
        self.assertProps(nic, NIC, {'Model': 'e1000', 'Switch': sw, 'MAC': '02:00:00:00:00:02',
                                    'RateLimitIn': 1000000, 'RateLimitOut': 0})
        self.c.update(nic, NIC, Switch='/', Model='virtio-net')
        self.assertProps(nic, NIC, {'Switch': '/', 'Model': 'virtio-net'})

        self.c.remove_nic(nic)
        self.assertGone(nic, NIC)
        self.assertEqual(self.c.get(vm, VM, 'NICs'), [nic2])
        self.assertEqual(self.c.get(nic2, NIC, 'MAC'), '02:00:00:00:00:01')

    def test_nic_numbers_are_stable(self):
        vm = self.c.create_vm('numbered')
        nics = [self.c.add_nic(vm) for _ in range(3)]
        macs = [self.c.get(n, NIC, 'MAC') for n in nics]
        self.c.remove_nic(nics[1])
        self.assertEqual(self.c.get(nics[2], NIC, 'MAC'), macs[2])
        self.h.restart_daemon()
        c = self.h.client()
        self.assertEqual(c.get(vm, VM, 'NICs'), [nics[0], nics[2]],
                         'NIC paths changed after a removal and a restart')
        self.assertEqual([c.get(n, NIC, 'MAC') for n in (nics[0], nics[2])], [macs[0], macs[2]])
        new = c.add_nic(vm)
        self.assertNotIn(new, (nics[0], nics[2]), 'a new NIC took the path of a living one')
        self.assertEqual(c.get(vm, VM, 'NICs'), [nics[0], nics[2], new])

    def test_eight_nics(self):
        vm = self.c.create_vm('many-nics')
        nics = [self.c.add_nic(vm) for _ in range(8)]
        self.assertEqual(len(set(nics)), 8)
        macs = [self.c.get(n, NIC, 'MAC') for n in nics]
        self.assertEqual(len(set(macs)), 8, f'generated MACs repeat: {macs}')
        self.assertEqual(self.c.get(vm, VM, 'NICs'), nics)

    def test_generated_mac_is_stable_across_restarts(self):
        a = self.c.create_vm('mac-a')
        b = self.c.create_vm('mac-b')
        nics = [self.c.add_nic(a), self.c.add_nic(a), self.c.add_nic(b)]
        macs = [self.c.get(n, NIC, 'MAC') for n in nics]
        self.assertEqual(len(set(macs)), 3, f'generated MACs must differ: {macs}')
        for mac in macs:
            self.assertTrue(mac.startswith('0e:c1:') and is_unicast_mac(mac), mac)
        for how in (signal.SIGTERM, signal.SIGKILL):
            with self.subTest(restart=how.name):
                self.h.restart_daemon(how)
                c = self.h.client()
                self.assertEqual([c.get(n, NIC, 'MAC') for n in nics], macs,
                                 f'generated MACs changed after {how.name} and restart')


class SwitchTest(ObjectTestCase):

    def test_lifecycle(self):
        sw = self.c.create_switch('sw0', Description='lab switch')
        p = self.props(sw, SWITCH)
        self.assertObjectPath(sw, SWITCH_PREFIX, p['UUID'])
        self.assertEqual((p['Name'], p['Description'], p['Uplink']), ('sw0', 'lab switch', ''))
        if sys.platform.startswith('linux'):
            self.assertEqual(p['Type'], 'bridge', 'the default switch type on Linux')
        self.assertTrue(p['Interface'], 'the daemon chose no interface name')
        self.assertLessEqual(len(p['Interface']), 15, 'kernel interface names are at most 15 bytes')
        self.c.update(sw, SWITCH, Description='changed')
        self.assertEqual(self.c.get(sw, SWITCH, 'Description'), 'changed')
        self.c.rename(sw, SWITCH, 'sw1')
        self.assertProps(sw, SWITCH, {'Name': 'sw1', 'Interface': p['Interface']})
        self.assertEqual(self.c.lookup('Switch', 'sw1'), sw)
        sw2 = self.c.create_switch('sw2', Type='bridge')
        self.assertNotEqual(self.c.get(sw2, SWITCH, 'Interface'), p['Interface'],
                            'two switches got the same kernel interface')
        self.c.delete(sw, SWITCH)
        self.assertGone(sw, SWITCH)
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'Switch', 'sw1', mentions=['sw1'])
        self.c.delete(sw2, SWITCH)

    def test_busy_while_a_nic_uses_it(self):
        sw = self.c.create_switch('busy-sw')
        vm = self.c.create_vm('busy-sw-vm')
        nic = self.c.add_nic(vm, Switch=sw)
        self.assertDBusError(E_BUSY, self.c.delete, sw, SWITCH, mentions=['busy-sw', 'NIC', 'use'],
                             what='deleting a switch a NIC uses')
        self.c.update(nic, NIC, Switch='/')
        self.c.delete(sw, SWITCH)
        self.assertGone(sw, SWITCH)
        # Removing the NIC also frees a switch.
        sw = self.c.create_switch('busy-sw')
        nic = self.c.add_nic(vm, Switch=sw)
        self.c.remove_nic(nic)
        self.assertCallOK(self.c.delete, sw, SWITCH, what='deleting a switch after its NIC left')


class DiskTest(ObjectTestCase):

    def test_lifecycle_and_image_file(self):
        disk = self.c.create_disk('d0', GiB, Description='system disk')
        p = self.props(disk, DISK)
        self.assertObjectPath(disk, DISK_PREFIX, p['UUID'])
        self.assertEqual(p['Path'], os.path.join(self.h.disk_dir, p['UUID'] + '.img'),
                         'a disk image is <DiskDirectory>/<uuid>.img')
        self.assertEqual((p['Name'], p['Description'], p['Size'], p['Format'], p['AttachedTo']),
                         ('d0', 'system disk', GiB, 'raw', '/'))
        self.assertIn(p['Bus'], ('virtio-blk', 'nvme', 'ahci-hd'))
        self.assertEqual((p['NoCache'], p['Direct'], p['ReadOnly']), (False, False, False))
        st = os.stat(p['Path'])
        self.assertEqual(st.st_size, GiB, 'the image file does not have the disk\'s size')
        self.assertLess(st.st_blocks * 512, GiB // 16, 'the image file is not sparse')
        self.assertLessEqual(p['Allocated'], st.st_blocks * 512 + 64 * 1024,
                             'Allocated is not what the file occupies')

        self.c.update(disk, DISK, Bus='nvme', NoCache=True, Direct=True, ReadOnly=True,
                      Description='')
        self.assertProps(disk, DISK, {'Bus': 'nvme', 'NoCache': True, 'Direct': True,
                                      'ReadOnly': True, 'Description': ''})
        self.c.update(disk, DISK, Bus='ahci-hd', ReadOnly=False)
        self.assertProps(disk, DISK, {'Bus': 'ahci-hd', 'ReadOnly': False, 'NoCache': True})

        self.c.rename(disk, DISK, 'd0-renamed')
        self.assertProps(disk, DISK, {'Name': 'd0-renamed', 'Path': p['Path']})
        self.assertTrue(os.path.exists(p['Path']), 'Rename moved the image file')

        self.c.delete(disk, DISK)
        self.assertGone(disk, DISK)
        self.assertFalse(os.path.exists(p['Path']), f'Delete left the image {p["Path"]} behind')
        self.assertEqual([line for line in self.h.db_dump() if p['UUID'] in line], [],
                         'the deleted disk left rows in the database')

    def test_allocated_follows_the_file(self):
        """Allocated does not emit changes, so a client re-reads it: it must
        be the current allocation, not a value cached at creation."""
        disk = self.c.create_disk('growing', 64 * MiB)
        path = self.c.get(disk, DISK, 'Path')
        with open(path, 'r+b') as f:
            f.seek(MiB)
            f.write(b'\xa5' * (2 * MiB))
            f.flush()
            os.fsync(f.fileno())
        on_disk = os.stat(path).st_blocks * 512
        self.assertGreaterEqual(on_disk, 2 * MiB)
        self.assertEqual(self.c.get(disk, DISK, 'Allocated'), on_disk, 'Get(Allocated)')
        self.assertEqual(self.c.managed_objects()[disk][DISK]['Allocated'], on_disk,
                         'Allocated in GetManagedObjects')

    def test_largest_documented_size(self):
        """16 TiB is inside the documented range. Where the host's file
        system cannot hold such a file (ext4 stops 4 KiB short), the daemon
        must say the host failed (Failed, or NotSupported), not that the
        argument is wrong (InvalidArgument), and leave nothing behind."""
        before = self.h.db_dump()
        try:
            disk = self.c.create_disk('huge', 16 * TiB)
        except dbus.exceptions.DBusException as e:
            self.assertIn(e.get_dbus_name(), (E_FAILED, E_NOT_SUPPORTED),
                          f'CreateDisk of 16 TiB (documented as allowed) was refused as '
                          f'{e.get_dbus_name()}: {e.get_dbus_message()}')
            self.assertEqual(self.h.db_dump(), before, 'a failed CreateDisk changed the database')
            self.assertEqual(os.listdir(self.h.disk_dir), [], 'a failed CreateDisk left a file')
        else:
            self.assertEqual(os.stat(self.c.get(disk, DISK, 'Path')).st_size, 16 * TiB)
            self.c.delete(disk, DISK)

    def test_host_failure_changes_nothing(self):
        os.rename(self.h.disk_dir, self.h.disk_dir + '.away')
        self.addCleanup(os.rename, self.h.disk_dir + '.away', self.h.disk_dir)
        before = self.h.db_dump()
        self.assertDBusError(E_FAILED, self.c.create_disk, 'nowhere', MiB,
                             mentions=[self.h.disk_dir], what='CreateDisk without a disk directory')
        self.assertEqual(self.h.db_dump(), before, 'a failed CreateDisk changed the database')
        self.assertEqual([p for p, i in self.c.managed_objects().items() if DISK in i], [])
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'Disk', 'nowhere')

    def test_sizes(self):
        for size in (512, 3 * 512, 10 * GiB, TiB):
            with self.subTest(size=size):
                disk = self.c.create_disk(f'size-{size}', size)
                path = self.c.get(disk, DISK, 'Path')
                self.assertEqual((self.c.get(disk, DISK, 'Size'), os.stat(path).st_size),
                                 (size, size))
                self.assertLess(os.stat(path).st_blocks * 512, 16 * MiB, 'not sparse')

    def test_create_with_options(self):
        disk = self.c.create_disk('opts', 8 * MiB, Format='raw', Bus='ahci-hd', NoCache=True,
                                  Direct=False, ReadOnly=True)
        self.assertProps(disk, DISK, {'Format': 'raw', 'Bus': 'ahci-hd', 'NoCache': True,
                                      'Direct': False, 'ReadOnly': True, 'Size': 8 * MiB})

    def test_attachment(self):
        d1 = self.c.create_disk('att-1', MiB)
        d2 = self.c.create_disk('att-2', MiB)
        vm = self.c.create_vm('att-vm', Disks=[d1, d2])
        self.assertEqual(self.c.get(vm, VM, 'Disks'), [d1, d2])
        self.assertEqual([self.c.get(d, DISK, 'AttachedTo') for d in (d1, d2)], [vm, vm])
        self.assertDBusError(E_BUSY, self.c.delete, d1, DISK, mentions=['att-1', 'att-vm', 'attached'],
                             what='deleting an attached disk')
        self.assertTrue(os.path.exists(self.c.get(d1, DISK, 'Path')))
        self.c.update(vm, VM, Disks=[d2, d1])
        self.assertEqual(self.c.get(vm, VM, 'Disks'), [d2, d1], 'boot order is the list order')
        self.c.update(vm, VM, Disks=[d2])
        self.assertEqual(self.c.get(d1, DISK, 'AttachedTo'), '/', 'a detached disk')
        self.assertEqual(self.c.get(d2, DISK, 'AttachedTo'), vm)
        self.c.delete(d1, DISK)
        self.assertGone(d1, DISK)
        vm2 = self.c.create_vm('att-vm2')
        self.c.update(vm, VM, Disks=[])
        self.c.update(vm2, VM, Disks=[d2])
        self.assertEqual(self.c.get(d2, DISK, 'AttachedTo'), vm2, 'moving a disk to another VM')

    def test_vm_delete_keeps_disks(self):
        d = self.c.create_disk('kept', MiB)
        file_path = self.c.get(d, DISK, 'Path')
        vm = self.c.create_vm('keeper', Disks=[d])
        self.c.delete(vm, VM)
        self.assertGone(vm, VM)
        self.assertEqual(self.c.get(d, DISK, 'AttachedTo'), '/', 'the disk of a deleted VM')
        self.assertTrue(os.path.exists(file_path), 'Delete without DeleteDisks removed an image')
        self.c.create_vm('keeper2', Disks=[d])
        vm3 = self.c.create_vm('keeper3', Disks=[])
        self.c.delete(vm3, VM, DeleteDisks=False)

    def test_vm_delete_with_delete_disks(self):
        d1 = self.c.create_disk('gone-1', MiB)
        d2 = self.c.create_disk('gone-2', MiB)
        other = self.c.create_disk('stays', MiB)
        files = [self.c.get(d, DISK, 'Path') for d in (d1, d2, other)]
        iso_file, iso = self.make_iso('stays-iso')
        vm = self.c.create_vm('wipe', Disks=[d1, d2], ISOs=[iso])
        self.c.delete(vm, VM, DeleteDisks=True)
        self.assertGone(vm, VM)
        self.assertGone(d1, DISK)
        self.assertGone(d2, DISK)
        self.assertEqual([os.path.exists(f) for f in files], [False, False, True],
                         'DeleteDisks=true must remove exactly the VM\'s images')
        self.assertEqual(self.c.get(iso, ISO, 'Path'), iso_file, 'the ISO must survive')
        self.assertTrue(os.path.exists(iso_file))


class ISOTest(ObjectTestCase):

    def test_lifecycle(self):
        file_path = self.h.make_file('install.iso', 3 * MiB + 2048)
        with open(file_path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        mtime = os.stat(file_path).st_mtime_ns
        iso = self.c.register_iso('install', file_path, Description='installer')
        p = self.props(iso, ISO)
        self.assertObjectPath(iso, ISO_PREFIX, p['UUID'])
        self.assertEqual((p['Name'], p['Description'], p['Path'], p['Size']),
                         ('install', 'installer', file_path, 3 * MiB + 2048))
        self.assertIn(p['SHA256'], ('', digest), 'SHA256 is neither "" nor the file\'s digest')
        self.c.update(iso, ISO, Description='changed')
        self.c.rename(iso, ISO, 'install-2')
        self.assertProps(iso, ISO, {'Name': 'install-2', 'Description': 'changed',
                                    'Path': file_path})
        self.c.delete(iso, ISO)
        self.assertGone(iso, ISO)
        self.assertTrue(os.path.exists(file_path), 'Delete removed a registered ISO file')
        with open(file_path, 'rb') as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest,
                             'Cirrina wrote to a registered ISO')
        self.assertEqual(os.stat(file_path).st_mtime_ns, mtime)

    def test_used_by_two_vms(self):
        _, iso = self.make_iso('shared-iso')
        _, iso2 = self.make_iso('other-iso')
        vm1 = self.c.create_vm('iso-vm1', ISOs=[iso])
        vm2 = self.c.create_vm('iso-vm2')
        self.c.update(vm2, VM, ISOs=[iso2, iso])
        self.assertEqual(self.c.get(vm1, VM, 'ISOs'), [iso])
        self.assertEqual(self.c.get(vm2, VM, 'ISOs'), [iso2, iso], 'ISOs keep their order')
        self.assertDBusError(E_BUSY, self.c.delete, iso, ISO, mentions=['shared-iso', 'iso-vm'],
                             what='deleting an ISO two VMs use')
        self.c.update(vm1, VM, ISOs=[])
        self.assertDBusError(E_BUSY, self.c.delete, iso, ISO, mentions=['shared-iso', 'iso-vm2'],
                             what='deleting an ISO one VM still uses')
        self.c.delete(vm2, VM)
        self.assertCallOK(self.c.delete, iso, ISO, what='deleting an ISO no VM uses')
        self.assertCallOK(self.c.delete, iso2, ISO, what='deleting an ISO whose VM was deleted')


class SignalTest(ObjectTestCase):

    def setUp(self):
        super().setUp()
        self.watcher = self.h.client()   # a separate, subscribed client
        self.watcher.record_signals()

    def wait_added(self, path, iface):
        s = self.watcher.wait_for_signal(
            lambda p, i, m, a: (p, i, m) == (ROOT_PATH, OBJECT_MANAGER, 'InterfacesAdded')
            and a[0] == path and iface in a[1])
        self.assertIsNotNone(s, f'no InterfacesAdded for {path} ({iface})')
        return s[3][1][iface]

    def wait_removed(self, path, iface):
        s = self.watcher.wait_for_signal(
            lambda p, i, m, a: (p, i, m) == (ROOT_PATH, OBJECT_MANAGER, 'InterfacesRemoved')
            and a[0] == path and iface in a[1])
        self.assertIsNotNone(s, f'no InterfacesRemoved for {path} ({iface})')

    def wait_changed(self, path, iface, expected):
        """Waits until PropertiesChanged signals on path carried every
        key=value of expected (in 'changed', not merely invalidated)."""
        def seen():
            got = {}
            for p, i, m, a in self.watcher.signals:
                if (p, i, m) == (path, PROPERTIES, 'PropertiesChanged') and a[0] == iface:
                    got.update(a[1])
            return all(k in got and got[k] == v for k, v in expected.items()) and got
        got = wait_until(seen)
        if not got:
            carried = [a for p, i, m, a in self.watcher.signals
                       if (p, i, m) == (path, PROPERTIES, 'PropertiesChanged')]
            self.fail(f'no PropertiesChanged on {path} with {expected}; got {carried}')

    def test_vm_and_nic_signals(self):
        vm = self.c.create_vm('sig', CPUs=2)
        added = self.wait_added(vm, VM)
        self.assertEqual((added.get('Name'), added.get('CPUs')), ('sig', 2),
                         'InterfacesAdded must carry the new VM\'s properties')
        self.c.rename(vm, VM, 'sig-renamed')
        self.wait_changed(vm, VM, {'Name': 'sig-renamed'})
        self.c.update(vm, VM, CPUs=4, Description='hello')
        self.wait_changed(vm, VM, {'CPUs': 4, 'Sockets': 4, 'Description': 'hello'})
        nic = self.c.add_nic(vm, Model='e1000')
        self.assertEqual(self.wait_added(nic, NIC).get('Model'), 'e1000')
        self.wait_changed(vm, VM, {'NICs': [nic]})
        self.c.update(nic, NIC, RateLimitIn=8000)
        self.wait_changed(nic, NIC, {'RateLimitIn': 8000})
        nic2 = self.c.add_nic(vm)
        self.wait_added(nic2, NIC)
        self.c.remove_nic(nic2)
        self.wait_removed(nic2, NIC)
        self.wait_changed(vm, VM, {'NICs': [nic]})
        self.c.delete(vm, VM)
        self.wait_removed(vm, VM)
        self.wait_removed(nic, NIC)

    def test_refused_update_emits_nothing(self):
        vm = self.c.create_vm('quiet')
        self.wait_added(vm, VM)
        self.assertDBusError(E_INVALID, self.c.update, vm, VM, Description='loud', CPUs=0)
        self.c.rename(vm, VM, 'quiet-marker')   # a change that must come through
        self.wait_changed(vm, VM, {'Name': 'quiet-marker'})
        changes = [a[1] for p, i, m, a in self.watcher.signals
                   if p == vm and m == 'PropertiesChanged']
        self.assertEqual(changes, [{'Name': 'quiet-marker'}],
                         'a refused Update sent PropertiesChanged')

    def test_vm_delete_signals_for_its_disks(self):
        kept = self.c.create_disk('sig-kept', MiB)
        vm = self.c.create_vm('sig-keep', Disks=[kept])
        self.c.delete(vm, VM)
        self.wait_removed(vm, VM)
        self.wait_changed(kept, DISK, {'AttachedTo': '/'})
        wiped = self.c.create_disk('sig-wiped', MiB)
        vm = self.c.create_vm('sig-wipe', Disks=[wiped])
        self.c.delete(vm, VM, DeleteDisks=True)
        self.wait_removed(vm, VM)
        self.wait_removed(wiped, DISK)

    def test_storage_and_switch_signals(self):
        sw = self.c.create_switch('sig-sw')
        self.assertEqual(self.wait_added(sw, SWITCH).get('Name'), 'sig-sw')
        disk = self.c.create_disk('sig-disk', MiB)
        self.assertEqual(self.wait_added(disk, DISK).get('Size'), MiB)
        _, iso = self.make_iso('sig-iso')
        self.assertEqual(self.wait_added(iso, ISO).get('Name'), 'sig-iso')
        vm = self.c.create_vm('sig-vm')
        self.c.update(vm, VM, Disks=[disk], ISOs=[iso])
        self.wait_changed(vm, VM, {'Disks': [disk], 'ISOs': [iso]})
        self.wait_changed(disk, DISK, {'AttachedTo': vm})
        self.c.update(disk, DISK, Bus='nvme')
        self.wait_changed(disk, DISK, {'Bus': 'nvme'})
        self.c.update(vm, VM, Disks=[])
        self.wait_changed(disk, DISK, {'AttachedTo': '/'})
        for path, iface, name in ((sw, SWITCH, 'sig-sw2'), (disk, DISK, 'sig-disk2'),
                                  (iso, ISO, 'sig-iso2')):
            self.c.rename(path, iface, name)
            self.wait_changed(path, iface, {'Name': name})
            self.c.update(path, iface, Description='d-' + name)
            self.wait_changed(path, iface, {'Description': 'd-' + name})
        self.c.delete(vm, VM)
        for path, iface in ((sw, SWITCH), (disk, DISK), (iso, ISO)):
            self.c.delete(path, iface)
            self.wait_removed(path, iface)


class LifecycleTest(ObjectTestCase):

    def populate(self):
        sw = self.c.create_switch('p-sw', Description='switch')
        d1 = self.c.create_disk('p-d1', 4 * MiB, Bus='nvme')
        d2 = self.c.create_disk('p-d2', 2 * MiB)
        self.c.create_disk('p-free', MiB, ReadOnly=True)
        iso_file, iso = self.make_iso('p-iso')
        vm = self.c.create_vm('p-vm', CPUs=2, Memory=256 * MiB, Disks=[d2, d1], ISOs=[iso],
                              Shares=[('data', self.h.path('files'), True)],
                              CPUPins=[(0, 0), (1, 0)], Group='lab', Autostart=False)
        self.c.add_nic(vm, Switch=sw, Model='e1000')
        self.c.add_nic(vm, MAC='02:00:00:00:00:09', RateLimitOut=8000)
        vm2 = self.c.create_vm('p-vm2', Sockets=2, Cores=2, Threads=1, ISOs=[iso])
        self.c.add_nic(vm2)
        self.c.remove_nic(self.c.add_nic(vm2))
        self.c.add_nic(vm2, Model='e1000')
        self.c.rename(vm2, VM, 'p-vm2-renamed')
        self.c.update(vm, VM, DisplayPassword='pw', Description='desc')
        gone = self.c.create_vm('p-gone')
        self.c.add_nic(gone)
        self.c.delete(gone, VM)

    def test_everything_survives_sigkill(self):
        self.populate()
        before = self.c.managed_objects()
        disk_files = sorted(os.listdir(self.h.disk_dir))
        self.assertEqual(self.h.kill_daemon(), -signal.SIGKILL)
        self.h.start_daemon()
        after = self.h.client().managed_objects()
        self.assertEqual(after, before, 'GetManagedObjects differs after SIGKILL and restart')
        self.assertEqual(sorted(os.listdir(self.h.disk_dir)), disk_files)

    def test_sigterm_exits_cleanly_and_keeps_state(self):
        self.populate()
        before = self.c.managed_objects()
        code = self.h.stop_daemon(signal.SIGTERM)
        self.assertEqual(code, 0, f'cirrinad exited with status {code} on SIGTERM')
        self.assertFalse(self.c.name_has_owner(), 'org.cirrina is still owned after exit')
        self.h.start_daemon()
        self.assertEqual(self.h.client().managed_objects(), before,
                         'GetManagedObjects differs after SIGTERM and restart')
        self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0, 'second SIGTERM')

    def test_sigterm_right_after_start(self):
        self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0)
        self.h.start_daemon()
        self.assertEqual(self.h.client().managed_objects().keys() - {ROOT_PATH}, set())


if __name__ == '__main__':
    unittest.main()
