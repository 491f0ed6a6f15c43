"""The live objects implement exactly the interfaces of dbus/*.xml.

For each kind of object, a live instance is introspected and each
org.cirrina.* interface compared with its XML file: the same methods with the
same argument types and directions (in order; names too where the live
object states them: the daemon's vtables carry no argument names, since
basu, the sd-bus of the FreeBSD build, has no SD_BUS_METHOD_WITH_NAMES, so
the names live in the XML only), the same properties
with type and access, the same signals. Annotations may differ, except that
where the live object states EmitsChangedSignal it must agree with the XML
(absent in the XML means "true"). Standard org.freedesktop.DBus.*
interfaces are not compared.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \
      /usr/bin/python3 -m unittest tests/integration/test_introspection.py -v
"""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    BUS_NAME, CirrinaTestCase, Harness, ROOT_PATH, MANAGER, VM, NIC, SWITCH, DISK, ISO, JOB,
    OBJECT_MANAGER, MiB, api, parse_interfaces, wait_until)


class IntrospectionTest(CirrinaTestCase):
    """One daemon for the class: introspection changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h = Harness('introspection')
        cls.class_harness = h
        try:
            h.start()
            c = h.client()
            vm = c.create_vm('introspected')
            iso_file = h.make_file('i.iso', MiB)
            cls.objects = {
                MANAGER: ROOT_PATH,
                VM: vm,
                NIC: c.add_nic(vm),
                SWITCH: c.create_switch('introspected'),
                DISK: c.create_disk('introspected', MiB),
                ISO: c.register_iso('introspected', iso_file),
                JOB: cls.start_job(c),
            }
            cls.live = {iface: c.introspect(path) for iface, path in cls.objects.items()}
        except BaseException:
            h.cleanup()
            raise

    @classmethod
    def start_job(cls, c):
        """A job that lasts: an import from a pipe nobody writes to (until
        tearDownClass closes it)."""
        r, cls.job_writer = os.pipe()
        c.bus.call_async(BUS_NAME, ROOT_PATH, MANAGER, 'ImportDisk', 'sha{sv}',
                         ('introspected-import', dbus.types.UnixFd(r),
                          dbus.Dictionary({}, signature='sv')),
                         lambda *a: None, lambda *a: None, timeout=600)
        os.close(r)
        jobs = wait_until(lambda: list(c.objects_with(JOB)))
        if not jobs:
            raise AssertionError('an import shows no org.cirrina.Job')
        return jobs[0]

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'job_writer', None) is not None:
            os.close(cls.job_writer)
            cls.job_writer = None
        if cls.class_harness is not None:
            cls.class_harness.cleanup()
        super().tearDownClass()

    def live_interfaces(self, iface):
        return parse_interfaces(self.live[iface])

    def check_interface(self, iface):
        """Collects every difference, so one run reports them all."""
        path = self.objects[iface]
        live_all = self.live_interfaces(iface)
        self.assertIn(iface, live_all, f'{path} does not implement {iface}')
        live, doc = live_all[iface], api()[iface]
        problems = []

        def compare(kind, documented, found):
            for name in sorted(set(documented) - set(found)):
                problems.append(f'{kind} {name} is documented but missing')
            for name in sorted(set(found) - set(documented)):
                problems.append(f'{kind} {name} is not documented in the XML')
            for name in sorted(set(documented) & set(found)):
                if kind == 'property':
                    sig, access, emits = documented[name]
                    lsig, laccess, lemits = found[name]
                    if (lsig, laccess) != (sig, access):
                        problems.append(f'property {name}: live (type, access) {(lsig, laccess)}, '
                                        f'XML {(sig, access)}')
                    if lemits is not None and lemits != (emits or 'true'):
                        problems.append(f'property {name}: live EmitsChangedSignal={lemits}, '
                                        f'XML {emits or "true (no annotation)"}')
                elif [(n, t, *d) if n is not None else (dn, t, *d)
                      for (n, t, *d), (dn, *_) in zip(found[name], documented[name])] \
                        != documented[name] or len(found[name]) != len(documented[name]):
                    problems.append(f'{kind} {name}: live args (name, type[, direction]) '
                                    f'{found[name]}, XML {documented[name]}')

        compare('method', doc['methods'], live['methods'])
        compare('property', doc['properties'], live['properties'])
        compare('signal', doc['signals'], live['signals'])
        others = [i for i in live_all if i != iface and not i.startswith('org.freedesktop.DBus.')]
        if others:
            problems.append(f'undocumented interfaces on the same object: {others}')
        if problems:
            self.fail(f'{iface} at {path} differs from dbus/{iface}.xml:\n  '
                      + '\n  '.join(problems))

    def test_manager(self):
        self.check_interface(MANAGER)
        self.assertIn(OBJECT_MANAGER, self.live_interfaces(MANAGER),
                      '/org/cirrina must carry org.freedesktop.DBus.ObjectManager')

    def test_vm(self):
        self.check_interface(VM)

    def test_nic(self):
        self.check_interface(NIC)

    def test_switch(self):
        self.check_interface(SWITCH)

    def test_disk(self):
        self.check_interface(DISK)

    def test_iso(self):
        self.check_interface(ISO)

    def test_job(self):
        self.check_interface(JOB)

    def test_managed_objects_show_what_introspect_shows(self):
        """GetManagedObjects, which cirrinad answers itself, lists every
        object with the interfaces and properties that sd-bus's Introspect
        shows for it, and nothing else."""
        c = self.class_harness.client()
        listed = c.managed_objects_raw()
        expected = set(self.objects.values()) - {ROOT_PATH}
        self.assertEqual(expected - set(listed), set(), 'objects GetManagedObjects leaves out')
        for path, interfaces in listed.items():
            with self.subTest(path=path):
                live = parse_interfaces(c.introspect(path))
                self.assertEqual(sorted(interfaces), sorted(live),
                                 f'interfaces of {path}: listed vs introspected')
                for iface, props in interfaces.items():
                    self.assertEqual(sorted(props), sorted(live[iface]['properties']),
                                     f'{iface} properties of {path}: listed vs introspected')

    def test_children_are_listed(self):
        """Introspecting a parent lists the child nodes, so tools like
        busctl tree and d-feet can walk the tree."""
        def children(path):
            # sd-bus may name a child several levels down ("nic/0") when
            # the levels between have no object of their own.
            return {n.get('name').split('/')[0] for n in ET.fromstring(
                self.class_harness.client().introspect(path)).findall('node')}
        self.assertTrue({'vm', 'switch', 'disk', 'iso', 'job'} <= children(ROOT_PATH),
                        f'/org/cirrina lists children {children(ROOT_PATH)}')
        vm = self.objects[VM]
        self.assertIn(vm.rsplit('/', 1)[1], children(ROOT_PATH + '/vm'))
        self.assertIn('nic', children(vm))


if __name__ == '__main__':
    unittest.main()
