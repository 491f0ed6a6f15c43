"""The live objects implement exactly the interfaces of dbus/*.xml.

For each kind of object, a live instance is introspected and each
org.cirrina.* interface compared with its XML file: the same methods with the
same argument names, types and directions (in order), the same properties
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    CirrinaTestCase, Harness, ROOT_PATH, MANAGER, VM, NIC, SWITCH, DISK, ISO, OBJECT_MANAGER,
    MiB, api, parse_interfaces)


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
            }
            cls.live = {iface: c.introspect(path) for iface, path in cls.objects.items()}
        except BaseException:
            h.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.class_harness is not None:
            cls.class_harness.cleanup()
        super().tearDownClass()

    def live_interfaces(self, iface):
        return parse_interfaces(self.live[iface])

    def check_interface(self, iface):
        path = self.objects[iface]
        live_all = self.live_interfaces(iface)
        self.assertIn(iface, live_all, f'{path} does not implement {iface}')
        live, doc = live_all[iface], api()[iface]
        where = f'{iface} at {path}'

        self.assertEqual(sorted(live['methods']), sorted(doc['methods']),
                         f'{where}: methods differ from dbus/{iface}.xml')
        for name, args in doc['methods'].items():
            self.assertEqual(live['methods'].get(name), args,
                             f'{where}: method {name}: (name, type, direction) of its arguments')

        self.assertEqual(sorted(live['properties']), sorted(doc['properties']),
                         f'{where}: properties differ from dbus/{iface}.xml')
        for name, (sig, access, emits) in doc['properties'].items():
            lsig, laccess, lemits = live['properties'][name]
            self.assertEqual((lsig, laccess), (sig, access),
                             f'{where}: property {name}: (type, access)')
            if lemits is not None:
                self.assertEqual(lemits, emits or 'true',
                                 f'{where}: property {name}: EmitsChangedSignal')

        self.assertEqual(live['signals'], doc['signals'],
                         f'{where}: signals differ from dbus/{iface}.xml')

        others = [i for i in live_all if i != iface and not i.startswith('org.freedesktop.DBus.')]
        self.assertEqual(others, [], f'{path} carries undocumented interfaces')

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

    def test_children_are_listed(self):
        """Introspecting a parent lists the child nodes, so tools like
        busctl tree and d-feet can walk the tree."""
        def children(path):
            return {n.get('name') for n in ET.fromstring(self.class_harness.client()
                                                         .introspect(path)).findall('node')}
        self.assertTrue({'vm', 'switch', 'disk', 'iso'} <= children(ROOT_PATH),
                        f'/org/cirrina lists children {children(ROOT_PATH)}')
        vm = self.objects[VM]
        self.assertIn(vm.rsplit('/', 1)[1], children(ROOT_PATH + '/vm'))
        self.assertIn('nic', children(vm))


if __name__ == '__main__':
    unittest.main()
