"""The real app (the `cirrina` binary) as a screen reader and a keyboard
user meet it: its accessibility tree over AT-SPI, keys through the X server.

A test program in Python runs under run-gui-test.py (private system bus and
cirrinad, Xvfb, a private session bus) and does

    app = atspi_app.App(path_of_cirrina)    # a11y bus, the app, its tree
    app.keys('ctrl+n'); app.type_text('alpha'); app.keys('Return')
    app.wait_for(lambda: app.find(role='label', name='alpha'), 'the row')
    app.client.create_vm('beta')           # D-Bus behind the app's back
    status = app.quit()                    # Ctrl+Q; the exit status

- The accessibility bus: at-spi-bus-launcher on the test's session bus
  (it starts the bus's own dbus-daemon and at-spi2-registryd); GTK 4 finds
  it there when GTK_A11Y=atspi.
- The tree: libatspi (gir1.2-atspi-2.0) without its cache, so every read is
  what the app says now; the focus and the active window from the app's
  events, as a screen reader follows them.
- Keys: XTest (libXtst through ctypes) into the X server, like a keyboard.
  Xvfb has no window manager: before each key the topmost window gets the
  keyboard focus, as a window manager gives it to a new window (and back
  to the main window when a dialog closes).
- The app runs without animations, as in the C GUI tests.

Nothing here sleeps for a fixed time to let the app catch up: wait_for()
polls a condition until the timeout (30 s times CIRRINA_TEST_TIMEOUT_SCALE).
"""

import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import harness  # noqa: E402

SKIP = 77


def skip(why):
    print(f'SKIP: {why}', file=sys.stderr)
    sys.exit(SKIP)


def timeout_scale():
    scale = os.environ.get('CIRRINA_TEST_TIMEOUT_SCALE', '1')
    return max(int(scale) if scale.isdigit() else 1, 1)


def timeout_seconds():
    return 30 * timeout_scale()


try:
    import gi
    gi.require_version('Atspi', '2.0')
    from gi.repository import Atspi, GLib
except (ImportError, ValueError) as e:
    skip(f'no AT-SPI for Python (gir1.2-atspi-2.0): {e}')

LAUNCHERS = ('/usr/libexec/at-spi-bus-launcher', '/usr/lib/at-spi2-core/at-spi-bus-launcher',
             '/usr/lib/at-spi-bus-launcher')


class WaitTimeout(AssertionError):
    pass


# ---- the keyboard

IS_VIEWABLE = 2
REVERT_TO_PARENT = 2


class XWindowAttributes(ctypes.Structure):
    _fields_ = [('x', ctypes.c_int), ('y', ctypes.c_int), ('width', ctypes.c_int),
                ('height', ctypes.c_int), ('border_width', ctypes.c_int), ('depth', ctypes.c_int),
                ('visual', ctypes.c_void_p), ('root', ctypes.c_ulong), ('class_', ctypes.c_int),
                ('bit_gravity', ctypes.c_int), ('win_gravity', ctypes.c_int),
                ('backing_store', ctypes.c_int), ('backing_planes', ctypes.c_ulong),
                ('backing_pixel', ctypes.c_ulong), ('save_under', ctypes.c_int),
                ('colormap', ctypes.c_ulong), ('map_installed', ctypes.c_int),
                ('map_state', ctypes.c_int), ('all_event_masks', ctypes.c_long),
                ('your_event_mask', ctypes.c_long), ('do_not_propagate_mask', ctypes.c_long),
                ('override_redirect', ctypes.c_int), ('screen', ctypes.c_void_p)]



