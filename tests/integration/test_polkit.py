"""Authorization with a real polkitd (issue 3): every method of every
object is checked by polkit, asynchronously, with Cirrina's policy and the
rules a test installs; root is always allowed.

The world (tests/integration/harness.py, PolkitHarness): a private system
bus, a real polkitd reading polkit/org.cirrina.policy and the test's rules
(tests/data/polkit/, polkit/examples/) in a private mount namespace, test
users that exist only there (cirrina-alice in cirrina-admins, cirrina-bob in
lab-admins, cirrina-carol), and cirrinad as root with Hypervisor=bhyve and
the stand-ins of tests/data/fake-bhyve, so that the power methods work. The
callers run as those users through setpriv.

What a user sees, as asserted here:
- polkit refuses, the caller did not allow interactive authorization and
  polkit would have asked for a password (the defaults are auth_admin*):
  org.freedesktop.DBus.Error.InteractiveAuthorizationRequired, naming the
  action;
- polkit refuses outright (vm.read is allow_active=yes only and callers
  here have no session; or a rule says NO; or no agent for an interactive
  call): org.freedesktop.DBus.Error.AccessDenied, naming the action;
- polkit is not running: AccessDenied naming polkit;
and a refused call changes nothing (the database dump, every object's
properties and the fake hypervisor's calls are compared).

Which action each method checks (the matrix derives its method list from
dbus/*.xml and fails if a method has no case): org.cirrina.vm.manage for the
VM and NIC methods, CreateVM and GetLaunchPlan; org.cirrina.vm.power for
Start/Stop/Kill/Reset; org.cirrina.vm.console for OpenConsole,
GetConsoleLog and OpenDisplay; org.cirrina.switch.manage and
org.cirrina.storage.manage for switches and disks/ISOs (and their Create*,
Import*, Resize, Clone, and Cancel of a job);
org.cirrina.vm.read for Get* and for Properties.Get/GetAll and
GetManagedObjects. (The matrix asks of an allowed console call only that it
got past polkit: with the fake bhyve there may be no console to open.)

The interactive path is driven end to end by a stand-in authentication agent
(harness.PolkitAgent) that root registers for a caller's process: it
dismisses the dialog, or reports an authentication as root.

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/integration/test_polkit.py -v
"""

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    ALICE, BOB, BUS_NAME, CAROL, CIRRINA_INTERFACES, DISK, JOB, CallerProcess, E_ACCESS_DENIED,
    E_INTERACTIVE,
    E_NOT_FOUND, E_UNKNOWN_METHOD,
    INTROSPECTABLE, ISO, MANAGER, NIC, OBJECT_MANAGER, POLKIT_IFACE, POLKIT_NAME, POLKIT_PATH,
    PROPERTIES, ROOT_PATH, SWITCH, TEST_USERS, VM, CirrinaTestCase, PolkitHarness, api,
    require_polkit, source_root, wait_until)

RULES_DIR = os.path.join(source_root(), 'tests', 'data', 'polkit')
EXAMPLES_DIR = os.path.join(source_root(), 'polkit', 'examples')

READ = 'org.cirrina.vm.read'
POWER = 'org.cirrina.vm.power'
CONSOLE = 'org.cirrina.vm.console'
VM_MANAGE = 'org.cirrina.vm.manage'
SWITCH_MANAGE = 'org.cirrina.switch.manage'
STORAGE_MANAGE = 'org.cirrina.storage.manage'

# polkit's implicit authorizations (PolkitImplicitAuthorization).
IMPLICIT_NAMES = {0: 'no', 1: 'auth_self', 2: 'auth_admin', 3: 'auth_self_keep',
                  4: 'auth_admin_keep', 5: 'yes'}
# The issue: reading allowed to active local users, everything else
# auth_admin_keep (auth_admin for inactive and other sessions).
EXPECTED_DEFAULTS = {
    READ: ('no', 'no', 'yes'),
    POWER: ('auth_admin', 'auth_admin', 'auth_admin_keep'),
    CONSOLE: ('auth_admin', 'auth_admin', 'auth_admin_keep'),
    VM_MANAGE: ('auth_admin', 'auth_admin', 'auth_admin_keep'),
    SWITCH_MANAGE: ('auth_admin', 'auth_admin', 'auth_admin_keep'),
    STORAGE_MANAGE: ('auth_admin', 'auth_admin', 'auth_admin_keep'),
}

# What a caller without a rule (and without a session) gets for an action.
def refusal_for(action):
    return E_ACCESS_DENIED if action == READ else E_INTERACTIVE


FAST = 1.5   # seconds: a call not held up by someone else's polkit question


def registered_actions(client):
    """{action id: (allow_any, allow_inactive, allow_active)} of the
    org.cirrina actions polkitd knows."""
    actions = client.bus.call_blocking(POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                       'EnumerateActions', 's', ('',))
    return {str(a[0]): tuple(IMPLICIT_NAMES.get(int(x), str(x)) for x in a[6:9])
            for a in actions if str(a[0]).startswith('org.cirrina.')}


def rules_file(name):
    with open(os.path.join(RULES_DIR, name), encoding='utf-8') as f:
        return f.read()


def example_rules(name):
    with open(os.path.join(EXAMPLES_DIR, name), encoding='utf-8') as f:
        return f.read()


def group_rules():
    """polkit/examples/50-cirrina-group.rules, for the group cirrina-admins."""
    text = example_rules('50-cirrina-group.rules')
    adapted = text.replace('isInGroup("cirrina")', 'isInGroup("cirrina-admins")')
    if adapted == text:
        raise AssertionError('polkit/examples/50-cirrina-group.rules no longer checks '
                             'isInGroup("cirrina"): adapt group_rules() in this test')
    return adapted


def gv_str(s):
    """A GVariant text string literal."""
    return "'" + str(s).replace('\\', '\\\\').replace("'", "\\'") + "'"


# ------------------------------------------------------------- the cases

class Target:
    """One call of a case: where, with what, and how to tell it worked.
    check(test, result) asserts the effect of a successful call; details
    are what polkit must be told about the object."""

    def __init__(self, path, args, check=None, details=None, fds=None):
        self.path = path
        self.args = args
        self.check = check
        self.details = details or {}
        self.fds = fds   # files the caller passes (handle 0, 1, ...)


