#!/usr/bin/python3
"""The main flows with a keyboard alone: the real `cirrina` binary, keys
pressed through the X server (XTest), what the user meets read from the
accessibility tree (the focus, the windows, the fields) and the result
checked over D-Bus, behind the app's back (atspi_app.py).

- the pages by their shortcuts (Alt+1..4), and back (Escape, Alt+Left);
- a new VM: Ctrl+N, or Tab to “New Virtual Machine” and Enter; a name
  typed, Enter creates it and shows its details;
- a VM's details: Tab to a row of the list, Enter; Tab to fields (a text
  field, spin buttons, a switch), change them, Ctrl+S applies them as one
  Update;
- deleting a VM from its row: Delete, then the dialog's Delete button;
- no page holds the focus: Tab from the page's content reaches the header.

Run by meson through run-gui-test.py:
    test-keyboard.py CIRRINA_BINARY
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import atspi_app  # noqa: E402
from atspi_app import Atspi, harness, spoken, text_of  # noqa: E402

APP = None
PAGES = [('alt+1', 'Machines'), ('alt+2', 'Switches'), ('alt+3', 'Disks'), ('alt+4', 'Images')]


def selected_page(app):
    """The view switcher's selected tab, as a screen reader reads it."""
    for tab in app.find_all(app.window('Cirrina'), role='page tab'):
        if tab.get_state_set().contains(Atspi.StateType.SELECTED):
            return spoken(tab.get_name())
    return None


def go_home(app):
    """Dialogs closed, the VM list shown, the main window active."""
    for _ in range(5):
        if len(app.windows()) <= 1:
            break
        count = len(app.windows())
        app.keys('Escape')
        app.wait_for(lambda: len(app.windows()) < count, 'a dialog to close on Escape')
    app.wait_for_window('Cirrina')
    app.keys('alt+1')
    # Back from a VM's console or details: the header's New button returns.
    for _ in range(3):
        try:
            app.wait_for_node('push button', 'New Virtual Machine',
                              timeout=5 * atspi_app.timeout_scale())
            return
        except atspi_app.WaitTimeout:
            app.keys('alt+Left')
    app.wait_for_node('push button', 'New Virtual Machine')