class Keyboard:
    """Key presses through XTest, as the X server gets them from a keyboard.
    Key names are X keysym names ('Tab', 'Return', 'a', 'minus'); combos
    join modifiers with '+': 'ctrl+n', 'alt+2', 'shift+Tab'."""

    MODIFIERS = {'ctrl': 'Control_L', 'alt': 'Alt_L', 'shift': 'Shift_L', 'super': 'Super_L'}
    # Characters of names we type, as keysyms (US layout, Xvfb's).
    CHARS = {' ': 'space', '-': 'minus', '.': 'period', '_': 'underscore', '/': 'slash',
             ':': 'colon'}

    def __init__(self, display_name):
        x11 = ctypes.util.find_library('X11')
        xtst = ctypes.util.find_library('Xtst')
        if x11 is None or xtst is None:
            skip('no libX11 or libXtst (libxtst-dev)')
        self.x11 = ctypes.CDLL(x11)
        self.xtst = ctypes.CDLL(xtst)
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XkbKeycodeToKeysym.restype = ctypes.c_ulong
        self.x11.XkbKeycodeToKeysym.argtypes = [ctypes.c_void_p, ctypes.c_ubyte, ctypes.c_int,
                                                ctypes.c_int]
        self.x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x11.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                        ctypes.POINTER(ctypes.c_ulong),
                                        ctypes.POINTER(ctypes.c_ulong),
                                        ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                        ctypes.POINTER(ctypes.c_uint)]
        self.x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                                  ctypes.POINTER(XWindowAttributes)]
        self.x11.XGetInputFocus.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong),
                                            ctypes.POINTER(ctypes.c_int)]
        self.x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                                            ctypes.c_ulong]
        self.x11.XFree.argtypes = [ctypes.c_void_p]
        self.display = self.x11.XOpenDisplay(display_name.encode())
        if not self.display:
            raise AssertionError(f'cannot open the X display {display_name}')
        self.root = self.x11.XDefaultRootWindow(self.display)

    def top_window(self):
        """The topmost mapped toplevel (not a popup) or None."""
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not self.x11.XQueryTree(self.display, self.root, ctypes.byref(root),
                                   ctypes.byref(parent), ctypes.byref(children),
                                   ctypes.byref(count)):
            return None
        try:
            for i in reversed(range(count.value)):  # bottom to top: the last first
                attrs = XWindowAttributes()
                if not self.x11.XGetWindowAttributes(self.display, children[i],
                                                     ctypes.byref(attrs)):
                    continue
                if attrs.map_state == IS_VIEWABLE and not attrs.override_redirect:
                    return children[i]
            return None
        finally:
            if children:
                self.x11.XFree(children)

    def focus_top_window(self):
        """What a window manager does for a new window (and Xvfb has none):
        gives the topmost toplevel the keyboard focus. Returns whether the
        focus changed."""
        top = self.top_window()
        focus, revert = ctypes.c_ulong(), ctypes.c_int()
        self.x11.XGetInputFocus(self.display, ctypes.byref(focus), ctypes.byref(revert))
        if top is None or focus.value == top:
            return False
        self.x11.XSetInputFocus(self.display, top, REVERT_TO_PARENT, 0)
        self.x11.XSync(self.display, 0)
        return True

    def close(self):
        if self.display:
            self.x11.XCloseDisplay(self.display)
            self.display = None

    def _keycode(self, name):
        keysym = self.x11.XStringToKeysym(name.encode())
        if keysym == 0:
            raise ValueError(f'no keysym named {name!r}')
        keycode = self.x11.XKeysymToKeycode(self.display, keysym)
        if keycode == 0:
            raise ValueError(f'no key for {name!r} in the X keymap')
        # A keysym on the key's second level (e.g. 'A', 'colon') needs Shift.
        shifted = self.x11.XkbKeycodeToKeysym(self.display, keycode, 0, 0) != keysym
        return keycode, shifted

    def _fake(self, keycode, press):
        self.xtst.XTestFakeKeyEvent(self.display, keycode, 1 if press else 0, 0)

    def press(self, combo):
        """Presses and releases one key with its modifiers, e.g. 'ctrl+n'."""
        *mods, key = combo.split('+') if combo != '+' else ['plus']
        keycode, shifted = self._keycode(key)
        held = [self._keycode(self.MODIFIERS[m.lower()])[0] for m in mods]
        if shifted and 'shift' not in [m.lower() for m in mods]:
            held.append(self._keycode('Shift_L')[0])
        for code in held:
            self._fake(code, True)
        self._fake(keycode, True)
        self._fake(keycode, False)
        for code in reversed(held):
            self._fake(code, False)
        self.x11.XSync(self.display, 0)

    def type_text(self, text):
        for char in text:
            self.press(self.CHARS.get(char, char))