class World:
    """Creates, as root, the objects the calls are about (fresh ones for
    every case, so that destructive calls can all succeed in one batch)."""

    counter = itertools.count(1)

    def __init__(self, test):
        self.t = test
        self.h = test.h
        self.c = test.c

    def name(self, prefix):
        return f'{prefix}-{next(self.counter)}'

    def vm(self, group='', running=False):
        name = self.name('vm')
        cfg = {'Group': group} if group else {}
        path = self.c.create_vm(name, **cfg)
        if running:
            self.c.call(path, VM, 'Start')
        uuid = self.c.get(path, VM, 'UUID')
        return path, {'vm': name, 'vm.uuid': uuid, 'group': group}

    def nic(self):
        vm, details = self.vm()
        return self.c.add_nic(vm), vm, details

    def switch(self):
        name = self.name('sw')
        return self.c.create_switch(name), {'switch': name}

    def disk(self):
        name = self.name('disk')
        return self.c.create_disk(name, 1 << 20), {'disk': name}

    def iso(self):
        name = self.name('iso')
        return self.c.register_iso(name, self.iso_file(name)), {'iso': name}

    def iso_file(self, name):
        return self.h.make_file(name + '.iso', 4096)

    def job(self):
        """A running import (root's, on a pipe that stays open and empty
        until the test ends): its org.cirrina.Job path."""
        name = self.name('job-disk')
        r, w = os.pipe()
        c = self.c

        def end():
            # The import then fails for want of data: wait for that here,
            # not in the middle of the next test's comparisons.
            os.close(w)
            wait_until(lambda: not [p for p, props in c.objects_with(JOB).items()
                                    if props['Object'] == name])
        self.t.addCleanup(end)
        self.c.bus.call_async(BUS_NAME, ROOT_PATH, MANAGER, 'ImportDisk', 'sha{sv}',
                              (name, dbus.types.UnixFd(r), dbus.Dictionary({}, signature='sv')),
                              lambda *a: None, lambda *a: None, timeout=600)
        os.close(r)
        found = wait_until(lambda: [p for p, props in self.c.objects_with(JOB).items()
                                    if props['Object'] == name])
        if not found:
            raise AssertionError(f'the import of {name} shows no org.cirrina.Job')
        return found[0], {}


def _check_prop(path, iface, prop, expected):
    def check(t, result):
        t.assertEqual(t.c.get(path, iface, prop), expected,
                      f'{iface}.{prop} of {path} after the call')
    return check


def _check_gone(kind, name):
    def check(t, result):
        t.assertDBusError(E_NOT_FOUND, t.c.lookup, kind, name,
                          what=f'Get{kind}({name}) after it was deleted')
    return check


def _check_created(kind, name):
    def check(t, result):
        t.assertEqual(t.c.lookup(kind, name), result['value'][0],
                      f'the {kind} {name} that the call created')
    return check


def _check_state(path, state):
    def check(t, result):
        t.assertEqual(t.c.get(path, VM, 'State'), state, f'State of {path} after the call')
    return check


def _named_object_cases(iface, kind, make, action):
    def update(w):
        path, details = make(w)
        return Target(path, "({'Description': <'changed by the caller'>},)",
                      _check_prop(path, iface, 'Description', 'changed by the caller'), details)

    def rename(w):
        path, details = make(w)
        new = w.name('renamed')
        return Target(path, f'({gv_str(new)},)', _check_prop(path, iface, 'Name', new), details)

    def delete(w):
        path, details = make(w)
        name = next(iter(details.values()))
        args = '(@a{sv} {},)' if iface == VM else None
        return Target(path, args, _check_gone(kind, name), details)

    return {(iface, 'Update'): (action, update), (iface, 'Rename'): (action, rename),
            (iface, 'Delete'): (action, delete)}


def _manager_cases():
    cases = {}

    def create(kind, method, prefix, action, extra=''):
        def make(w):
            name = w.name(prefix)
            if method == 'RegisterISO':
                args = f'({gv_str(name)}, {gv_str(w.iso_file(name))}, @a{{sv}} {{}})'
            else:
                args = f'({gv_str(name)}, @a{{sv}} {{{extra}}})'
            return Target(ROOT_PATH, args, _check_created(kind, name),
                          {kind.lower(): name})
        cases[(MANAGER, method)] = (action, make)

    create('VM', 'CreateVM', 'new-vm', VM_MANAGE)
    create('Switch', 'CreateSwitch', 'new-sw', SWITCH_MANAGE)
    create('Disk', 'CreateDisk', 'new-disk', STORAGE_MANAGE, "'Size': <uint64 1048576>")
    create('ISO', 'RegisterISO', 'new-iso', STORAGE_MANAGE)

    def import_(kind, method):
        def make(w):
            name = w.name('imported-' + kind.lower())
            return Target(ROOT_PATH, f'({gv_str(name)}, handle 0, @a{{sv}} {{}})',
                          _check_created(kind, name), {kind.lower(): name},
                          fds=[w.h.make_file(name, 4096)])
        cases[(MANAGER, method)] = (STORAGE_MANAGE, make)

    import_('Disk', 'ImportDisk')
    import_('ISO', 'ImportISO')

    def get(kind, maker):
        def make(w):
            path, details = maker(w)
            name = next(iter(details.values()))

            def check(t, result):
                t.assertEqual(result['value'], [path], f'Get{kind}({name})')
            return Target(ROOT_PATH, f'({gv_str(name)},)', check, {})
        cases[(MANAGER, 'Get' + kind)] = (READ, make)

    get('VM', World.vm)
    get('Switch', World.switch)
    get('Disk', World.disk)
    get('ISO', World.iso)

    def host_interfaces(w):
        def check(t, result):
            names = result['value'][0]
            t.assertIsInstance(names, list, 'GetHostInterfaces returns a list of names')
            t.assertNotIn('lo', names, 'loopback is no uplink')
        return Target(ROOT_PATH, None, check, {})
    cases[(MANAGER, 'GetHostInterfaces')] = (READ, host_interfaces)
    return cases