class KeyboardTest(unittest.TestCase):
    def setUp(self):
        self.app = APP
        self.client = APP.client
        go_home(APP)

    def vm_path(self, name):
        try:
            return self.client.lookup('VM', name)
        except Exception:
            return None

    def test_pages_by_shortcut(self):
        app = self.app
        for combo, page in PAGES[1:] + PAGES[:1]:
            app.keys(combo)
            app.wait_for(lambda: selected_page(app) == page,
                         f'{combo} to show the {page} page')
        app.keys('alt+3')
        app.wait_for_node('list item', 'data-disk')
        app.keys('alt+1')
        app.wait_for_node('list item', 'alpha')

    def test_new_vm_with_ctrl_n(self):
        app = self.app
        app.keys('ctrl+n')
        dialog = app.wait_for_window('New Virtual Machine')
        # The name field has the focus: typing goes there.
        app.type_text('kbd-new')
        name = app.wait_for_node('text', 'Name', root=dialog)
        app.wait_for(lambda: text_of(name) == 'kbd-new', 'the typed name in the Name field')
        app.keys('Return')
        app.wait_until_gone('New Virtual Machine')
        path = self.app.wait_for(lambda: self.vm_path('kbd-new'), 'the VM over D-Bus')
        self.assertEqual(self.client.get(path, harness.VM, 'State'), 'stopped')
        # The app shows the new VM's details.
        app.wait_for_window('Cirrina')
        app.wait_for_node('push button', 'Delete Virtual Machine')
        app.wait_for_node('label', 'kbd-new')

    def test_new_vm_button_by_tab(self):
        app = self.app
        app.tab_to('push button', 'New Virtual Machine')
        app.keys('Return')
        dialog = app.wait_for_window('New Virtual Machine')
        app.type_text('kbd-tab')
        # Tab from the name through the form to Create, Enter.
        app.tab_to('push button', 'Create')
        app.keys('Return')
        app.wait_until_gone('New Virtual Machine')
        app.wait_for(lambda: self.vm_path('kbd-tab'), 'the VM over D-Bus')
        del dialog

    def test_new_vm_escape_creates_nothing(self):
        app = self.app
        before = set(self.client.objects_with(harness.VM))
        app.keys('ctrl+n')
        app.wait_for_window('New Virtual Machine')
        app.type_text('kbd-never')
        app.keys('Escape')
        app.wait_until_gone('New Virtual Machine')
        self.assertEqual(set(self.client.objects_with(harness.VM)), before)

    def test_edit_details_and_apply(self):
        app = self.app
        path = self.vm_path('alpha')
        # Into the list, down to alpha's row, Enter.
        app.tab_to('list item', 'alpha')
        app.keys('Return')
        app.wait_for_node('push button', 'Delete Virtual Machine')
        # Memory: select what is there, type the new value; CPUs: arrow up.
        memory = app.tab_to('spin button', 'Memory')
        app.keys('ctrl+a')
        app.type_text('1536')
        app.wait_for(lambda: text_of(memory) == '1536', 'the typed memory size')
        cpus = app.tab_to('spin button', 'Virtual CPUs', backwards=True)
        app.keys('Up')
        app.wait_for(lambda: text_of(cpus) == '2', 'Up to raise the CPUs to 2')
        autostart = app.tab_to('check box', 'Start with cirrinad')
        app.keys('space')
        app.wait_for(lambda: autostart.get_state_set().contains(Atspi.StateType.CHECKED),
                     'Space to switch autostart on')
        # A text field tells the focus as Tab enters it: replace its text.
        description = app.tab_to('text', 'Description', backwards=True)
        app.keys('ctrl+a')
        app.type_text('typed here')
        app.wait_for(lambda: text_of(description) == 'typed here', 'the typed description')
        # Nothing is applied before Ctrl+S.
        self.assertEqual(self.client.get(path, harness.VM, 'Memory'), 1024 * harness.MiB)
        app.keys('ctrl+s')
        app.wait_for(lambda: self.client.get(path, harness.VM, 'Memory') == 1536 * harness.MiB,
                     'the Update over D-Bus')
        self.assertEqual(self.client.get(path, harness.VM, 'CPUs'), 2)
        self.assertTrue(self.client.get(path, harness.VM, 'Autostart'))
        self.assertEqual(self.client.get(path, harness.VM, 'Description'), 'typed here')
        # Back to the list with Escape.
        app.keys('Escape')
        app.wait_for_node('push button', 'New Virtual Machine')

    def test_delete_vm_from_its_row(self):
        app = self.app
        disk = self.client.create_disk('kbd-doomed-disk', size=harness.MiB)
        path = self.client.create_vm('kbd-doomed', Disks=[disk])
        app.wait_for_node('list item', 'kbd-doomed')
        app.tab_to('list item', 'kbd-doomed')
        app.keys('Delete')
        dialog = app.wait_for_window('Delete “kbd-doomed”?')
        # Enter alone takes the safe answer: the VM stays.
        app.wait_for_focus('push button', 'Cancel')
        app.keys('Return')
        app.wait_until_gone('Delete “kbd-doomed”?')
        self.assertIsNotNone(self.vm_path('kbd-doomed'))
        app.wait_for_window('Cirrina')
        app.tab_to('list item', 'kbd-doomed')
        app.keys('Delete')
        dialog = app.wait_for_window('Delete “kbd-doomed”?')
        # The Delete button's mnemonic.
        app.keys('alt+d')
        app.wait_for(lambda: self.vm_path('kbd-doomed') is None, 'Alt+D to delete the VM')
        # Its disk stays: "Also delete its disks" was left alone.
        self.assertEqual(self.client.lookup('Disk', 'kbd-doomed-disk'), disk)
        app.wait_for(lambda: app.find(role='list item', name='kbd-doomed') is None,
                     'its row to go')
        del dialog, path

    def test_delete_from_details_enter_cancels(self):
        app = self.app
        disk = self.client.create_disk('kbd-kept-disk', size=harness.MiB)
        self.client.create_vm('kbd-kept', Disks=[disk])
        app.wait_for_node('list item', 'kbd-kept')
        app.tab_to('list item', 'kbd-kept')
        app.keys('Return')
        app.tab_to('push button', 'Delete Virtual Machine')
        app.keys('Return')
        app.wait_for_window('Delete “kbd-kept”?')
        app.wait_for_focus('push button', 'Cancel')
        app.keys('Return')
        app.wait_until_gone('Delete “kbd-kept”?')
        self.assertIsNotNone(self.vm_path('kbd-kept'))
        self.assertEqual(self.client.lookup('Disk', 'kbd-kept-disk'), disk)

    def test_shortcuts_window(self):
        app = self.app
        app.keys('ctrl+question')
        app.wait_for_window('Keyboard Shortcuts')
        app.keys('Escape')
        app.wait_until_gone('Keyboard Shortcuts')
        app.wait_for_window('Cirrina')

    def test_asking_for_a_window_just_closed(self):
        """A screen reader that asks for the window at an index that just
        went (a dialog closed between its two calls) gets an answer, and
        the app lives on (GTK 4.8 gives it the last toplevel even when that
        is hidden: a crash when the app kept one)."""
        app = self.app
        count = app.node.get_child_count()
        app.node.get_child_at_index(count)
        app.keys('alt+2')
        app.wait_for(lambda: selected_page(app) == 'Switches', 'the app to answer Alt+2')

    def test_tab_leaves_every_page(self):
        app = self.app
        for combo, page in PAGES:
            app.keys(combo)
            app.wait_for(lambda: selected_page(app) == page, f'the {page} page')
            stops = app.tab_stops()
            names = [spoken(s.get_name()) for s in stops if s is not None]
            self.assertIn('Main Menu', names, f'Tab round the {page} page: {names}')
            self.assertGreater(len(names), 6, f'Tab round the {page} page: {names}')


def main():
    global APP
    if len(sys.argv) < 2:
        sys.exit('usage: test-keyboard.py CIRRINA_BINARY')
    exe = os.path.abspath(sys.argv.pop(1))
    client = harness.Client(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    client.create_switch('lan')
    client.create_disk('data-disk', size=harness.GiB)
    client.create_vm('alpha', Memory=1024 * harness.MiB, CPUs=1)
    client.create_vm('beta')
    client.close()

    APP = atspi_app.App(exe)
    sys.exit(atspi_app.run_tests(APP, before_quit=go_home))


if __name__ == '__main__':
    main()
