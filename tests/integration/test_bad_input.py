"""Malformed and forbidden calls: each must fail with the documented D-Bus
error, with a message naming the field or value at fault, and change
nothing: the database dump is compared after every call and after the whole
batch, and the daemon must still answer at the end.

Error names, where the XML leaves a choice:
- A vanished object (called on its old path after Delete/Remove): sd-bus
  answers org.freedesktop.DBus.Error.UnknownObject once the daemon's find
  callback no longer knows the path. org.cirrina.Error.NotFound is accepted
  too (GONE below): both tell a client the object does not exist. (cirrinad
  answers UnknownObject, "Unknown object '<path>'.", as of this writing.)
- A well-formed path to a disk/ISO/switch that does not exist, given as a
  value (Disks, ISOs, NIC Switch): org.cirrina.Error.NotFound.
- RegisterISO of an absolute path that does not exist: NotFound; of a
  relative path or of a directory: InvalidArgument.
- A read-only property or a key not listed as writable in an Update or a
  config: InvalidArgument (the Manager's doc: "an unknown key").
- A ninth NIC, a 17th disk, a fifth ISO, a ninth share: InvalidArgument.
- An unprivileged caller changing anything:
  org.freedesktop.DBus.Error.AccessDenied (no polkit yet).

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \
      /usr/bin/python3 -m unittest tests/integration/test_bad_input.py -v
"""

import difflib
import os
import sys
import unittest
import uuid

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    CirrinaTestCase, Harness, ROOT_PATH, MANAGER, VM, NIC, SWITCH, DISK, ISO, PROPERTIES,
    OBJECT_MANAGER, INTROSPECTABLE, E_INVALID, E_NOT_FOUND, E_EXISTS, E_BUSY,
    E_NOT_SUPPORTED, E_ACCESS_DENIED, E_UNKNOWN_OBJECT, MiB, GiB, TiB, config, path_encode)

GONE = (E_UNKNOWN_OBJECT, E_NOT_FOUND)
ON_LINUX = sys.platform.startswith('linux')

BAD_NAMES = ['a/b', '..', '', 'x' * 10240, '.hidden', 'has space', 'caf\u00e9', '-dash',
             'tab\tname', 'semi;colon']


def fake_path(prefix):
    return path_encode(ROOT_PATH + '/' + prefix, str(uuid.uuid4()))