def _vm_cases():
    cases = _named_object_cases(VM, 'VM', World.vm, VM_MANAGE)

    def add_nic(w):
        path, details = w.vm()

        def check(t, result):
            t.assertEqual(t.c.get(path, VM, 'NICs'), [result['value'][0]], 'the VM\'s NICs')
        return Target(path, '(@a{sv} {},)', check, details)

    def start(w):
        path, details = w.vm()
        return Target(path, None, _check_state(path, 'running'), details)

    def stop(w):
        path, details = w.vm(running=True)
        return Target(path, '(uint32 10,)', _check_state(path, 'stopped'), details)

    def kill(w):
        path, details = w.vm(running=True)
        return Target(path, None, _check_state(path, 'stopped'), details)

    def reset(w):
        path, details = w.vm(running=True)

        def check(t, result):
            t.assertIn(f'bhyvectl --vm={details["vm"]} --force-reset', t.h.fake_calls(),
                       'Reset did not reach the hypervisor')
        return Target(path, None, check, details)

    def launch_plan(w):
        path, details = w.vm()

        def check(t, result):
            t.assertEqual(result['value'][0][0], 'bhyve', 'the launch plan\'s argv')
        return Target(path, "('bhyve',)", check, details)

    def console(method, args, running=True):
        def make(w):
            path, details = w.vm(running=running)

            def check(t, result):
                t.assertPastPolkit(result, f'{method} of {path}')
                if 'error' not in result and method != 'GetConsoleLog':
                    t.assertEqual(result['fds'], 1, f'{method} answered without a socket')
            return Target(path, args, check, details)
        cases[(VM, method)] = (CONSOLE, make)

    console('OpenConsole', "('com1', @a{sv} {})")
    console('GetConsoleLog', "('com1', uint64 0)", running=False)
    console('OpenDisplay', '(@a{sv} {},)')

    def display_password(w):
        path, details = w.vm()

        def check(t, result):
            t.assertEqual(result['value'], [''], 'the password of a VM without one')
        return Target(path, None, check, details)
    cases[(VM, 'GetDisplayPassword')] = (CONSOLE, display_password)

    cases.update({
        (VM, 'AddNIC'): (VM_MANAGE, add_nic),
        (VM, 'Start'): (POWER, start),
        (VM, 'Stop'): (POWER, stop),
        (VM, 'Kill'): (POWER, kill),
        (VM, 'Reset'): (POWER, reset),
        (VM, 'GetLaunchPlan'): (VM_MANAGE, launch_plan),
    })
    return cases


def _storage_cases():
    def resize(w):
        path, details = w.disk()
        return Target(path, '(uint64 2097152, @a{sv} {})',
                      _check_prop(path, DISK, 'Size', 2097152), details)

    def clone(w):
        path, details = w.disk()
        name = w.name('clone')
        return Target(path, f'({gv_str(name)}, @a{{sv}} {{}})', _check_created('Disk', name),
                      details)

    def cancel(w):
        path, details = w.job()

        def check(t, result):
            t.assertTrue(wait_until(lambda: path not in t.c.managed_objects()),
                         f'{path} did not end after Cancel')
        return Target(path, None, check, details)

    return {(DISK, 'Resize'): (STORAGE_MANAGE, resize), (DISK, 'Clone'): (STORAGE_MANAGE, clone),
            (JOB, 'Cancel'): (STORAGE_MANAGE, cancel)}


def _nic_cases():
    def update(w):
        nic, vm, details = w.nic()
        return Target(nic, "({'RateLimitIn': <uint64 1000000>},)",
                      _check_prop(nic, NIC, 'RateLimitIn', 1000000), details)

    def remove(w):
        nic, vm, details = w.nic()

        def check(t, result):
            t.assertEqual(t.c.get(vm, VM, 'NICs'), [], 'the VM\'s NICs after Remove')
        return Target(nic, None, check, details)

    return {(NIC, 'Update'): (VM_MANAGE, update), (NIC, 'Remove'): (VM_MANAGE, remove)}


def _read_cases():
    """The standard reads of the objects, also checked by polkit (vm.read):
    Properties.Get/GetAll and ObjectManager.GetManagedObjects."""
    cases = {}

    def get_all(iface, maker):
        def make(w):
            made = maker(w)
            path = made[0]

            def check(t, result):
                t.assertEqual(result['value'][0], t.c.get_all(path, iface),
                              f'GetAll({iface}) of {path}, as root reads it')
            return Target(path, f'({gv_str(iface)},)', check)
        cases[(PROPERTIES, 'GetAll', iface)] = (READ, make)

    get_all(VM, World.vm)
    get_all(NIC, World.nic)
    get_all(SWITCH, World.switch)
    get_all(DISK, World.disk)
    get_all(ISO, World.iso)
    get_all(JOB, World.job)

    def get(w):
        path, details = w.vm()

        def check(t, result):
            t.assertEqual(result['value'][0], details['vm'], 'Get(Name) of a VM')
        return Target(path, f'({gv_str(VM)}, \'Name\')', check)
    cases[(PROPERTIES, 'Get', VM)] = (READ, get)

    def managed(w):
        path, details = w.vm()

        def check(t, result):
            t.assertIn(path, result['value'][0], 'GetManagedObjects lists the VMs')
        return Target(ROOT_PATH, None, check)
    cases[(OBJECT_MANAGER, 'GetManagedObjects')] = (READ, managed)
    return cases


def all_cases():
    """{(interface, method[, which]): (action, make)} for every method of
    every org.cirrina interface, and the standard reads."""
    cases = {}
    cases.update(_manager_cases())
    cases.update(_vm_cases())
    cases.update(_nic_cases())
    cases.update(_named_object_cases(SWITCH, 'Switch', World.switch, SWITCH_MANAGE))
    cases.update(_named_object_cases(DISK, 'Disk', World.disk, STORAGE_MANAGE))
    cases.update(_named_object_cases(ISO, 'ISO', World.iso, STORAGE_MANAGE))
    cases.update(_storage_cases())
    cases.update(_read_cases())
    return cases


def label(key):
    return '.'.join(key[:2]) + (f'({key[2]})' if len(key) > 2 else '')


# ------------------------------------------------------------ the tests

