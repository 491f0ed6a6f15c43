#!/usr/bin/python3
"""Every control of the app has an accessible name, as a screen reader
finds it: the real `cirrina` binary under AT-SPI (atspi_app.py), with a VM
list, a VM's details and console, the New VM dialog, the Switches, Disks
and ISOs pages with objects on them, a form dialog and a confirmation.

Checked on each page: every control a user sees (a button, toggle, check
box or switch, menu button, text field, spin button, combo box, page tab,
menu item, terminal), and every widget the Tab key stops on (found by
pressing Tab round the window: a list row, a selectable label...). A name
must be more than GTK 4.8's fallback, the widget's type name, said once
and without a mnemonic's underscore (see walk_controls()), and every Tab
stop must tell a screen reader where the focus went (libadwaita 1.2's
entry rows did not: the app has CirrinaEntryRow). The text fields of a
VM's details and of the dialogs are checked by name among the Tab stops.
The failure lists each widget that fails, under the page where it showed
first, with the path of named ancestors that leads to it.

Run by meson through run-gui-test.py:
    test-a11y-names.py CIRRINA_BINARY
"""

import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import atspi_app  # noqa: E402
from atspi_app import (MNEMONIC, GLib, ancestors_of, describe, harness, name_of, path_of,
                       role_of, spoken, walk)  # noqa: E402

APP = None

CONTROL_ROLES = {
    'push button', 'toggle button', 'check box', 'radio button', 'combo box', 'text', 'entry',
    'password text', 'spin button', 'slider', 'page tab', 'link', 'menu item',
    'check menu item', 'radio menu item', 'terminal',
}


# Text fields a screen reader must hear when Tab enters them, per page:
# (role, name as spoken).
TEXT_FIELDS = {
    'VM details': [('text', 'Name'), ('text', 'Description'), ('text', 'Group'),
                   ('text', 'CPU Pinning'), ('password text', 'New VNC Password (none is set)')],
    'New VM dialog': [('text', 'Name')],
    'Switch form': [('text', 'Name'), ('text', 'Description')],
}


def mnemonic_name(name):
    """Whether name is what GTK 4.8 makes of a mnemonic label: the label
    with its underscore, then its text ("_Cancel Cancel", "C_reate
    Create"), or a word led by the underscore ("_Cancel")."""
    if re.search(r'(^|\s)_\w', name):
        return True
    for i, char in enumerate(name):
        if char == ' ' and '_' in name[:i] and \
                MNEMONIC.sub('', name[:i], count=1) == name[i + 1:]:
            return True
    return False


def walk_controls(root):
    """The paths of the controls under root that a user sees and that have
    no name, a name said twice, or a mnemonic's underscore in it.

    GTK 4.8 reads a widget's label property and then the labels it is
    labelled by. A button with a mnemonic label gets both from GTK itself
    ("_Cancel Cancel": the app names it by the label's text,
    cirrina-mnemonic-names.c); a control the app names while libadwaita
    labels it by its row's title reads "Memory Memory": the app must name
    it once (gtk_accessible_reset_relation(LABELLED_BY))."""
    found = []
    for node, ancestors in walk(root):
        try:
            if role_of(node) not in CONTROL_ROLES:
                continue
            name = node.get_name().strip()
            if not name_of(node):
                found.append(path_of(ancestors, node))
            elif mnemonic_name(name):
                found.append(path_of(ancestors, node) + ' (named after a mnemonic label, '
                             'underscore and all)')
            elif spoken(name) != name:
                found.append(path_of(ancestors, node) + ' (the same name twice)')
        except GLib.Error:
            continue  # gone while we looked
    return found