# ---- the accessibility bus


class A11yBus:
    """at-spi-bus-launcher on the session bus of the environment: the
    accessibility bus GTK and libatspi find through org.a11y.Bus."""

    def __init__(self, log_path):
        launcher = next((p for p in LAUNCHERS if os.access(p, os.X_OK)), None)
        if launcher is None:
            skip('at-spi-bus-launcher is not installed (at-spi2-core)')
        if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
            skip('no session bus (run the test through run-gui-test.py)')
        self.log = open(log_path, 'wb')
        # Its own process group: the bus's dbus-daemon and the registry go too.
        self.proc = subprocess.Popen([launcher, '--launch-immediately'], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, start_new_session=True)
        wait_for(self._address, 'the accessibility bus (org.a11y.Bus.GetAddress)',
                 timeout=harness.START_TIMEOUT * 2)

    def _address(self):
        if self.proc.poll() is not None:
            raise AssertionError(f'at-spi-bus-launcher exited with {self.proc.returncode}')
        result = subprocess.run(
            ['dbus-send', '--session', '--print-reply=literal', '--dest=org.a11y.Bus',
             '/org/a11y/bus', 'org.a11y.Bus.GetAddress'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        return result.returncode == 0 and result.stdout.strip() != b''

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


# ---- waiting


def pump():
    """Lets libatspi deliver what arrived (events) without blocking."""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


def wait_for(condition, what, timeout=None):
    """Polls condition (delivering AT-SPI events meanwhile) until it returns
    something true, which is returned; fails with what after the timeout."""
    timeout = timeout or timeout_seconds()
    deadline = time.monotonic() + timeout
    while True:
        pump()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f'timed out after {timeout:.0f} s waiting for {what}')
        time.sleep(0.02)


# ---- the tree


def role_of(node):
    return node.get_role_name()


def states_of(node):
    state_set = node.get_state_set()
    return {s for s in (Atspi.StateType.FOCUSABLE, Atspi.StateType.FOCUSED,
                        Atspi.StateType.SENSITIVE, Atspi.StateType.EDITABLE,
                        Atspi.StateType.ACTIVE, Atspi.StateType.CHECKED,
                        Atspi.StateType.SELECTED, Atspi.StateType.MODAL)
            if state_set.contains(s)}


def children_of(node):
    try:
        count = node.get_child_count()
    except GLib.Error:
        return []
    children = []
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except GLib.Error:
            continue
        if child is not None:
            children.append(child)
    return children


def is_shown(node):
    """Whether a user sees node: GTK 4.8 marks every presented widget
    VISIBLE and none SHOWING, but a widget that is not mapped (a stack's
    other pages, a closed popover) has an empty extent. A node without a
    widget (a stack page) has no extent at all and counts as shown: its
    child says."""
    try:
        extents = node.get_extents(Atspi.CoordType.WINDOW)
    except GLib.Error:
        return True
    return extents.width > 0 and extents.height > 0


# GTK 4.8 names a widget without a label after its type ("GtkButton").
TYPE_NAME = re.compile(r'^(Gtk|Adw|Cirrina|Vte|Vnc)[A-Z][A-Za-z0-9]*$')


def name_of(node):
    """The accessible name, '' when GTK has none but the type's name."""
    name = (node.get_name() or '').strip()
    return '' if TYPE_NAME.match(name) else name


MNEMONIC = re.compile(r'_(?=\w)')


def spoken(name):
    """A name as it is meant: GTK 4.8 joins a widget's label property and
    the labels it is labelled by, so a button reads "_Cancel Cancel" and a
    row's switch "Sound Sound". The first mnemonic underscore and such a
    repeat are left out (tests match on this; test-a11y-names lists the
    repeats)."""
    name = (name or '').strip()
    plain = MNEMONIC.sub('', name, count=1)
    half = len(plain) // 2
    if len(plain) % 2 == 1 and plain[half] == ' ' and plain[:half] == plain[half + 1:]:
        return plain[:half]
    return plain


def text_of(node):
    """What a text field (or spin button) holds (GTK 4.8 answers nothing
    for an end offset of -1: the count it is)."""
    try:
        return Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node))
    except GLib.Error:
        return None