class PolkitTestCase(CirrinaTestCase):
    """One bus, polkitd and cirrinad for the class; every test installs the
    rules it needs (polkitd reloads them; the harness waits until it has)."""

    @classmethod
    def setUpClass(cls):
        require_polkit()
        super().setUpClass()
        h = PolkitHarness('polkit', fake_bhyve=True)
        cls.class_harness = h
        try:
            h.start()
            cls.actions = registered_actions(h.client())
        except BaseException:
            h.cleanup()
            raise
        cls.h = h

    @classmethod
    def tearDownClass(cls):
        cls.class_harness.cleanup()
        super().tearDownClass()

    # Tests that do not need polkit to know Cirrina's actions.
    without_actions = ('test_policy_declares_the_actions', 'test_the_matrix_covers_every_method',
                       'test_without_polkitd_only_root_is_served')

    def setUp(self):
        super().setUp()
        self.c = self.h.client()
        if self._testMethodName not in self.without_actions and set(self.actions) != set(
                EXPECTED_DEFAULTS):
            self.fail('polkitd did not register the actions of polkit/org.cirrina.policy '
                      f'(it knows {sorted(self.actions)}), so every check would fail; see '
                      'test_policy_declares_the_actions')
        if not self.h.polkit_running():
            self.h.start_polkit()
        self.h.set_rules({})
        self.addCleanup(self.stop_all_vms)

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        h = type(self).class_harness
        if (len(result.failures) + len(result.errors) > before and h is not None
                and not getattr(h, 'polkit_log_printed', False)):
            h.polkit_log_printed = True
            sys.stderr.write(f'\n----- polkitd log for {self.id()} -----\n'
                             f'{h.polkit_log_text()}----- end of log -----\n')
        return out

    # ---- helpers

    def stop_all_vms(self):
        try:
            c = self.h.client()
            for path, props in c.objects_with(VM).items():
                if props.get('State') not in ('stopped', None):
                    c.call(path, VM, 'Kill', timeout=30)
        except dbus.exceptions.DBusException:
            pass

    def snapshot(self):
        """What a refused call must leave as it was."""
        return {'database': self.h.db_dump(),
                'objects': self.c.managed_objects(),
                'hypervisor calls': self.h.fake_calls(),
                'disk files': sorted(os.listdir(self.h.disk_dir))}

    def assertUnchanged(self, before, what):
        after = self.snapshot()
        for key in before:
            self.assertEqual(after[key], before[key], f'{what} changed the {key}')

    def assertRefused(self, result, expected, action, what, mentions=None):
        """A refusal with the error expected whose message names action."""
        self.assertIn('error', result, f'{what} was not refused: it returned {result.get("value")}')
        self.assertEqual(result['error'], expected,
                         f'{what}: expected {expected}, got {result["error"]}: '
                         f'"{result["message"]}"')
        for word in mentions or [action]:
            self.assertIn(word, result['message'],
                          f'{what}: the refusal "{result["message"]}" does not name {word}')

    def assertPastPolkit(self, result, what):
        """The call was authorized: it worked, or failed for a reason of its
        own (not a refusal, not an unknown method)."""
        self.assertNotIn(result.get('error'),
                         (E_ACCESS_DENIED, E_INTERACTIVE, E_UNKNOWN_METHOD),
                         f'{what}: {result.get("error")}: "{result.get("message")}"')

    def assertOK(self, result, what):
        self.assertNotIn('error', result,
                         f'{what} failed: {result.get("error")}: "{result.get("message")}"')

    def prepare(self, keys=None):
        """[(key, action, Target)] for the cases (all of them by default),
        with fresh objects made as root."""
        w = World(self)
        cases = all_cases()
        return [(k, cases[k][0], cases[k][1](w)) for k in (keys or sorted(cases))]

    @staticmethod
    def calls_of(prepared, **extra):
        return [dict(path=t.path, iface=k[0], method=k[1], args=t.args,
                     **({'fds': t.fds} if t.fds else {}), **extra)
                for k, _, t in prepared]

    def run_refused_matrix(self, user, why):
        """Every case as user: refused as refusal_for(action) says, naming
        the action, and nothing changed."""
        prepared = self.prepare()
        before = self.snapshot()
        out = self.h.run_as(user, self.calls_of(prepared))
        for (key, action, _), r in zip(prepared, out['results']):
            with self.subTest(f'{label(key)} as {user} ({why})'):
                self.assertRefused(r, refusal_for(action), action, f'{label(key)} by {user}')
        self.assertUnchanged(before, f'calls by {user} ({why})')
        return prepared, out

    def run_allowed_matrix(self, user, why):
        """Every case as user: succeeds, with its effect."""
        prepared = self.prepare()
        out = self.h.run_as(user, self.calls_of(prepared))
        for (key, action, target), r in zip(prepared, out['results']):
            with self.subTest(f'{label(key)} as {user} ({why})'):
                if action != CONSOLE:   # their checks accept failures of their own
                    self.assertOK(r, f'{label(key)} by {user} ({why})')
                target.check(self, r)