class NamesTest(unittest.TestCase):
    def setUp(self):
        self.pages = {}
        self.seen = set()

    def check(self, page, root):
        """Walks root as shown now, and Tab round it, and remembers what has
        no name or tells nothing (once: a page left behind stays in the
        tree)."""
        start = time.monotonic()
        found = walk_controls(root)
        walked = time.monotonic()
        stops = APP.tab_stops()
        heard = set()
        for i, node in enumerate(stops):
            if node is None:
                # The focus moved and nothing said where (GTK 4.8 with a
                # libadwaita 1.2 entry row): a screen reader is silent.
                after = describe(stops[i - 1]) if i > 0 and stops[i - 1] else 'the start'
                found.append(f'Tab stop after {after}: no focus event (a screen reader says '
                             'nothing)')
            elif not name_of(node):
                found.append('Tab stop: ' + path_of(ancestors_of(node), node))
            else:
                heard.add((role_of(node), spoken(node.get_name())))
        for role, name in TEXT_FIELDS.get(page, []):
            if (role, name) not in heard:
                found.append(f'{role} “{name}”: not among the Tab stops that tell the focus '
                             f'({", ".join(sorted(f"{r} “{n}”" for r, n in heard))})')
        self.pages[page] = [p for p in found if p not in self.seen]
        self.seen.update(found)
        print(f'{page}: walked in {walked - start:.1f} s, {len(stops)} Tab stops in '
              f'{time.monotonic() - walked:.1f} s; text fields heard: '
              + ', '.join(f'{r} “{n}”' for r, n in sorted(heard) if 'text' in r),
              file=sys.stderr)

    def report(self):
        lines = []
        for page, paths in self.pages.items():
            if paths:
                lines.append(f'{page}: {len(paths)} control(s) or Tab stop(s) without an '
                             'accessible name, with one said twice or with a mnemonic '
                             'underscore, or silent:')
                lines.extend(f'  - {p}' for p in paths)
        return '\n'.join(lines)

    def test_every_page_names_its_controls(self):
        app = APP
        main = app.wait_for_window('Cirrina')

        # The VM list, and a row's menu.
        app.keys('alt+1')
        app.wait_for_node('list item', 'alpha')
        app.wait_for_node('list item', 'beta')
        self.check('VM list', main)
        more = app.tab_to('push button', 'More actions for alpha')
        app.keys('Return')
        app.wait_for_node('menu item', contains='Details', root=main)
        self.check('VM list, a row’s menu', main)
        app.keys('Escape')
        app.wait_for(lambda: app.find(main, 'menu item', contains='Details') is None,
                     'the menu to close')
        del more

        # The details of a VM with a disk, an ISO and a NIC.
        app.tab_to('list item', 'alpha', backwards=True)
        app.keys('Return')
        app.wait_for_node('push button', 'Delete Virtual Machine', root=main)
        app.wait_for_node('label', 'alpha-disk', root=main)
        self.check('VM details', main)

        # Its console (the VM is stopped: the "not running" page).
        app.tab_to('push button', 'Console')
        app.keys('Return')
        app.wait_for_node('label', 'The VM Is Not Running', root=main)
        self.check('Console', main)
        app.keys('alt+Left')
        app.wait_for_node('push button', 'Delete Virtual Machine', root=main)
        app.keys('alt+Left')
        app.wait_for_node('list item', 'alpha', root=main)

        # The New VM dialog.
        app.keys('ctrl+n')
        dialog = app.wait_for_window('New Virtual Machine')
        app.wait_for_node('spin button', contains='Memory', root=dialog)
        self.check('New VM dialog', dialog)
        app.keys('Escape')
        app.wait_until_gone('New Virtual Machine')

        # Switches, a switch's form and its deletion's confirmation.
        main = app.wait_for_window('Cirrina')
        app.keys('alt+2')
        app.wait_for_node('list item', 'lan', root=main)
        self.check('Switches', main)
        app.tab_to('push button', 'Edit switch lan')
        app.keys('Return')
        form = app.wait_for_window('Edit Switch')
        self.check('Switch form', form)
        app.keys('Escape')
        app.wait_until_gone('Edit Switch')
        main = app.wait_for_window('Cirrina')
        app.tab_to('list item', 'lan', backwards=True)
        app.keys('Delete')
        confirm = app.wait_for_node('push button', contains='Delete', root=app.windows()[-1])
        self.check('Delete confirmation', app.windows()[-1])
        del confirm
        app.keys('Escape')
        app.wait_for(lambda: len(app.windows()) == 1, 'the confirmation to close')

        # Disks and ISOs.
        main = app.wait_for_window('Cirrina')
        app.keys('alt+3')
        app.wait_for_node('list item', 'alpha-disk', root=main)
        self.check('Disks', main)
        app.keys('alt+4')
        app.wait_for_node('list item', 'installer', root=main)
        self.check('ISOs', main)

        self.assertFalse(any(self.pages.values()), '\n' + self.report())
        for page in self.pages:
            print(f'{page}: every control named', file=sys.stderr)


def main():
    global APP
    if len(sys.argv) < 2:
        sys.exit('usage: test-a11y-names.py CIRRINA_BINARY')
    exe = os.path.abspath(sys.argv.pop(1))
    client = harness.Client(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    iso_file = os.path.join(os.environ.get('HOME', '/tmp'), 'installer.iso')
    with open(iso_file, 'wb') as f:
        f.truncate(harness.MiB)
    lan = client.create_switch('lan')
    disk = client.create_disk('alpha-disk', size=harness.GiB)
    iso = client.register_iso('installer', iso_file)
    alpha = client.create_vm('alpha', Disks=[disk], ISOs=[iso], Description='The first VM')
    client.add_nic(alpha, Switch=lan)
    client.create_vm('beta')
    client.close()

    APP = atspi_app.App(exe)
    sys.exit(atspi_app.run_tests(APP))


if __name__ == '__main__':
    main()