def describe(node):
    """'push button “Start”', or 'push button (GtkButton, no name)'."""
    try:
        name = (node.get_name() or '').strip()
        role = role_of(node)
    except GLib.Error:
        return 'a node that went away'
    if name and not TYPE_NAME.match(name):
        return f'{role} “{name}”'
    return f'{role} ({name + ", " if name else ""}no name)'


def walk(root, shown_only=True, ancestors=()):
    """Yields (node, ancestors) depth first; ancestors run from root's
    children down to node's parent. Subtrees a user does not see are left
    out when shown_only."""
    for child in children_of(root):
        try:
            if shown_only and not is_shown(child):
                continue
        except GLib.Error:
            continue  # gone while we looked
        yield child, ancestors
        yield from walk(child, shown_only, ancestors + (child,))


def path_of(ancestors, node):
    """Where node is, for a person: its named ancestors, then node."""
    named = [describe(a) for a in ancestors if name_of(a)]
    return ' › '.join(named + [describe(node)])


def ancestors_of(node):
    """node's ancestors below its window, the outermost first."""
    ancestors = []
    try:
        parent = node.get_parent()
        while parent is not None and role_of(parent) != 'application':
            ancestors.insert(0, parent)
            parent = parent.get_parent()
    except GLib.Error:
        pass
    return ancestors[1:]  # the window itself is not part of the path


def same_node(a, b):
    return a is not None and b is not None and a.path == b.path


def write_gtk_settings():
    """No animations, as in the C GUI tests (gui_test_init): a test sees
    the end of a transition at once. Also, with them, the sanitizer build
    finds GskRenderNode trees (text and container nodes) leaked at exit
    after going to a VM's console and back while the pages slide: GTK's or
    libadwaita's, the app holds no render node (not chased further)."""
    config = os.environ.get('XDG_CONFIG_HOME')
    if not config:
        return
    os.makedirs(os.path.join(config, 'gtk-4.0'), exist_ok=True)
    with open(os.path.join(config, 'gtk-4.0', 'settings.ini'), 'w', encoding='utf-8') as f:
        f.write('[Settings]\ngtk-enable-animations=0\n')