class PolkitTest(PolkitTestCase):

    # ---- the policy itself

    def test_policy_declares_the_actions(self):
        """polkitd loads polkit/org.cirrina.policy: every action the daemon
        checks is registered, with the defaults the issue asks for."""
        found = registered_actions(self.c)
        problems = [line for line in self.h.polkit_log_text().splitlines()
                    if 'org.cirrina.policy' in line]
        if any('parse error' in line for line in problems):
            problems.append('(polkit accepts no attribute but id on <action>, and elements '
                            'and attributes only as in polkit(8): gettext-domain goes on '
                            '<description> and <message>)')
        self.assertEqual(found, EXPECTED_DEFAULTS,
                         'the org.cirrina actions polkitd registered from '
                         'polkit/org.cirrina.policy (implicit any, inactive, active); polkitd '
                         'said: ' + ('\n'.join(problems) or 'nothing'))

    def test_the_matrix_covers_every_method(self):
        """A method added to dbus/*.xml must get a case here."""
        in_xml = {(iface, m) for iface in CIRRINA_INTERFACES
                  for m in api()[iface]['methods']}
        covered = {k[:2] for k in all_cases() if k[0] in CIRRINA_INTERFACES}
        self.assertEqual(sorted(in_xml - covered), [], 'methods without a case in the matrix')
        self.assertEqual(sorted(covered - in_xml), [], 'cases for methods the API lacks')

    # ---- 1. no rule

    def test_without_a_rule_every_call_is_refused_and_changes_nothing(self):
        """No rule: every method by an unprivileged user is refused
        (InteractiveAuthorizationRequired for the auth_admin* actions, as the
        caller did not allow interaction; AccessDenied for reading, allowed
        only to active sessions), naming the action checked."""
        for user in (CAROL, ALICE):
            self.run_refused_matrix(user, 'no rule')

    # ---- 2. the example group rule

    def test_group_rule_allows_its_members_everything(self):
        """polkit/examples/50-cirrina-group.rules (group cirrina-admins):
        alice, a member, may call every method; bob, not a member, is
        refused as without a rule."""
        self.h.set_rules({'50-cirrina.rules': group_rules()})
        self.run_allowed_matrix(ALICE, 'member of cirrina-admins')
        self.run_refused_matrix(BOB, 'not a member of cirrina-admins')

    # ---- 3. the example per-VM-group rule

    def test_vm_group_rule_allows_power_on_that_groups_vms_only(self):
        """polkit/examples/50-cirrina-vm-group.rules: bob (lab-admins) may
        read everything and power the VMs whose Group is "lab", and nothing
        else; the group is the VM's at the time of the call."""
        self.h.set_rules({'50-cirrina-lab.rules': example_rules('50-cirrina-vm-group.rules')})
        c = self.c
        lab = c.create_vm('lab-web', Group='lab')
        other = c.create_vm('prod-db', Group='prod')
        c.call(other, VM, 'Start')
        before_other = c.get_all(other, VM)
        before_lab = c.get_all(lab, VM)
        calls = [
            (lab, VM, 'Start', None),
            (lab, VM, 'Reset', None),
            (lab, VM, 'Stop', '(uint32 10,)'),
            (lab, VM, 'Start', None),
            (lab, VM, 'Kill', None),
            (other, VM, 'Start', None),
            (other, VM, 'Reset', None),
            (other, VM, 'Stop', '(uint32 10,)'),
            (other, VM, 'Kill', None),
            (ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None),
            (lab, PROPERTIES, 'Get', f"({gv_str(VM)}, 'State')"),
            (other, PROPERTIES, 'GetAll', f'({gv_str(VM)},)'),
            (ROOT_PATH, MANAGER, 'GetVM', "('prod-db',)"),
            (lab, VM, 'Update', "({'Description': <'bob was here'>},)"),
            (other, VM, 'Update', "({'Description': <'bob was here'>},)"),
            (lab, VM, 'Rename', "('bobs-vm',)"),
            (lab, VM, 'AddNIC', '(@a{sv} {},)'),
            (lab, VM, 'GetLaunchPlan', "('bhyve',)"),
            (lab, VM, 'Delete', '(@a{sv} {},)'),
            (ROOT_PATH, MANAGER, 'CreateVM', "('bobs-new-vm', @a{sv} {})"),
        ]
        out = self.h.run_as(BOB, calls)['results']
        for i, what in enumerate(('Start', 'Reset', 'Stop', 'Start again', 'Kill')):
            with self.subTest(f'{what} of the lab VM'):
                self.assertOK(out[i], f'bob\'s {what} of a VM with Group=lab')
        for i, what in zip(range(5, 9), ('Start', 'Reset', 'Stop', 'Kill')):
            with self.subTest(f'{what} of the prod VM'):
                self.assertRefused(out[i], E_INTERACTIVE, POWER,
                                   f'bob\'s {what} of a VM with Group=prod')
        with self.subTest('reading'):
            self.assertOK(out[9], 'bob\'s GetManagedObjects')
            self.assertIn(other, out[9]['value'][0])
            self.assertEqual(out[10].get('value'), ['stopped'], 'bob reading the lab VM\'s State')
            self.assertEqual(out[11].get('value', [{}])[0].get('Name'), 'prod-db',
                             'bob\'s GetAll of the prod VM')
            self.assertEqual(out[12].get('value'), [other], 'bob\'s GetVM')
        for i in range(13, 20):
            with self.subTest(f'{calls[i][2]} by bob'):
                self.assertRefused(out[i], E_INTERACTIVE, VM_MANAGE, f'bob\'s {calls[i][2]}')
        # The stand-in logs itself once running, so a Kill right after a
        # Start may beat its log line; the daemon's bhyvectl --destroy after
        # each exit (Stop's and Kill's) shows that both Starts ran bhyve.
        started = f'bhyve -k {self.h.run_dir}/vm/{before_lab["UUID"]}/bhyve.conf lab-web'
        destroyed = 'bhyvectl --vm=lab-web --destroy'
        self.assertTrue(wait_until(lambda: self.h.fake_calls().count(destroyed) == 2, timeout=10),
                        'bob\'s two Starts of the lab VM ran bhyve twice, each exit destroyed: '
                        f'{self.h.fake_calls()}')
        self.assertGreaterEqual(self.h.fake_calls().count(started), 1, self.h.fake_calls())
        self.assertIn('bhyvectl --vm=lab-web --force-reset', self.h.fake_calls())
        self.assertEqual(c.get_all(other, VM), before_other, 'bob changed the prod VM')
        after_lab = c.get_all(lab, VM)
        for key in ('Name', 'Description', 'NICs', 'Group'):
            self.assertEqual(after_lab[key], before_lab[key], f'bob changed the lab VM\'s {key}')
        self.assertEqual(after_lab['State'], 'stopped')
        self.assertDBusError(E_NOT_FOUND, c.lookup, 'VM', 'bobs-new-vm')
        self.assertNotIn('bhyvectl --vm=prod-db --force-reset', self.h.fake_calls())

        # The rule grants org.cirrina.vm.console on the lab's VMs too.
        out = self.h.run_as(BOB, [(lab, VM, 'GetConsoleLog', "('com1', uint64 0)"),
                                  (other, VM, 'GetConsoleLog', "('com1', uint64 0)"),
                                  (other, VM, 'OpenConsole', "('com1', @a{sv} {})"),
                                  (other, VM, 'OpenDisplay', '(@a{sv} {},)')])['results']
        self.assertPastPolkit(out[0], 'bob\'s GetConsoleLog of the lab VM')
        for r, method in zip(out[1:], ('GetConsoleLog', 'OpenConsole', 'OpenDisplay')):
            with self.subTest(f'{method} of the prod VM'):
                self.assertRefused(r, E_INTERACTIVE, CONSOLE, f'bob\'s {method} of the prod VM')

        # The group polkit sees is the VM's now, not at creation.
        c.update(other, VM, Group='lab')
        r = self.h.run_as(BOB, [(other, VM, 'Kill', None)])['results'][0]
        self.assertOK(r, 'bob\'s Kill of a VM moved to Group=lab')
        self.assertEqual(c.get(other, VM, 'State'), 'stopped')
        c.update(lab, VM, Group='')
        r = self.h.run_as(BOB, [(lab, VM, 'Start', None)])['results'][0]
        self.assertRefused(r, E_INTERACTIVE, POWER, 'bob\'s Start of a VM taken out of the lab')
        # Not a member of lab-admins: nothing, not even reading.
        r = self.h.run_as(CAROL, [(other, VM, 'Start', None),
                                  (ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None)])
        self.assertRefused(r['results'][0], E_INTERACTIVE, POWER, 'carol\'s Start of a lab VM')
        self.assertRefused(r['results'][1], E_ACCESS_DENIED, READ, 'carol\'s GetManagedObjects')

    # ---- what polkit is told

    def test_polkit_is_told_the_caller_and_the_object(self):
        """Every question names the caller as its subject and carries the
        details rules decide on: vm, vm.uuid and group for a VM and its
        NICs; switch, disk or iso; for Create*, the new object's name."""
        self.h.set_rules({'10-log.rules': rules_file('log-details.rules')})
        prepared = self.prepare()
        start = len(self.h.polkit_log_text())
        self.h.run_as(CAROL, self.calls_of(prepared))
        lines = [line.split('cirrina-test-details ', 1)[1]
                 for line in self.h.polkit_log_text()[start:].splitlines()
                 if 'cirrina-test-details ' in line]
        seen = [json.loads(line) for line in lines]
        pos = 0
        for key, action, t in prepared:
            expected = {'action': action, 'user': CAROL, 'details': t.details}
            with self.subTest(label(key)):
                about = [q for q in seen[pos:] if q['action'] == action]
                self.assertIn(expected, seen[pos:],
                              f'polkit was not asked about {label(key)} as expected '
                              f'({expected}); the next questions about {action}: {about[:3]}')
                pos = seen.index(expected, pos) + 1

    # ---- 4. a slow polkit holds up only its own caller

    def test_a_slow_answer_does_not_hold_up_others(self):
        """While carol's Update waits 3 s for polkit, root's calls are
        answered at once; then carol's call goes through."""
        self.h.set_rules({'50-slow.rules': rules_file('slow-carol.rules')})
        c = self.c
        vm = c.create_vm('carols-vm')
        mine = c.create_vm('roots-vm')
        start_log = len(self.h.polkit_log_text())
        began = time.monotonic()
        carol = self.h.start_as(CAROL, [(vm, VM, 'Update', "({'Description': <'by carol'>},)")])
        self.addCleanup(lambda: carol.running() and carol.proc.kill())
        self.assertTrue(
            wait_until(lambda: 'slow answer for cirrina-carol begins'
                       in self.h.polkit_log_text()[start_log:], timeout=10),
            'carol\'s question never reached polkitd')
        timings = {}
        for what, fn in (
                ('GetManagedObjects', lambda: c.managed_objects()),
                ('CreateVM', lambda: c.create_vm('made-while-polkit-thinks')),
                ('Update', lambda: c.update(mine, VM, Description='root was not kept waiting')),
                ('Get', lambda: c.get(mine, VM, 'Description'))):
            t0 = time.monotonic()
            self.assertCallOK(fn, what=f'root\'s {what} while carol waits for polkit')
            timings[what] = time.monotonic() - t0
        self.assertTrue(carol.running(),
                        'carol\'s call was answered before root\'s calls were done: the test '
                        'did not overlap them')
        for what, seconds in timings.items():
            self.assertLess(seconds, FAST, f'root\'s {what} took {seconds:.2f} s while carol\'s '
                            'call waited for polkit: the daemon was blocked')
        r = carol.result()['results'][0]
        self.assertOK(r, 'carol\'s Update after polkit\'s slow yes')
        self.assertGreaterEqual(time.monotonic() - began, 2.5,
                                'carol\'s call did not wait for the slow rule')
        self.assertEqual(c.get(vm, VM, 'Description'), 'by carol')
        self.assertEqual(c.get(mine, VM, 'Description'), 'root was not kept waiting')

    # ---- 5. the interactive flag

    def with_agent(self, respond, user, calls, interactive):
        """Makes calls as user with a test authentication agent registered
        for the caller's process; returns (results, agent requests)."""
        agent = self.h.agent(respond)
        self.addCleanup(agent.close)
        go = self.h.path(f'go-{time.monotonic_ns()}')
        caller = self.h.start_as(user, calls, interactive=interactive, wait_for=go)
        self.addCleanup(lambda: caller.running() and caller.proc.kill())
        agent.register_for(caller)
        open(go, 'w').close()
        return agent.serve_until_done(caller)['results'], agent.requests

    def test_interactive_flag_is_passed_to_polkit(self):
        """The caller's allow-interactive-authorization flag reaches polkit.
        With an authentication agent registered for the caller: without the
        flag, the call is refused with InteractiveAuthorizationRequired and
        the agent is not asked; with it, the agent is asked (once, for the
        action the method checks) and its answer decides: dismissed ->
        AccessDenied and nothing changed; authenticated as root -> the call
        is made. Reading (no challenge possible) is AccessDenied either
        way, without asking the agent."""
        keys = [(VM, 'Update'), (VM, 'Start'), (MANAGER, 'CreateVM'), (SWITCH, 'Delete'),
                (DISK, 'Rename'), (NIC, 'Remove'), (MANAGER, 'GetVM')]
        prepared = self.prepare(keys)
        before = self.snapshot()
        plain, asked = self.with_agent('cancel', ALICE, self.calls_of(prepared), False)
        for (key, action, _), r in zip(prepared, plain):
            with self.subTest(f'{label(key)} without the flag'):
                self.assertRefused(r, refusal_for(action), action,
                                   f'{label(key)} without the interactive flag')
        self.assertEqual(asked, [], 'polkit asked the agent although the caller did not allow '
                         'interactive authorization')

        dismissed, asked = self.with_agent('cancel', ALICE, self.calls_of(prepared), True)
        for (key, action, _), r in zip(prepared, dismissed):
            with self.subTest(f'{label(key)} with the flag, dialog dismissed'):
                self.assertRefused(r, E_ACCESS_DENIED, action,
                                   f'{label(key)} allowing interaction, dialog dismissed')
        self.assertEqual([a for a, _, _ in asked],
                         [action for _, action, _ in prepared if action != READ],
                         'the actions the agent was asked to authenticate, in call order')
        self.assertUnchanged(before, 'calls refused after a dismissed authentication dialog')

        granted, asked = self.with_agent('root', ALICE, self.calls_of(prepared), True)
        for (key, action, target), r in zip(prepared, granted):
            with self.subTest(f'{label(key)} with the flag, authenticated as root'):
                if action == READ:
                    self.assertRefused(r, E_ACCESS_DENIED, action, f'{label(key)} (reading)')
                else:
                    self.assertOK(r, f'{label(key)} after authenticating as root')
                    target.check(self, r)

    def test_interactive_call_without_an_agent_is_refused_as_such(self):
        """The caller allowed interactive authorization but no agent can
        ask for a password (polkit answers "challenge" all the same): the
        refusal is AccessDenied, not InteractiveAuthorizationRequired,
        whose message tells the caller to do what it already did."""
        prepared = self.prepare([(VM, 'Update'), (VM, 'Start'), (MANAGER, 'CreateVM'),
                                 (SWITCH, 'Delete'), (DISK, 'Rename'), (MANAGER, 'GetVM')])
        before = self.snapshot()
        flagged = self.h.run_as(ALICE, self.calls_of(prepared), interactive=True)['results']
        for (key, action, _), r in zip(prepared, flagged):
            with self.subTest(label(key)):
                self.assertRefused(r, E_ACCESS_DENIED, action,
                                   f'{label(key)} allowing interactive authorization, no agent')
        self.assertUnchanged(before, 'interactive calls without an agent')

    def test_interactive_flag_with_busctl(self):
        """The same flag set by another client library (sd-bus: busctl
        --allow-interactive-authorization), with a test agent that
        dismisses the dialog."""
        if not shutil.which('busctl'):
            self.skipTest('busctl is not installed')
        vm = self.c.create_vm(World(self).name('busctl-vm'))
        before = self.snapshot()
        outputs, asked = {}, {}
        for flag in ('no', 'yes'):
            agent = self.h.agent('cancel')
            self.addCleanup(agent.close)
            go = self.h.path(f'go-busctl-{flag}')
            uid = TEST_USERS[ALICE]
            # sh waits for the agent, then becomes busctl (same process).
            proc = subprocess.Popen(
                ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', 'sh', '-c',
                 'while [ ! -e "$0" ]; do sleep 0.01; done; exec "$@"', go,
                 'busctl', f'--address={self.h.address}',
                 f'--allow-interactive-authorization={flag}', 'call', 'org.cirrina', vm, VM,
                 'Update', 'a{sv}', '1', 'Description', 's', 'by busctl'],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env={'PATH': '/usr/bin:/bin', 'LANG': 'C.UTF-8'})
            caller = CallerProcess(proc, 'busctl')
            caller.uid = uid
            agent.register_for(caller)
            open(go, 'w').close()
            self.assertTrue(wait_until(lambda: proc.poll() is not None, timeout=60))
            outputs[flag] = (proc.returncode, proc.stdout.read().decode('utf-8', 'replace'))
            proc.stdout.close()
            asked[flag] = [a for a, _, _ in agent.requests]
        self.assertNotEqual(outputs['no'][0], 0, outputs['no'][1])
        self.assertIn('Authentication is required for org.cirrina.vm.manage', outputs['no'][1],
                      'busctl without the flag: expected the InteractiveAuthorizationRequired '
                      'message')
        self.assertEqual(asked['no'], [], 'the agent was asked without the flag')
        self.assertNotEqual(outputs['yes'][0], 0, outputs['yes'][1])
        # busctl shows AccessDenied as "Access denied", whatever its message.
        self.assertTrue('Access denied' in outputs['yes'][1]
                        or 'Not authorized for org.cirrina.vm.manage' in outputs['yes'][1],
                        'busctl with the flag, dialog dismissed: expected AccessDenied, got '
                        + outputs['yes'][1])
        self.assertEqual(asked['yes'], [VM_MANAGE], 'the agent was not asked with the flag')
        self.assertUnchanged(before, 'busctl calls')

    # ---- 6. reading

    def read_calls(self, vm, nic, sw, disk, iso):
        return [
            (ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None),
            (vm, PROPERTIES, 'GetAll', f'({gv_str(VM)},)'),
            (vm, PROPERTIES, 'Get', f"({gv_str(VM)}, 'Name')"),
            (vm, PROPERTIES, 'Get', f"({gv_str(VM)}, 'CPUPins')"),
            (vm, PROPERTIES, 'Get', f"({gv_str(VM)}, 'Disks')"),
            (nic, PROPERTIES, 'GetAll', f'({gv_str(NIC)},)'),
            (sw, PROPERTIES, 'GetAll', f'({gv_str(SWITCH)},)'),
            (disk, PROPERTIES, 'GetAll', f'({gv_str(DISK)},)'),
            (iso, PROPERTIES, 'GetAll', f'({gv_str(ISO)},)'),
            (iso, PROPERTIES, 'Get', f"({gv_str(ISO)}, 'SHA256')"),
        ]

    def read_fixture(self):
        c, w = self.c, World(self)
        sw = c.create_switch(w.name('read-sw'))
        disk = c.create_disk(w.name('read-disk'), 1 << 20)
        iso_name = w.name('read-iso')
        iso = c.register_iso(iso_name, w.iso_file(iso_name))
        vm = c.create_vm(w.name('read-vm'), CPUs=2, Disks=[disk], ISOs=[iso], Group='lab',
                         CPUPins=[(0, 1), (1, 0)], Shares=[('src', '/srv', True)])
        nic = c.add_nic(vm, Switch=sw)
        return vm, nic, sw, disk, iso

    def test_reading_needs_the_read_action(self):
        """No rule: alice's property reads and GetManagedObjects are
        refused (AccessDenied, naming org.cirrina.vm.read); the API
        (Introspect) and the Manager's host facts stay readable."""
        calls = self.read_calls(*self.read_fixture())
        before = self.snapshot()
        out = self.h.run_as(ALICE, calls)['results']
        for call, r in zip(calls, out):
            with self.subTest(f'{call[1]}.{call[2]} on {call[0]}'):
                self.assertRefused(r, E_ACCESS_DENIED, READ, f'alice\'s {call[2]} of {call[0]}')
        out = self.h.run_as(ALICE, [(ROOT_PATH, PROPERTIES, 'GetAll', f'({gv_str(MANAGER)},)'),
                                    (ROOT_PATH, INTROSPECTABLE, 'Introspect', None)])['results']
        self.assertOK(out[0], 'alice reading the Manager\'s host facts')
        self.assertEqual(sorted(out[0]['value'][0]), ['HostCPUs', 'HostMemory', 'Hypervisor',
                                                      'Version'])
        self.assertOK(out[1], 'alice introspecting /org/cirrina')
        self.assertUnchanged(before, 'refused reads')

    def test_reading_allowed_by_a_rule_answers_as_root_is_answered(self):
        """With a rule granting org.cirrina.vm.read, alice's reads are
        answered exactly as root's are (same values, same D-Bus types, same
        errors), the first read of a connection (which waited for polkit and
        was answered by the daemon itself) as well as the next ones on the
        same connection (which polkit already allowed); writing stays
        refused."""
        self.h.set_rules({'50-read.rules': rules_file('read-alice.rules')})
        vm, nic, sw, disk, iso = self.read_fixture()
        nowhere = ROOT_PATH + '/vm/_30000000_2d0000_2d4000_2d8000_2d000000000000'
        errors = {   # call: what its error message must name
            (vm, PROPERTIES, 'Get', f"({gv_str(VM)}, 'NoSuchProperty')"): 'NoSuchProperty',
            (vm, PROPERTIES, 'Get', f"({gv_str(VM)}, 'DisplayPassword')"): 'DisplayPassword',
            (vm, PROPERTIES, 'GetAll', f'({gv_str(DISK)},)'): DISK,
            (vm, PROPERTIES, 'GetAll', "('org.freedesktop.DBus.Peer',)"): None,
            (vm, PROPERTIES, 'Get', "('org.freedesktop.DBus.Peer', 'Nothing')"): 'Peer',
            (nowhere, PROPERTIES, 'GetAll', f'({gv_str(VM)},)'): nowhere,
        }
        # Errors too: the daemon's own answers must be sd-bus's.
        calls = self.read_calls(vm, nic, sw, disk, iso) + list(errors)
        # Each call first alone on a fresh connection (its first read),
        # then all of them, twice, on one connection.
        fresh = [dict(path=p, iface=i, method=m, args=a, fresh=True) for p, i, m, a in calls]
        shared = [dict(path=p, iface=i, method=m, args=a) for p, i, m, a in calls] * 2
        root = self.h.run_as(0, fresh)['results']
        got_fresh = self.h.run_as(ALICE, fresh)['results']
        got_shared = self.h.run_as(ALICE, shared)['results']
        senders = {r['sender'] for r in got_shared}
        self.assertEqual(len(senders), 1, 'the shared calls were not on one connection')

        def answer(r):
            # Error messages are free text: the name must match, the message
            # name what was asked for (checked below).
            return {'error': r['error']} if 'error' in r else r['typed']

        for n, (call, expected) in enumerate(zip(calls, root)):
            what = f'{call[1]}.{call[2]}{call[3] or "()"} on {call[0]}'
            for how, r in (('first read of a connection', got_fresh[n]),
                           ('first call on the shared connection', got_shared[n]),
                           ('again on the same connection', got_shared[n + len(calls)])):
                with self.subTest(f'{what}, {how}'):
                    self.assertEqual(answer(r), answer(expected),
                                     f'alice\'s {what} ({how}) is not answered as root\'s is'
                                     + (f': root got "{expected.get("message")}", alice '
                                        f'"{r.get("message")}"' if 'error' in expected else ''))
                    if 'error' in r and errors.get(call):
                        self.assertIn(errors[call], r['message'],
                                      f'the error message for alice\'s {what}')
        self.assertNotIn('error', root[0], 'root could not read')
        # Reading is all the rule grants.
        r = self.h.run_as(ALICE, [(vm, VM, 'Update', "({'Description': <'alice'>},)")])
        self.assertRefused(r['results'][0], E_INTERACTIVE, VM_MANAGE, 'alice\'s Update')

    # ---- 7. no polkit

    def test_without_polkitd_only_root_is_served(self):
        """polkitd not running: non-root calls (methods and reads, with or
        without the interactive flag) are refused with AccessDenied saying
        that polkit is missing; root is served; nothing changes."""
        prepared = self.prepare([(VM, 'Update'), (VM, 'Start'), (MANAGER, 'CreateVM'),
                                 (MANAGER, 'GetVM'), (DISK, 'Delete'),
                                 (OBJECT_MANAGER, 'GetManagedObjects'),
                                 (PROPERTIES, 'GetAll', VM), (PROPERTIES, 'Get', VM)])
        self.h.stop_polkit()
        before = self.snapshot()
        for interactive in (False, True):
            out = self.h.run_as(ALICE, self.calls_of(prepared), interactive=interactive)
            for (key, action, _), r in zip(prepared, out['results']):
                with self.subTest(f'{label(key)}, interactive={interactive}'):
                    self.assertRefused(r, E_ACCESS_DENIED, action,
                                       f'{label(key)} without polkitd', mentions=['polkit'])
        self.assertUnchanged(before, 'calls refused without polkitd')
        out = self.h.run_as(0, self.calls_of(prepared))
        for (key, action, target), r in zip(prepared, out['results']):
            with self.subTest(f'{label(key)} by root without polkitd'):
                self.assertOK(r, f'root\'s {label(key)} without polkitd')
                target.check(self, r)

    # ---- 8. root

    def test_root_is_allowed_even_when_rules_deny_everyone(self):
        """A rule refusing every Cirrina action to everyone: root (uid 0,
        through the same kind of caller) still does everything; alice is
        refused with AccessDenied (a plain no, nothing to authenticate)."""
        self.h.set_rules({'50-deny.rules': rules_file('deny-all.rules')})
        self.run_allowed_matrix(0, 'rules deny everyone')
        prepared = self.prepare([(VM, 'Start'), (MANAGER, 'CreateDisk'), (MANAGER, 'GetISO')])
        out = self.h.run_as(ALICE, self.calls_of(prepared), interactive=True)
        for (key, action, _), r in zip(prepared, out['results']):
            with self.subTest(f'{label(key)} by alice'):
                self.assertRefused(r, E_ACCESS_DENIED, action, f'alice\'s {label(key)}')


if __name__ == '__main__':
    unittest.main(verbosity=2)