class BadInputTest(CirrinaTestCase):
    """One daemon and one set of fixtures for the class; every case must
    leave them untouched."""

    cases = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h = Harness('bad-input')
        cls.class_harness = h
        try:
            h.start()
            cls.h = h
            cls._make_fixtures(h.client())
            cls.baseline = cls.original_baseline = h.db_dump()
            cls.objects = h.client().managed_objects()
        except BaseException:
            h.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.class_harness.cleanup()
        super().tearDownClass()

    @classmethod
    def _make_fixtures(cls, c):
        h = cls.h
        cls.plain_iso = h.make_file('plain.iso', MiB)
        cls.d_att = c.create_disk('d-att', MiB)
        cls.d_free = c.create_disk('d-free', MiB)
        cls.sw_used = c.create_switch('sw-used')
        cls.sw_free = c.create_switch('sw-free')
        cls.iso_used = c.register_iso('iso-used', h.make_file('used.iso', MiB))
        cls.iso_free = c.register_iso('iso-free', cls.plain_iso)
        cls.base = c.create_vm('base', CPUs=2, Memory=GiB, Disks=[cls.d_att],
                               ISOs=[cls.iso_used])
        cls.n0 = c.add_nic(cls.base)
        cls.n1 = c.add_nic(cls.base, Switch=cls.sw_used)
        cls.other = c.create_vm('other')
        # One name in every kind is fine.
        cls.shared = [c.create_vm('shared'), c.create_switch('shared'),
                      c.create_disk('shared', MiB), c.register_iso('shared', cls.plain_iso)]
        cls.full = c.create_vm('full')
        for _ in range(8):
            c.add_nic(cls.full)
        cls.many_disks = [c.create_disk(f'many-{i}', 512) for i in range(17)]
        cls.extra_isos = [c.register_iso(f'iso-x{i}', h.make_file(f'x{i}.iso', 4096))
                          for i in range(4)]
        # Objects that existed once.
        cls.gone_vm = c.create_vm('gone-vm')
        cls.gone_vm_uuid = c.get(cls.gone_vm, VM, 'UUID')
        c.delete(cls.gone_vm, VM)
        cls.gone_disk = c.create_disk('gone-disk', MiB)
        cls.gone_disk_uuid = c.get(cls.gone_disk, DISK, 'UUID')
        c.delete(cls.gone_disk, DISK)
        cls.gone_switch = c.create_switch('gone-switch')
        c.delete(cls.gone_switch, SWITCH)
        cls.gone_iso = c.register_iso('gone-iso', cls.plain_iso)
        c.delete(cls.gone_iso, ISO)
        cls.gone_nic = c.add_nic(cls.other)
        c.remove_nic(cls.gone_nic)

    def setUp(self):
        super().setUp()
        self.c = self.h.client()

    # ---- the one assertion every case goes through

    def bad(self, what, expected, fn, *args, mentions=(), **kwargs):
        """fn(*args, **kwargs) must fail with expected, mentioning one of
        mentions, and leave the database as it was."""
        type(self).cases += 1
        with self.subTest(what):
            problems = []
            try:
                self.assertDBusError(expected, fn, *args, mentions=mentions, what=what, **kwargs)
            except AssertionError as e:
                problems.append(str(e))
            dump = self.h.db_dump()
            if dump != type(self).baseline:
                diff = '\n'.join(difflib.unified_diff(type(self).baseline, dump, 'before', 'after',
                                                      lineterm='', n=0))
                problems.append(f'{what}: the refused call changed the database:\n{diff}')
                type(self).baseline = dump   # judge the next case on its own
            if problems:
                self.fail('\n'.join(problems))

    # ---- shorthands

    def create_vm(self, name, **cfg):
        return self.c.create_vm(name, **cfg)

    def update(self, path, iface, **changes):
        return self.c.update(path, iface, **changes)

    # ---- cases

    def test_bad_names_on_create(self):
        creators = {
            'CreateVM': lambda n: self.c.create_vm(n),
            'CreateSwitch': lambda n: self.c.create_switch(n),
            'CreateDisk': lambda n: self.c.create_disk(n, MiB),
            'RegisterISO': lambda n: self.c.register_iso(n, self.plain_iso),
        }
        for method, create in creators.items():
            for name in BAD_NAMES:
                self.bad(f'{method}({name[:20]!r}{"..." if len(name) > 20 else ""})', E_INVALID,
                         create, name, mentions=['name'] + ([name] if 0 < len(name) < 64 else []))
        self.bad('CreateVM with a 32-character name (bhyve allows 31)', E_INVALID,
                 self.c.create_vm, 'v' * 32, mentions=['name', '31'])
        for method, create in list(creators.items())[1:]:
            self.bad(f'{method} with a 65-character name', E_INVALID, create, 'n' * 65,
                     mentions=['name', '64'])

    def test_bad_names_on_rename(self):
        for path, iface, name in ((self.other, VM, 'a/b'), (self.d_free, DISK, ''),
                                  (self.sw_free, SWITCH, '.x'), (self.iso_free, ISO, 'i' * 65),
                                  (self.other, VM, 'o' * 32), (self.d_free, DISK, '..')):
            self.bad(f'{iface.split(".")[-1]}.Rename({name!r})', E_INVALID, self.c.rename, path,
                     iface, name, mentions=['name'] + ([name] if name else []))

    def test_duplicate_names(self):
        self.bad('CreateVM of an existing VM name', E_EXISTS, self.c.create_vm, 'base',
                 mentions=['base'])
        self.bad('CreateSwitch of an existing switch name', E_EXISTS, self.c.create_switch,
                 'sw-free', mentions=['sw-free'])
        self.bad('CreateDisk of an existing disk name', E_EXISTS, self.c.create_disk, 'd-free',
                 MiB, mentions=['d-free'])
        self.bad('RegisterISO of an existing ISO name', E_EXISTS, self.c.register_iso,
                 'iso-free', self.plain_iso, mentions=['iso-free'])
        self.bad('VM.Rename to an existing name', E_EXISTS, self.c.rename, self.other, VM,
                 'base', mentions=['base'])
        self.bad('Disk.Rename to an existing name', E_EXISTS, self.c.rename, self.d_free, DISK,
                 'd-att', mentions=['d-att'])
        self.bad('Switch.Rename to an existing name', E_EXISTS, self.c.rename, self.sw_free,
                 SWITCH, 'sw-used', mentions=['sw-used'])
        self.bad('ISO.Rename to an existing name', E_EXISTS, self.c.rename, self.iso_free, ISO,
                 'iso-used', mentions=['iso-used'])

    def test_same_name_across_kinds_is_fine(self):
        self.assertEqual([self.c.lookup(k, 'shared') for k in ('VM', 'Switch', 'Disk', 'ISO')],
                         self.shared)

    def test_disk_sizes_and_options(self):
        for size, why in ((0, 'zero'), (16 * TiB + 512, 'over 16 TiB'), (2 ** 64 - 512, 'huge'),
                          (1000, 'not a multiple of 512'), (513, 'not a multiple of 512')):
            self.bad(f'CreateDisk with Size {size} ({why})', E_INVALID, self.c.create_disk,
                     'new-disk', size, mentions=['Size', str(size)])
        self.bad('CreateDisk without Size', E_INVALID, self.c.create_disk, 'new-disk',
                 mentions=['Size'])
        self.bad('CreateDisk with Size as u', E_INVALID, self.c.create_disk, 'new-disk',
                 dbus.UInt32(MiB), mentions=['Size'])
        self.bad('CreateDisk with Size as a string', E_INVALID, self.c.create_disk, 'new-disk',
                 dbus.String('1048576'), mentions=['Size'])
        if ON_LINUX:
            self.bad('CreateDisk with Format zvol on Linux', E_NOT_SUPPORTED, self.c.create_disk,
                     'new-disk', MiB, Format='zvol', mentions=['zvol', 'Format'])
        self.bad('CreateDisk with Format qcow2', E_INVALID, self.c.create_disk, 'new-disk', MiB,
                 Format='qcow2', mentions=['qcow2', 'Format'])
        self.bad('CreateDisk with Bus scsi', E_INVALID, self.c.create_disk, 'new-disk', MiB,
                 Bus='scsi', mentions=['scsi', 'Bus'])
        self.bad('Disk.Update Bus scsi', E_INVALID, self.update, self.d_free, DISK, Bus='scsi',
                 mentions=['scsi', 'Bus'])
        self.bad('Disk.Update of Size (set at creation only)', E_INVALID, self.update,
                 self.d_free, DISK, Size=2 * MiB, mentions=['Size'])
        self.bad('Disk.Update of Format (set at creation only)', E_INVALID, self.update,
                 self.d_free, DISK, Format='raw', mentions=['Format'])
        self.bad('Disk.Update with ReadOnly as a string', E_INVALID, self.update, self.d_free,
                 DISK, ReadOnly=dbus.String('true'), mentions=['ReadOnly'])
        self.bad('Disk.Update with a 1025-byte Description', E_INVALID, self.update, self.d_free,
                 DISK, Description='d' * 1025, mentions=['Description', '1024'])

    def test_memory(self):
        for memory, why in ((0, 'zero'), (512 * MiB + 1, 'not a MiB multiple'),
                            (4 * TiB + MiB, 'over 4 TiB'), (16 * MiB, 'under 32 MiB'),
                            (2 ** 64 - MiB, 'huge')):
            self.bad(f'CreateVM with Memory {memory} ({why})', E_INVALID, self.create_vm,
                     'new-vm', Memory=memory, mentions=['Memory', str(memory)])
        self.bad('CreateVM with Memory as u', E_INVALID, self.create_vm, 'new-vm',
                 Memory=dbus.UInt32(512 * MiB), mentions=['Memory'])
        self.bad('VM.Update Memory 0', E_INVALID, self.update, self.base, VM, Memory=0,
                 mentions=['Memory', '0'])

    def test_cpus_and_topology(self):
        self.bad('CreateVM with CPUs 0', E_INVALID, self.create_vm, 'new-vm', CPUs=0,
                 mentions=['CPUs', '0'])
        self.bad('CreateVM with CPUs 257', E_INVALID, self.create_vm, 'new-vm', CPUs=257,
                 mentions=['CPUs', '257'])
        self.bad('CreateVM with CPUs as a string', E_INVALID, self.create_vm, 'new-vm',
                 CPUs=dbus.String('2'), mentions=['CPUs'])
        self.bad('CreateVM with CPUs as t', E_INVALID, self.create_vm, 'new-vm',
                 CPUs=dbus.UInt64(2), mentions=['CPUs'])
        self.bad('CreateVM with CPUs as i', E_INVALID, self.create_vm, 'new-vm',
                 CPUs=dbus.Int32(2), mentions=['CPUs'])
        self.bad('CreateVM with CPUs 4 and a 3x1x1 topology', E_INVALID, self.create_vm,
                 'new-vm', CPUs=4, Sockets=3, Cores=1, Threads=1,
                 mentions=['CPUs', 'Sockets', 'topology'])
        self.bad('VM.Update Sockets 0', E_INVALID, self.update, self.base, VM, Sockets=0,
                 mentions=['Sockets'])
        self.bad('VM.Update Threads 257', E_INVALID, self.update, self.base, VM, Threads=257,
                 mentions=['Threads', '257'])
        self.bad('VM.Update CPUs 8 with a 2x2x1 topology', E_INVALID, self.update, self.base, VM,
                 CPUs=8, Sockets=2, Cores=2, Threads=1, mentions=['CPUs', 'topology', 'Sockets'])
        self.bad('VM.Update a 16x16x2 topology (512 CPUs)', E_INVALID, self.update, self.base,
                 VM, Sockets=16, Cores=16, Threads=2, mentions=['CPUs', '512', '256', 'topology'])

    def test_cpu_pins(self):
        self.bad('VM.Update CPUPins beyond CPUs', E_INVALID, self.update, self.base, VM,
                 CPUPins=[(2, 0)], mentions=['CPUPins', '2'])
        self.bad('VM.Update CPUPins with a vCPU pinned twice', E_INVALID, self.update,
                 self.base, VM, CPUPins=[(0, 0), (0, 0)], mentions=['CPUPins', '0'])
        self.bad('CreateVM with CPUs 1 and a pin of vCPU 1', E_INVALID, self.create_vm,
                 'new-vm', CPUs=1, CPUPins=[(1, 0)], mentions=['CPUPins', '1'])
        self.bad('VM.Update CPUPins as a(ii)', E_INVALID, self.update, self.base, VM,
                 CPUPins=dbus.Array([dbus.Struct((dbus.Int32(0), dbus.Int32(0)))],
                                    signature='(ii)'), mentions=['CPUPins'])

    def test_unknown_keys_and_wrong_types(self):
        self.bad('CreateVM with an unknown key', E_INVALID, self.create_vm, 'new-vm',
                 Colour='red', mentions=['Colour'])
        self.bad('VM.Update with an unknown key', E_INVALID, self.update, self.base, VM,
                 Colour='red', mentions=['Colour'])
        self.bad('VM.Update with a lower-case key', E_INVALID, self.update, self.base, VM,
                 cpus=dbus.UInt32(2), mentions=['cpus'])
        for key, value in (('State', 'running'), ('UUID', str(uuid.uuid4())), ('Name', 'renamed'),
                           ('NICs', dbus.Array([], signature='o')), ('DisplayPasswordSet', True),
                           ('ExitReason', 'none')):
            self.bad(f'VM.Update of the read-only {key}', E_INVALID, self.update, self.base, VM,
                     **{key: value}, mentions=[key])
        self.bad('CreateDisk with an unknown key', E_INVALID, self.c.create_disk, 'new-disk',
                 MiB, Sparse=True, mentions=['Sparse'])
        self.bad('CreateSwitch with an unknown key', E_INVALID, self.c.create_switch, 'new-sw',
                 MTU=dbus.UInt32(9000), mentions=['MTU'])
        self.bad('RegisterISO with Size in its config', E_INVALID, self.c.register_iso,
                 'new-iso', self.plain_iso, Size=MiB, mentions=['Size'])
        self.bad('NIC.Update of the read-only VM', E_INVALID, self.update, self.n0, NIC,
                 VM=self.other, mentions=['VM'])
        self.bad('VM.Update Autostart as a string', E_INVALID, self.update, self.base, VM,
                 Autostart=dbus.String('true'), mentions=['Autostart'])
        self.bad('VM.Update Description as u', E_INVALID, self.update, self.base, VM,
                 Description=dbus.UInt32(1), mentions=['Description'])
        self.bad('VM.Update Disks as strings (as instead of ao)', E_INVALID, self.update,
                 self.base, VM, Disks=dbus.Array([self.d_att], signature='s'), mentions=['Disks'])
        self.bad('VM.Update Shares as a(ss)', E_INVALID, self.update, self.base, VM,
                 Shares=dbus.Array([dbus.Struct(('data', '/tmp'), signature='ss')],
                                   signature='(ss)'), mentions=['Shares'])
        self.bad('NIC.Update Switch as a string', E_INVALID, self.update, self.n0, NIC,
                 Switch=dbus.String(self.sw_free), mentions=['Switch'])
        self.bad('NIC.Update RateLimitIn as u', E_INVALID, self.update, self.n0, NIC,
                 RateLimitIn=dbus.UInt32(8000), mentions=['RateLimitIn'])
        self.bad('VM.Delete with an unknown option', E_INVALID, self.c.delete, self.other, VM,
                 Force=True, mentions=['Force'])
        self.bad('VM.Delete with DeleteDisks as a string', E_INVALID, self.c.delete,
                 self.other, VM, DeleteDisks=dbus.String('yes'), mentions=['DeleteDisks'])

    def test_enumerations_and_ranges(self):
        for key, value in (('RestartPolicy', 'sometimes'), ('Clock', 'mars'),
                           ('Display', 'spice'), ('DisplayVGA', 'maybe'),
                           ('DisplayWidth', 320), ('DisplayWidth', 7680), ('DisplayHeight', 4000),
                           ('SerialPorts', 5), ('AutostartDelay', 3601),
                           ('Description', 'd' * 1025), ('Description', '\u00e9' * 513),
                           ('Group', 'a/b'), ('Group', 'g' * 65),
                           ('DisplayPassword', 'p' * 65), ('DisplayPassword', 'pass\x01word'),
                           ('DisplayPassword', 'p\u00e4ssword')):
            shown = value if not isinstance(value, str) or len(value) < 20 else value[:10] + '...'
            self.bad(f'VM.Update {key}={shown!r}', E_INVALID, self.update, self.base, VM,
                     **{key: value}, mentions=[key])

    def test_references(self):
        for key, path in (('Disks', fake_path('disk')), ('Disks', self.gone_disk),
                          ('ISOs', fake_path('iso'))):
            self.bad(f'VM.Update {key} with a dangling path', E_NOT_FOUND, self.update,
                     self.other, VM, **{key: [path]}, mentions=[key, path, path.rsplit('/', 1)[1]])
        self.bad('CreateVM with a dangling disk path', E_NOT_FOUND, self.create_vm, 'new-vm',
                 Disks=[self.gone_disk], mentions=['Disks', self.gone_disk, self.gone_disk_uuid])
        dangling_sw = fake_path('switch')
        self.bad('AddNIC with a dangling switch', E_NOT_FOUND, self.c.add_nic, self.other,
                 Switch=dangling_sw, mentions=['Switch', dangling_sw])
        self.bad('NIC.Update with a dangling switch', E_NOT_FOUND, self.update, self.n0, NIC,
                 Switch=self.gone_switch, mentions=['Switch', self.gone_switch])
        self.bad('VM.Update with a disk given twice', E_INVALID, self.update, self.other, VM,
                 Disks=[self.d_free, self.d_free],
                 mentions=['Disks', 'd-free', self.d_free, 'twice', 'duplicate'])
        self.bad('VM.Update with an ISO given twice', E_INVALID, self.update, self.other, VM,
                 ISOs=[self.iso_free, self.iso_free],
                 mentions=['ISOs', 'iso-free', self.iso_free, 'twice', 'duplicate'])
        self.bad('VM.Update with a disk attached to another VM', E_BUSY, self.update, self.other,
                 VM, Disks=[self.d_att], mentions=['d-att', 'base', self.d_att, 'attached'])
        self.bad('CreateVM with a disk attached to another VM', E_BUSY, self.create_vm,
                 'new-vm', Disks=[self.d_att], mentions=['d-att', 'base', self.d_att, 'attached'])
        self.bad('VM.Update with 17 disks', E_INVALID, self.update, self.other, VM,
                 Disks=self.many_disks, mentions=['Disks', '16'])
        self.bad('VM.Update with 5 ISOs', E_INVALID, self.update, self.other, VM,
                 ISOs=self.extra_isos + [self.iso_free], mentions=['ISOs', '4'])

    def test_properties_are_read_only(self):
        """Changes go through methods: Properties.Set is refused by sd-bus."""
        for path, iface, name, value in ((self.base, VM, 'Name', dbus.String('x')),
                                         (self.base, VM, 'CPUs', dbus.UInt32(1)),
                                         (self.d_free, DISK, 'Size', dbus.UInt64(MiB)),
                                         (self.n0, NIC, 'MAC', dbus.String('02:00:00:00:00:01'))):
            self.bad(f'Properties.Set {iface}.{name}', 'org.freedesktop.DBus.Error.PropertyReadOnly',
                     self.c.call, path, PROPERTIES, 'Set', iface, name, value, signature='ssv',
                     mentions=[name])

    def test_busy(self):
        self.bad('Disk.Delete of an attached disk', E_BUSY, self.c.delete, self.d_att, DISK,
                 mentions=['d-att', 'base', 'attached'])
        self.bad('ISO.Delete of an ISO a VM uses', E_BUSY, self.c.delete, self.iso_used, ISO,
                 mentions=['iso-used', 'base', 'use'])
        self.bad('Switch.Delete of a switch a NIC uses', E_BUSY, self.c.delete, self.sw_used,
                 SWITCH, mentions=['sw-used', 'base', 'NIC', 'use'])

    def test_deleted_objects(self):
        gone = [self.gone_vm, self.gone_vm_uuid, 'gone-vm']
        self.bad('VM.Update on a deleted VM', GONE, self.update, self.gone_vm, VM,
                 Description='x', mentions=gone)
        self.bad('VM.Delete twice', GONE, self.c.delete, self.gone_vm, VM, mentions=gone)
        self.bad('VM.Rename of a deleted VM', GONE, self.c.rename, self.gone_vm, VM, 'again',
                 mentions=gone)
        self.bad('VM.AddNIC on a deleted VM', GONE, self.c.add_nic, self.gone_vm, mentions=gone)
        gone_d = [self.gone_disk, self.gone_disk_uuid, 'gone-disk']
        self.bad('Disk.Delete twice', GONE, self.c.delete, self.gone_disk, DISK, mentions=gone_d)
        self.bad('Disk.Rename of a deleted disk', GONE, self.c.rename, self.gone_disk, DISK,
                 'again', mentions=gone_d)
        self.bad('Switch.Delete twice', GONE, self.c.delete, self.gone_switch, SWITCH,
                 mentions=[self.gone_switch, 'gone-switch', self.gone_switch.rsplit('/', 1)[1]])
        self.bad('ISO.Delete twice', GONE, self.c.delete, self.gone_iso, ISO,
                 mentions=[self.gone_iso, 'gone-iso', self.gone_iso.rsplit('/', 1)[1]])
        self.bad('NIC.Remove twice', GONE, self.c.remove_nic, self.gone_nic,
                 mentions=[self.gone_nic])
        self.bad('NIC.Update on a removed NIC', GONE, self.update, self.gone_nic, NIC,
                 Model='e1000', mentions=[self.gone_nic])
        self.bad('GetVM of a deleted VM\'s UUID', E_NOT_FOUND, self.c.lookup, 'VM',
                 self.gone_vm_uuid, mentions=[self.gone_vm_uuid])
        self.bad('GetDisk of a deleted disk\'s name', E_NOT_FOUND, self.c.lookup, 'Disk',
                 'gone-disk', mentions=['gone-disk'])

    def test_register_iso_paths(self):
        self.bad('RegisterISO with a relative path', E_INVALID, self.c.register_iso, 'new-iso',
                 'files/plain.iso', mentions=['files/plain.iso', 'absolute', 'relative'])
        self.bad('RegisterISO with an empty path', E_INVALID, self.c.register_iso, 'new-iso', '',
                 mentions=['path', 'absolute'])
        missing = self.h.path('files', 'missing.iso')
        self.bad('RegisterISO with a path that does not exist', E_NOT_FOUND, self.c.register_iso,
                 'new-iso', missing, mentions=[missing])
        directory = self.h.path('files')
        self.bad('RegisterISO with a directory', E_INVALID, self.c.register_iso, 'new-iso',
                 directory, mentions=[directory, 'directory', 'regular'])

    def test_nics(self):
        for mac, why in (('01:00:5e:00:00:01', 'multicast'), ('ff:ff:ff:ff:ff:ff', 'broadcast'),
                         ('00:00:00:00:00:00', 'all zero'), ('0e:c1:00:00:00', 'five octets'),
                         ('0e:c1:00:00:00:00:01', 'seven octets'),
                         ('zz:c1:00:00:00:01', 'not hex'), ('0e-c1-00-00-00-01', 'dashes'),
                         ('0ec1.0000.0001', 'dotted'), ('', 'empty')):
            self.bad(f'AddNIC with MAC {mac!r} ({why})', E_INVALID, self.c.add_nic, self.other,
                     MAC=mac, mentions=['MAC'] + ([mac] if mac else []))
        self.bad('NIC.Update with a multicast MAC', E_INVALID, self.update, self.n0, NIC,
                 MAC='03:00:00:00:00:01', mentions=['MAC', '03:00:00:00:00:01'])
        for key, value in (('RateLimitIn', 1), ('RateLimitIn', 7999),
                           ('RateLimitOut', 100000000001), ('RateLimitOut', 2 ** 64 - 1)):
            self.bad(f'AddNIC with {key} {value}', E_INVALID, self.c.add_nic, self.other,
                     **{key: value}, mentions=[key, str(value)])
        self.bad('NIC.Update RateLimitOut 7999', E_INVALID, self.update, self.n0, NIC,
                 RateLimitOut=7999, mentions=['RateLimitOut', '7999'])
        self.bad('AddNIC with Model rtl8139', E_INVALID, self.c.add_nic, self.other,
                 Model='rtl8139', mentions=['Model', 'rtl8139'])
        self.bad('AddNIC with an unknown key', E_INVALID, self.c.add_nic, self.other,
                 Bandwidth=dbus.UInt64(1), mentions=['Bandwidth'])
        self.bad('a ninth NIC', E_INVALID, self.c.add_nic, self.full, mentions=['NIC', '8'])

    def test_shares(self):
        for share, why in ((('data', 'relative/dir', False), 'relative path'),
                           (('data', '', False), 'empty path'),
                           (('a b', '/tmp', False), 'space in the name'),
                           (('', '/tmp', False), 'empty name'),
                           (('../x', '/tmp', False), 'slash in the name')):
            self.bad(f'VM.Update Shares with {why}', E_INVALID, self.update, self.base, VM,
                     Shares=[share], mentions=['Shares'] + [s for s in share[:2] if s])
        self.bad('VM.Update with 9 shares', E_INVALID, self.update, self.base, VM,
                 Shares=[(f's{i}', '/tmp', False) for i in range(9)], mentions=['Shares', '8'])

    def test_switches(self):
        if ON_LINUX:
            self.bad('CreateSwitch of Type netgraph on Linux', E_NOT_SUPPORTED,
                     self.c.create_switch, 'new-sw', Type='netgraph',
                     mentions=['netgraph', 'Type'])
        self.bad('CreateSwitch of Type hub', E_INVALID, self.c.create_switch, 'new-sw',
                 Type='hub', mentions=['hub', 'Type'])
        self.bad('CreateSwitch with Uplink "bad/if"', E_INVALID, self.c.create_switch, 'new-sw',
                 Uplink='bad/if', mentions=['Uplink', 'bad/if'])
        self.bad('Switch.Update Uplink of 16 characters', E_INVALID, self.update, self.sw_free,
                 SWITCH, Uplink='u' * 16, mentions=['Uplink', 'u' * 16])
        self.bad('Switch.Update of Type (set at creation only)', E_INVALID, self.update,
                 self.sw_free, SWITCH, Type='bridge', mentions=['Type'])
        self.bad('Switch.Update of the read-only Interface', E_INVALID, self.update,
                 self.sw_free, SWITCH, Interface='br9', mentions=['Interface'])

    def test_unprivileged_caller(self):
        """Without polkit on the bus, nobody may change nothing and read
        nothing but the API (Introspect) and the Manager's host facts; every
        refusal is AccessDenied and says polkit is missing. (With polkit:
        tests/integration/test_polkit.py.)"""
        vm, disk, sw, iso, nic = self.base, self.d_free, self.sw_free, self.iso_free, self.n0
        plain = self.plain_iso
        writes = [
            (ROOT_PATH, MANAGER, 'CreateVM', "('intruder', @a{sv} {})"),
            (ROOT_PATH, MANAGER, 'CreateSwitch', "('intruder', @a{sv} {})"),
            (ROOT_PATH, MANAGER, 'CreateDisk', "('intruder', {'Size': <uint64 1048576>})"),
            (ROOT_PATH, MANAGER, 'RegisterISO', f"('intruder', '{plain}', @a{{sv}} {{}})"),
            (vm, VM, 'Update', "({'Description': <'pwned'>},)"),
            (vm, VM, 'Rename', "('intruder',)"),
            (vm, VM, 'AddNIC', "(@a{sv} {},)"),
            (vm, VM, 'Delete', "(@a{sv} {},)"),
            (self.other, VM, 'Delete', "({'DeleteDisks': <true>},)"),
            (nic, NIC, 'Update', "({'Model': <'e1000'>},)"),
            (nic, NIC, 'Remove', None),
            (disk, DISK, 'Update', "({'ReadOnly': <true>},)"),
            (disk, DISK, 'Rename', "('intruder',)"),
            (disk, DISK, 'Delete', None),
            (sw, SWITCH, 'Update', "({'Description': <'pwned'>},)"),
            (sw, SWITCH, 'Rename', "('intruder',)"),
            (sw, SWITCH, 'Delete', None),
            (iso, ISO, 'Update', "({'Description': <'pwned'>},)"),
            (iso, ISO, 'Rename', "('intruder',)"),
            (iso, ISO, 'Delete', None),
        ]
        reads = [
            (vm, PROPERTIES, 'Get', "('org.cirrina.VM', 'Name')"),
            (vm, PROPERTIES, 'GetAll', "('org.cirrina.VM',)"),
            (ROOT_PATH, PROPERTIES, 'GetAll', "('org.cirrina.Manager',)"),
            (ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None),
            (ROOT_PATH, MANAGER, 'GetVM', "('base',)"),
            (ROOT_PATH, MANAGER, 'GetDisk', "('d-free',)"),
            (nic, PROPERTIES, 'Get', "('org.cirrina.NIC', 'MAC')"),
            (vm, INTROSPECTABLE, 'Introspect', None),
        ]
        own = [('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName',
                "('org.cirrina', uint32 4)")]
        out = self.h.run_unprivileged(writes + reads + own)
        self.assertEqual((out['uid'], out['gid'], out['groups']), (65534, 65534, []),
                         'the helper did not run as nobody')
        results = out['results']
        for (path, iface, method, args), r in zip(writes, results[:len(writes)]):
            type(self).cases += 1
            with self.subTest(f'{iface}.{method} as nobody'):
                self.assertEqual(r.get('error'), E_ACCESS_DENIED,
                                 f'nobody calling {iface}.{method} on {path} got {r}')
        open_reads = {2, 7}   # the Manager's host facts, Introspect
        for i, ((path, iface, method, args), r) in enumerate(zip(reads, results[len(writes):])):
            type(self).cases += 1
            with self.subTest(f'{iface}.{method} as nobody'):
                if i in open_reads:
                    self.assertNotIn('error', r, f'nobody may read: {iface}.{method} on {path}')
                else:
                    self.assertEqual(r.get('error'), E_ACCESS_DENIED,
                                     f'nobody reading {iface}.{method} on {path} got {r}')
                    self.assertIn('polkit', r.get('message', ''))
        type(self).cases += 1
        with self.subTest('RequestName org.cirrina as nobody'):
            self.assertEqual(results[-1].get('error'), E_ACCESS_DENIED,
                             'the bus policy lets nobody own org.cirrina: '
                             f'{results[-1]}')
        self.assertEqual(self.h.db_dump(), type(self).baseline,
                         'unprivileged calls changed the database')

    def test_zz_after_the_batch(self):
        """Runs last (unittest sorts by name): the daemon survived every
        case above and nothing changed."""
        self.assertTrue(self.h.daemon_alive(), 'cirrinad died during the bad-input batch')
        self.assertTrue(self.c.get(ROOT_PATH, MANAGER, 'Version'))
        self.assertEqual(self.c.managed_objects(), self.objects,
                         'GetManagedObjects changed during the bad-input batch')
        self.assertEqual(self.h.db_dump(), self.original_baseline,
                         'the database changed during the bad-input batch')
        sys.stderr.write(f'\n{type(self).cases} malformed or forbidden calls checked\n')


if __name__ == '__main__':
    unittest.main()