class App:
    """The app binary running under AT-SPI, with a keyboard and a D-Bus
    client of the test's own."""

    def __init__(self, exe, args=()):
        # meson stops a test with SIGTERM: close the app and the bus all the
        # same (the finally clauses run on SystemExit).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        self.home = os.environ.get('HOME', '/tmp')
        if not os.environ.get('DISPLAY'):
            skip('no X display (run the test through run-gui-test.py)')
        if shutil.which('dbus-send') is None:
            skip('dbus-send is not installed (dbus-bin)')
        self.bus = A11yBus(os.path.join(self.home, 'at-spi-bus-launcher.log'))
        self.keyboard = Keyboard(os.environ['DISPLAY'])
        self.client = harness.Client(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
        env = {k: v for k, v in os.environ.items() if k != 'NO_AT_BRIDGE'}
        env['GTK_A11Y'] = 'atspi'
        write_gtk_settings()
        self.log_path = os.path.join(self.home, 'cirrina.log')
        self.log = open(self.log_path, 'wb')
        Atspi.init()
        # libatspi gives up on a call after 0.8 s: too short for a
        # sanitizer build busy drawing.
        Atspi.set_timeout(10000 * timeout_scale(), 15000 * timeout_scale())
        # What a screen reader follows: the focus and the active window,
        # from the app's events.
        self.focus = None
        self.focus_changes = 0
        self.focus_lost_at = 0.0
        self.active_window = None
        self.listener = Atspi.EventListener.new(self._on_event)
        self.listener.register('object:state-changed:focused')
        self.listener.register('object:state-changed:active')
        self.proc = subprocess.Popen([exe] + list(args), env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        try:
            self.node = wait_for(self._find_app, 'the app on the accessibility bus')
        except BaseException:
            self.close()
            raise
        self.node.set_cache_mask(Atspi.Cache.NONE)

    def _find_app(self):
        if self.proc.poll() is not None:
            raise AssertionError(f'cirrina exited with {self.proc.returncode}:\n'
                                 + self.log_text())
        desktop = Atspi.get_desktop(0)
        for app in children_of(desktop):
            try:
                if app.get_process_id() == self.proc.pid:
                    return app
            except GLib.Error:
                continue
        return None

    def _on_event(self, event):
        if event.type == 'object:state-changed:focused':
            if event.detail1:
                self.focus = event.source
                self.focus_changes += 1
            else:
                self.focus_lost_at = time.monotonic()
                if self.focus is not None and same_node(self.focus, event.source):
                    self.focus = None
        elif event.type == 'object:state-changed:active':
            if event.detail1:
                self.active_window = event.source
            elif self.active_window is not None and self.active_window == event.source:
                self.active_window = None

    def log_text(self):
        self.log.flush()
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    # ---- looking

    def windows(self):
        """The app's toplevels (GTK presents the visible ones only), the
        one shown last last."""
        return children_of(self.node)

    def window(self, name):
        """The window titled name, or None."""
        for window in self.windows():
            try:
                if spoken(window.get_name()) == name:
                    return window
            except GLib.Error:
                continue  # closed while we looked
        return None

    def find_all(self, root=None, role=None, name=None, contains=None):
        """The nodes a user sees under root (every window by default) with
        role, and name (as spoken()) or a name that contains contains."""
        roots = [root] if root is not None else self.windows()
        for r in roots:
            for node, _ in walk(r):
                try:
                    if role is not None and role_of(node) != role:
                        continue
                    text = node.get_name() or ''
                except GLib.Error:
                    continue
                if name is not None and spoken(text) != name:
                    continue
                if contains is not None and contains not in text:
                    continue
                yield node

    def find(self, root=None, role=None, name=None, contains=None):
        return next(self.find_all(root, role, name, contains), None)

    def wait_for(self, condition, what, timeout=None):
        def checked():
            if self.proc.poll() is not None:
                raise AssertionError(f'cirrina exited with {self.proc.returncode} while waiting '
                                     f'for {what}:\n' + self.log_text())
            return condition()
        return wait_for(checked, what, timeout)

    def wait_for_node(self, role, name=None, contains=None, root=None, what=None,
                      timeout=None):
        return self.wait_for(lambda: self.find(root, role, name, contains),
                             what or f'{role} “{name or contains}” to be shown', timeout)

    def wait_for_window(self, name):
        """Waits until the window titled name is there and active (has the
        keyboard), and returns it."""
        def active():
            self.keyboard.focus_top_window()
            window = self.window(name)
            return window if window is not None and self.active_window == window else None
        return self.wait_for(active, f'the window “{name}” to be active')

    def wait_until_gone(self, name):
        self.wait_for(lambda: self.window(name) is None, f'the window “{name}” to close')

    def focused_description(self):
        return describe(self.focus) if self.focus is not None else 'nothing'

    def focus_is(self, role, name):
        pump()
        try:
            return self.focus is not None and role_of(self.focus) == role and \
                spoken(self.focus.get_name()) == name
        except GLib.Error:
            return False

    def wait_for_focus(self, role, name, what=None):
        """Waits until the focus is on role “name”, and returns the node."""
        try:
            self.wait_for(lambda: self.focus_is(role, name),
                          what or f'the focus on {role} “{name}”', timeout=10)
        except WaitTimeout as e:
            raise WaitTimeout(f'{e}; the focus is on {self.focused_description()}') from None
        return self.focus

    # ---- the keyboard

    def keys(self, *combos):
        """Presses keys in the window on top (as a window manager would
        have it); a combo is e.g. 'Tab', 'ctrl+n', 'alt+2'."""
        for combo in combos:
            self.keyboard.focus_top_window()
            self.keyboard.press(combo)
            pump()

    def type_text(self, text):
        self.keyboard.focus_top_window()
        self.keyboard.type_text(text)

    def tab(self, backwards=False):
        """Presses Tab (Shift+Tab) and returns where the focus went, or
        None when it went somewhere that does not tell (a libadwaita 1.2
        entry row: the old focus says it lost it, nothing says it got it;
        between two such rows nothing is said at all)."""
        changes, pressed = self.focus_changes, time.monotonic()
        self.keys('shift+Tab' if backwards else 'Tab')

        def moved():
            if self.focus_changes != changes:
                return True
            lost = self.focus_lost_at
            return lost > pressed and time.monotonic() - lost > 0.3 * timeout_scale()
        try:
            wait_for(moved, 'the focus to move', timeout=timeout_scale())
        except WaitTimeout:
            pass
        if self.focus_changes == changes:
            self.focus = None
        return self.focus

    def tab_to(self, role, name, limit=80, backwards=False):
        """Presses Tab (Shift+Tab) until the focus is on role “name”, and
        returns the node; fails naming the stops on the way."""
        stops, visited = [], []
        for _ in range(limit):
            if self.focus_is(role, name):
                return self.focus
            if self.focus is not None and any(same_node(self.focus, n) for n in visited):
                break  # round the window once: it is not there
            visited.append(self.focus)
            stops.append(self.focused_description())
            self.tab(backwards)
        raise AssertionError(f'Tab never reached {role} “{name}”; its stops: '
                             + ' → '.join(stops))

    def tab_stops(self, limit=150):
        """Presses Tab round the active window, back to where it started,
        and returns the stops: the node that took the focus, or None where
        the focus went without telling (see tab())."""
        stops = []
        for _ in range(limit):
            node = self.tab()
            if node is not None and any(same_node(node, s) for s in stops):
                return stops
            stops.append(node)
        raise AssertionError(f'Tab did not come round in {limit} stops')

    # ---- the end

    def quit(self):
        """Ctrl+Q (app.quit) in the main window; returns the exit status."""
        if self.proc.poll() is None:
            self.keys('ctrl+q')
            try:
                self.proc.wait(timeout_seconds())
            except subprocess.TimeoutExpired:
                raise AssertionError('cirrina did not quit on Ctrl+Q') from None
        return self.proc.returncode

    def quit_cleanly(self):
        """Quits (unless the app has already ended) and says whether it
        ended with status 0, printing its log when not.

        One failure is not the app's: LeakSanitizer's own stop-the-world
        tracer now and then crashes while it checks a process with several
        threads at exit (google/sanitizers#1353: "Tracer caught signal 11",
        no leak report). That run then gives no leak verdict, which is said,
        and is not failed; a leak report or any other status still fails."""
        status = self.quit() if self.proc.poll() is None else self.proc.returncode
        if status == 0:
            return True
        log = self.log_text()
        if (re.search(r'^Tracer caught signal \d+', log, re.MULTILINE)
                and 'LeakSanitizer has encountered a fatal error' in log
                and 'ERROR: LeakSanitizer: detected memory leaks' not in log
                and 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log):
            print(f'cirrina exited with {status}: LeakSanitizer\'s tracer crashed at exit '
                  '(google/sanitizers#1353), not the app: no leak verdict from this run',
                  file=sys.stderr)
            return True
        print(f'cirrina exited with {status}:\n{log}', file=sys.stderr)
        return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.listener.deregister('object:state-changed:focused')
        self.listener.deregister('object:state-changed:active')
        self.keyboard.close()
        self.client.close()
        self.bus.stop()


def run_tests(app, before_quit=None):
    """Runs the calling module's unittest cases against app, then quits it
    (after before_quit(app), if given); the exit status: 0 when every case
    passed and the app ended cleanly."""
    try:
        ok = unittest.main(exit=False, verbosity=2).result.wasSuccessful()
        if before_quit is not None:
            before_quit(app)
        ok = app.quit_cleanly() and ok
    finally:
        app.close()
    return 0 if ok else 1
