"""Faults, as a user would meet them (issue 9): the daemon SIGKILLed at
random points of a storm of changes, a full file system under its state,
and clients that leave in the middle of a call.

- SIGKILL storm: rounds of a daemon restarted on the same state while
  clients create, update, rename and delete VMs, NICs, disks (also by
  Clone and ImportDisk) and switches, killed after a random delay. After
  each kill the database passes PRAGMA integrity_check and
  foreign_key_check; after each restart every change the daemon
  acknowledged is there with the acknowledged values, a change in flight
  at the kill is either wholly there or not at all, every disk has its
  image file with its contents and nothing else lies in the disk
  directory, and every switch has its bridge and no other bridge is left.
  The seed and the kill points are printed: CIRRINA_FAULT_SEED=N repeats a
  run's choices (the timing of the kill still varies).
- Full disk: the state and disk directories on a small tmpfs (in a mount
  namespace of the daemon's own), filled by imports and then by VMs: the
  calls fail with org.cirrina.Error.Failed saying the disk is full, the
  daemon stays up, survives a SIGKILL there, and works again once deleting
  disks has freed room.
- Power loss: every acknowledged change is synced to disk (an fsync of
  SQLite's write-ahead log, watched with strace) before the reply.
- Client disconnect: callers that leave while their call waits (Stop on a
  guest that ignores the power button, ImportDisk from a pipe with and
  without Size, a call held by an open polkit dialog): the daemon answers
  others, the VM can still be operated, imports that cannot be kept end
  and leave no file, and the daemon exits cleanly (no leaks under ASan).

Run alone:
  CIRRINAD=build/service/cirrinad CIRRINA_SOURCE_ROOT=$PWD \\
      /usr/bin/python3 -m unittest tests/integration/test_fault.py -v
"""

import copy
import hashlib
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

import dbus
from gi.repository import GLib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    ALICE, BUS_NAME, CirrinaTestCase, Client, Harness, HarnessError, PolkitHarness, ROOT_PATH,
    MANAGER, VM, NIC, SWITCH, DISK, JOB, E_FAILED, E_NOT_FOUND, KiB, MiB, UNSHARE_MOUNT, config,
    in_signature, source_root, wait_until)

STORM_ROUNDS = int(os.environ.get('CIRRINA_FAULT_ROUNDS', '60'))
STORM_CLIENTS = 4           # processes, each on its own connection, one call at a time
STORM_MAX_DELAY = 0.4       # seconds from a start to the kill, at most
CALL_TIMEOUT = 60           # seconds; under ASan on 2 busy cores


def empty_options():
    return dbus.Dictionary({}, signature='sv')


def integrity_problems(db_path, copy=False):
    """What PRAGMA integrity_check and foreign_key_check say is wrong with
    the database, read-only (an empty list: nothing). copy: db_path is a
    copy of the database, opened as it is (read-write)."""
    # A cleanly closed database has no -wal and -shm, which a read-only
    # connection cannot make: then nothing writes it (immutable).
    mode = 'rw' if copy else 'ro' if os.path.exists(db_path + '-wal') else 'ro&immutable=1'
    con = sqlite3.connect(f'file:{db_path}?mode={mode}', uri=True, timeout=10)
    try:
        problems = [row[0] for row in con.execute('PRAGMA integrity_check') if row[0] != 'ok']
        problems += [f'foreign key: {row}' for row in con.execute('PRAGMA foreign_key_check')]
    finally:
        con.close()
    return problems


def file_digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def image_digest(data, size):
    """SHA-256 of an image holding data, then zeros up to size."""
    h = hashlib.sha256(data)
    h.update(bytes(size - len(data)))
    return h.hexdigest()


# ------------------------------------------------------- the storm's model
#
# Each actor owns its objects (names start with its prefix), so at most one
# change of its objects is in flight at a time. The model maps object paths
# to records; a create in flight goes in under the path NEW, resolved from
# the reply or, after a kill, from what the restarted daemon shows.

NEW = '@new'


def view_of(model):
    """The properties a client should read, derived fields included."""
    view = {}
    for path, r in model.items():
        if r['kind'] == 'vm':
            nics = sorted((p for p, n in model.items() if n['kind'] == 'nic' and n['VM'] == path),
                          key=lambda p: model[p].get('index', 0))
            view[path] = ('vm', r['Name'], r['CPUs'], r['Memory'], r['Description'],
                          tuple(r['Disks']), tuple(sorted(nics)))
        elif r['kind'] == 'disk':
            owner = [p for p, v in model.items() if v['kind'] == 'vm' and path in v['Disks']]
            view[path] = ('disk', r['Name'], r['Size'], r['Description'], r['Bus'],
                          owner[0] if owner else '/')
        elif r['kind'] == 'nic':
            view[path] = ('nic', r['VM'], r['Model'], r['MAC'], r['Switch'])
        else:
            view[path] = ('switch', r['Name'], r['Description'])
    return view


def resolve(value, new_path):
    """value with every NEW (a key or a value) replaced by new_path."""
    if value == NEW:
        return new_path
    if isinstance(value, dict):
        return {resolve(k, new_path): resolve(v, new_path) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, new_path) for v in value]
    return value


class Op:
    """One call and the model it leads to when it succeeds."""

    def __init__(self, what, path, iface, method, args, after, fd=None):
        self.what, self.path, self.iface, self.method = what, path, iface, method
        self.args, self.after, self.fd = args, after, fd


class Actor:
    """A client making one change at a time to objects of its own."""

    def __init__(self, index, client, rng, files_dir):
        self.prefix = f'a{index}-'
        self.client = client
        self.rng = rng
        self.files_dir = files_dir
        self.model = {}
        self.serial = 0
        self.pending = None      # the Op in flight
        self.in_flight = None    # the Op in flight when the daemon was killed
        self.running = False
        self.acked = 0
        self.failures = []

    def name(self, kind):
        self.serial += 1
        return f'{self.prefix}{kind}{self.serial}'

    def paths(self, kind):
        return [p for p, r in self.model.items() if r['kind'] == kind]

    def free_disks(self):
        used = {d for r in self.model.values() if r['kind'] == 'vm' for d in r['Disks']}
        return [p for p in self.paths('disk') if p not in used]

    # ---- the changes

    def choose(self):
        rng, m = self.rng, self.model
        vms, disks, switches, nics = (self.paths('vm'), self.paths('disk'), self.paths('switch'),
                                      self.paths('nic'))
        free = self.free_disks()
        used_switches = {r['Switch'] for r in m.values() if r['kind'] == 'nic'}
        choices = [('create_vm', 3 if len(vms) < 5 else 0),
                   ('update_vm', 3 if vms else 0),
                   ('rename_vm', 1 if vms else 0),
                   ('delete_vm', 2 if len(vms) > 2 else 0),
                   ('add_nic', 2 if any(len([n for n in nics if m[n]['VM'] == v]) < 3
                                        for v in vms) else 0),
                   ('update_nic', 2 if nics else 0),
                   ('remove_nic', 1 if len(nics) > 2 else 0),
                   ('create_disk', 3 if len(disks) < 6 else 0),
                   ('import_disk', 1 if len(disks) < 8 else 0),
                   ('clone_disk', 1 if disks and len(disks) < 8 else 0),
                   ('update_disk', 2 if disks else 0),
                   ('rename_disk', 1 if disks else 0),
                   ('resize_disk', 1 if disks else 0),
                   ('delete_disk', 2 if len(free) > 2 else 0),
                   ('create_switch', 1 if len(switches) < 2 else 0),
                   ('update_switch', 1 if switches else 0),
                   ('rename_switch', 1 if switches else 0),
                   ('delete_switch', 1 if set(switches) - used_switches else 0)]
        names = [c for c, w in choices if w]
        weights = [w for c, w in choices if w]
        return getattr(self, 'op_' + rng.choices(names, weights)[0])()

    def op_create_vm(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        name = self.name('vm')
        cfg = {'CPUs': rng.randint(1, 4), 'Memory': rng.choice((64, 128, 256)) * MiB,
               'Description': f'made as {name}'}
        free = self.free_disks()
        disks = rng.sample(free, min(len(free), rng.randint(0, 2)))
        if disks:
            cfg['Disks'] = disks
        after[NEW] = dict(kind='vm', Name=name, CPUs=cfg['CPUs'], Memory=cfg['Memory'],
                          Description=cfg['Description'], Disks=disks)
        return Op(f'CreateVM {name}', ROOT_PATH, MANAGER, 'CreateVM', (name, config(VM, cfg)),
                  after)

    def op_update_vm(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        path = rng.choice(self.paths('vm'))
        r = after[path]
        changes = {}
        if rng.random() < 0.6:
            changes['CPUs'] = rng.randint(1, 8)
        if rng.random() < 0.5:
            changes['Memory'] = rng.choice((64, 128, 256, 512)) * MiB
        if rng.random() < 0.5:
            changes['Description'] = f'update {self.rng.randrange(10 ** 6)}'
        if rng.random() < 0.4 or not changes:
            keep = [d for d in r['Disks'] if rng.random() < 0.7]
            free = self.free_disks()
            changes['Disks'] = keep + rng.sample(free, min(len(free), rng.randint(0, 1)))
        r.update(changes)
        return Op(f'Update {r["Name"]} {sorted(changes)}', path, VM, 'Update',
                  (config(VM, changes),), after)

    def op_rename_vm(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('vm'))
        old, after[path]['Name'] = after[path]['Name'], self.name('vm')
        return Op(f'Rename {old} {after[path]["Name"]}', path, VM, 'Rename',
                  (after[path]['Name'],), after)

    def op_delete_vm(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('vm'))
        delete_disks = self.rng.random() < 0.5
        vm = after.pop(path)
        for p in [p for p, r in after.items() if r['kind'] == 'nic' and r['VM'] == path]:
            del after[p]
        if delete_disks:
            for d in vm['Disks']:
                del after[d]
        return Op(f'Delete {vm["Name"]} DeleteDisks={delete_disks}', path, VM, 'Delete',
                  (config(VM, {'DeleteDisks': delete_disks}),), after)

    def op_add_nic(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        vms = [v for v in self.paths('vm')
               if len([n for n in self.paths('nic') if self.model[n]['VM'] == v]) < 3]
        vm = rng.choice(vms)
        mac = '02:%02x:%02x:%02x:%02x:%02x' % tuple(rng.randrange(256) for _ in range(5))
        switch = rng.choice(self.paths('switch') + ['/'])
        cfg = {'Model': rng.choice(('virtio-net', 'e1000')), 'MAC': mac, 'Switch': switch}
        after[NEW] = dict(kind='nic', VM=vm, Model=cfg['Model'], MAC=mac, Switch=switch)
        return Op(f'AddNIC to {self.model[vm]["Name"]}', vm, VM, 'AddNIC', (config(NIC, cfg),),
                  after)

    def op_update_nic(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        path = rng.choice(self.paths('nic'))
        changes = {'Model': rng.choice(('virtio-net', 'e1000'))}
        if rng.random() < 0.5:
            changes['Switch'] = rng.choice(self.paths('switch') + ['/'])
        after[path].update(changes)
        return Op(f'Update NIC {path}', path, NIC, 'Update', (config(NIC, changes),), after)

    def op_remove_nic(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('nic'))
        del after[path]
        return Op(f'Remove NIC {path}', path, NIC, 'Remove', (), after)

    @staticmethod
    def new_disk(name, size, description='', bus='virtio-blk', data=None):
        """data: the SHA-256 of the imported data (kept in the files
        directory under that name), or None: zeros."""
        return dict(kind='disk', Name=name, Size=size, Description=description, Bus=bus,
                    data=data)

    def op_create_disk(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        name = self.name('disk')
        size = rng.randint(1, 128) * 2 * KiB
        cfg = {'Size': size, 'Description': f'made as {name}',
               'Bus': rng.choice(('virtio-blk', 'nvme', 'ahci-hd'))}
        after[NEW] = self.new_disk(name, size, cfg['Description'], cfg['Bus'])
        return Op(f'CreateDisk {name}', ROOT_PATH, MANAGER, 'CreateDisk', (name, config(DISK, cfg)),
                  after)

    def op_import_disk(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        name = self.name('disk')
        data = rng.randbytes(rng.randint(1, 96 * KiB))
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.files_dir, digest)
        with open(path, 'wb') as f:
            f.write(data)
        fd = os.open(path, os.O_RDONLY)
        after[NEW] = self.new_disk(name, (len(data) + 511) // 512 * 512, data=digest)
        return Op(f'ImportDisk {name} ({len(data)} bytes)', ROOT_PATH, MANAGER, 'ImportDisk',
                  (name, dbus.types.UnixFd(fd), empty_options()), after, fd=fd)

    def op_clone_disk(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        source = rng.choice(self.paths('disk'))
        name = self.name('disk')
        after[NEW] = dict(after[source], Name=name)
        return Op(f'Clone {self.model[source]["Name"]} as {name}', source, DISK, 'Clone',
                  (name, empty_options()), after)

    def op_update_disk(self):
        rng, after = self.rng, copy.deepcopy(self.model)
        path = rng.choice(self.paths('disk'))
        changes = {'Description': f'update {rng.randrange(10 ** 6)}'}
        if rng.random() < 0.5:
            changes['Bus'] = rng.choice(('virtio-blk', 'nvme', 'ahci-hd'))
        after[path].update(changes)
        return Op(f'Update {after[path]["Name"]}', path, DISK, 'Update', (config(DISK, changes),),
                  after)

    def op_rename_disk(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('disk'))
        after[path]['Name'] = self.name('disk')
        return Op(f'Rename disk {path}', path, DISK, 'Rename', (after[path]['Name'],), after)

    def op_resize_disk(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('disk'))
        after[path]['Size'] += self.rng.randint(1, 64) * 512
        return Op(f'Resize {after[path]["Name"]}', path, DISK, 'Resize',
                  (dbus.UInt64(after[path]['Size']), empty_options()), after)

    def op_delete_disk(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.free_disks())
        name = after.pop(path)['Name']
        return Op(f'Delete {name}', path, DISK, 'Delete', (), after)

    def op_create_switch(self):
        after = copy.deepcopy(self.model)
        name = self.name('sw')
        after[NEW] = dict(kind='switch', Name=name, Description=f'made as {name}')
        return Op(f'CreateSwitch {name}', ROOT_PATH, MANAGER, 'CreateSwitch',
                  (name, config(SWITCH, {'Description': after[NEW]['Description']})), after)

    def op_update_switch(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('switch'))
        after[path]['Description'] = f'update {self.rng.randrange(10 ** 6)}'
        return Op(f'Update {after[path]["Name"]}', path, SWITCH, 'Update',
                  (config(SWITCH, {'Description': after[path]['Description']}),), after)

    def op_rename_switch(self):
        after = copy.deepcopy(self.model)
        path = self.rng.choice(self.paths('switch'))
        after[path]['Name'] = self.name('sw')
        return Op(f'Rename switch {path}', path, SWITCH, 'Rename', (after[path]['Name'],), after)

    def op_delete_switch(self):
        after = copy.deepcopy(self.model)
        used = {r['Switch'] for r in self.model.values() if r['kind'] == 'nic'}
        path = self.rng.choice(sorted(set(self.paths('switch')) - used))
        name = after.pop(path)['Name']
        return Op(f'Delete {name}', path, SWITCH, 'Delete', (), after)

    # ---- calls (in the worker process)

    def run(self):
        """Makes changes until the daemon is gone (or refuses one)."""
        self.running = True
        self.acked = 0
        self.in_flight = None
        self.failures = []
        self.next()
        ctx = GLib.MainContext.default()
        while self.running or self.pending is not None:
            ctx.iteration(True)

    def next(self):
        if not self.running:
            return
        op = self.pending = self.choose()
        self.client.bus.call_async(
            BUS_NAME, op.path, op.iface, op.method, in_signature(op.iface, op.method), op.args,
            lambda *reply: self.done(op, reply), lambda e: self.failed(op, e),
            timeout=CALL_TIMEOUT)
        if op.fd is not None:
            os.close(op.fd)   # the message holds its own copy

    def done(self, op, reply):
        self.pending = None
        self.acked += 1
        self.model = resolve(op.after, str(reply[0])) if NEW in op.after else op.after
        self.next()

    def failed(self, op, e):
        self.pending = None
        self.running = False
        if e.get_dbus_name() in DAEMON_GONE:
            self.in_flight = op   # settled after the restart
        else:
            # The daemon was up: every change the storm makes is valid.
            self.failures.append(f'{op.what}: {e.get_dbus_name()}: {e.get_dbus_message()}')

    def report(self):
        return {'model': self.model, 'serial': self.serial, 'acked': self.acked,
                'failures': self.failures,
                'in_flight': self.in_flight and {'what': self.in_flight.what,
                                                 'after': self.in_flight.after}}


# What a call in flight gets when the daemon is killed, or one made after.
DAEMON_GONE = {'org.freedesktop.DBus.Error.NoReply', 'org.freedesktop.DBus.Error.ServiceUnknown',
               'org.freedesktop.DBus.Error.NameHasNoOwner',
               'org.freedesktop.DBus.Error.Disconnected'}


def storm_worker(address, index, files_dir, seed):
    """A storm client in a process of its own (real concurrency against the
    daemon): for each line on stdin (the actor's model and name serial) it
    makes changes until the daemon is gone, then writes a report line."""
    actor = Actor(index, Client(address), random.Random(seed), files_dir)
    for line in sys.stdin:
        state = json.loads(line)
        actor.model, actor.serial = state['model'], state['serial']
        actor.run()
        sys.stdout.write(json.dumps(actor.report()) + '\n')
        sys.stdout.flush()


class Worker:
    """The test's end of a storm_worker process."""

    def __init__(self, h, index, seed):
        self.prefix = f'a{index}-'
        self.model, self.serial, self.acked = {}, 0, 0
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--storm-worker', h.address, str(index),
             h.path('files'), str(seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def start(self):
        self.proc.stdin.write(json.dumps({'model': self.model, 'serial': self.serial}) + '\n')
        self.proc.stdin.flush()

    def wait_report(self, timeout=CALL_TIMEOUT):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ''
        if not line:
            raise AssertionError(f'the storm client {self.prefix} did not report')
        r = json.loads(line)
        self.model, self.serial = r['model'], r['serial']
        self.acked += r['acked']
        return r

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def actual_view(prefix, objects):
    """An actor's objects as the daemon shows them, in view_of's form."""
    mine = {}
    vm_paths = {p for p, ifs in objects.items()
                if VM in ifs and ifs[VM]['Name'].startswith(prefix)}
    for path, ifs in objects.items():
        if VM in ifs and path in vm_paths:
            p = ifs[VM]
            mine[path] = ('vm', p['Name'], p['CPUs'], p['Memory'], p['Description'],
                          tuple(p['Disks']), tuple(sorted(p['NICs'])))
        elif DISK in ifs and ifs[DISK]['Name'].startswith(prefix):
            p = ifs[DISK]
            mine[path] = ('disk', p['Name'], p['Size'], p['Description'], p['Bus'],
                          p['AttachedTo'])
        elif NIC in ifs and ifs[NIC]['VM'] in vm_paths:
            p = ifs[NIC]
            mine[path] = ('nic', p['VM'], p['Model'], p['MAC'], p['Switch'])
        elif SWITCH in ifs and ifs[SWITCH]['Name'].startswith(prefix):
            p = ifs[SWITCH]
            mine[path] = ('switch', p['Name'], p['Description'])
    return mine


def settle(test, worker, report, objects):
    """Checks the daemon's objects against a worker's model: what was
    acknowledged is there; a change in flight at the kill is there wholly
    or not at all. Returns None, 'applied' or 'lost'; the worker's model
    becomes what the daemon shows."""
    got = actual_view(worker.prefix, objects)
    before = view_of(worker.model)
    op = report['in_flight']
    if op is None:
        test.assertEqual(got, before,
                         f'{worker.prefix}: the acknowledged state differs after the restart')
        return None
    if got == before:
        return 'lost'
    after = op['after']
    if NEW in after:
        new = sorted(set(got) - set(before))
        test.assertEqual(len(new), 1, f'{worker.prefix}: "{op["what"]}" was in flight at the '
                         f'kill; the daemon now shows {new} as new objects:\n'
                         f'before: {before}\ngot: {got}')
        after = resolve(after, new[0])
    test.assertEqual(got, view_of(after),
                     f'{worker.prefix}: "{op["what"]}" was in flight at the kill: the daemon '
                     'shows neither the state before it nor the state after it')
    worker.model = after
    return 'applied'


class KillStormTest(CirrinaTestCase):
    """SIGKILL at random points of a storm of changes, many rounds."""

    def setUp(self):
        super().setUp()
        self.h = self.start_harness()
        self.c = self.h.client()

    def check_database(self, when):
        problems = integrity_problems(self.h.db_path)
        self.assertEqual(problems, [], f'the database is damaged {when}')

    def check_files(self, workers, objects):
        """Every disk has its image with its contents; nothing else is in
        the disk directory; every switch has its bridge, no other is left."""
        expected = {}
        for w in workers:
            for path, r in w.model.items():
                if r['kind'] != 'disk':
                    continue
                image = objects[path][DISK]['Path']
                self.assertEqual(os.path.dirname(image), self.h.disk_dir)
                expected[os.path.basename(image)] = r
        self.assertEqual(sorted(os.listdir(self.h.disk_dir)), sorted(expected),
                         'the disk directory must hold exactly the images of the disks')
        for file_name, r in expected.items():
            image = os.path.join(self.h.disk_dir, file_name)
            data = b''
            if r['data']:
                with open(self.h.path('files', r['data']), 'rb') as f:
                    data = f.read()
            self.assertEqual(os.path.getsize(image), r['Size'], f'the image of {r["Name"]}')
            self.assertEqual(file_digest(image), image_digest(data, r['Size']),
                             f'the contents of the disk {r["Name"]}')
        bridges = {name for name, link in self.h.netns.links().items()
                   if link.get('linkinfo', {}).get('info_kind') == 'bridge'}
        interfaces = {ifs[SWITCH]['Interface'] for ifs in objects.values() if SWITCH in ifs}
        self.assertEqual(bridges, interfaces, 'the bridges in the daemon\'s network namespace '
                         'must be exactly those of the switches')

    def test_sigkill_storm(self):
        seed = int(os.environ.get('CIRRINA_FAULT_SEED', random.randrange(2 ** 32)))
        print(f'\nSIGKILL storm: seed {seed} (CIRRINA_FAULT_SEED={seed} repeats the choices), '
              f'{STORM_ROUNDS} rounds, {STORM_CLIENTS} clients', file=sys.stderr)
        rng = random.Random(seed)
        workers = [Worker(self.h, i, rng.randrange(2 ** 32)) for i in range(STORM_CLIENTS)]
        for w in workers:
            self.addCleanup(w.close)
        outcomes = {'applied': 0, 'lost': 0}
        kill_points, restarts = [], []
        started = time.monotonic()
        for n in range(STORM_ROUNDS):
            delay = rng.uniform(0, STORM_MAX_DELAY)
            acked_before = sum(w.acked for w in workers)
            for w in workers:
                w.start()
            time.sleep(delay)
            self.assertTrue(self.h.daemon_alive(), f'round {n}: cirrinad died during the storm')
            os.kill(self.h.daemon.pid, signal.SIGKILL)
            reports = [w.wait_report() for w in workers]
            for r in reports:
                self.assertEqual(r['failures'], [], f'round {n}: a valid change was refused')
            self.assertEqual(self.h.stop_daemon(signal.SIGKILL), -signal.SIGKILL)
            self.check_database(f'after the kill of round {n}')
            kill_points.append(delay)
            in_flight = [r['in_flight']['what'] for r in reports if r['in_flight']]
            print(f'round {n:3d}: killed after {delay * 1000:5.1f} ms, '
                  f'{sum(w.acked for w in workers) - acked_before:3d} changes acknowledged, '
                  f'in flight: {"; ".join(in_flight) or "-"}', file=sys.stderr)

            t = time.monotonic()
            self.h.start_daemon()
            restarts.append(time.monotonic() - t)
            objects = self.c.managed_objects()
            for w, r in zip(workers, reports):
                outcome = settle(self, w, r, objects)
                if outcome:
                    outcomes[outcome] += 1
            self.check_files(workers, objects)
            self.check_database(f'after the restart of round {n}')

        seconds = time.monotonic() - started
        acked = sum(w.acked for w in workers)
        log = self.h.log_text()
        print(f'SIGKILL storm: at the restarts the daemon removed '
              f'{log.count("its switch was being made")} bridges of switches being made, '
              f'{log.count("that did not finish")} partial images and moved '
              f'{log.count("into place")} images into place', file=sys.stderr)
        print(f'SIGKILL storm: {STORM_ROUNDS} rounds in {seconds:.1f} s, kill points '
              f'{min(kill_points) * 1000:.1f} to {max(kill_points) * 1000:.1f} ms after the start, '
              f'{acked} changes acknowledged and kept ({acked / sum(kill_points):.0f}/s during '
              f'the storms); in flight at a kill: {outcomes["applied"]} applied wholly, '
              f'{outcomes["lost"]} not at all; {sum(len(w.model) for w in workers)} objects '
              f'at the end; a restart took {sum(restarts) / len(restarts) * 1000:.0f} ms on '
              f'average (at most {max(restarts) * 1000:.0f} ms)', file=sys.stderr)
        self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0,
                         'cirrinad did not exit cleanly after the storm (leaks under ASan?)')


# ------------------------------------------------------------ full disk

class SmallDiskHarness(Harness):
    """A Harness whose state and disk directories lie on a tmpfs of size
    bytes, mounted in a mount namespace held by a process of the test's
    (so the daemon finds it again after a restart); the test reaches the
    files through /proc/HOLDER/root (see inside())."""

    def __init__(self, label, size):
        super().__init__(label)
        self.size = size
        self.holder = None

    def _write_config(self):
        small = self.path('small')
        os.mkdir(small)
        script = (f"mount -t tmpfs -o size={self.size},mode=0755 cirrina-small '{small}' && "
                  f"mkdir '{small}/state' '{small}/disks' && "
                  f"mount --bind '{small}/state' '{self.state_dir}' && "
                  f"mount --bind '{small}/disks' '{self.disk_dir}' && "
                  "echo ready && exec sleep infinity")
        self.holder = subprocess.Popen(UNSHARE_MOUNT() + ['sh', '-c', script],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       start_new_session=True)
        if self.holder.stdout.readline().strip() != b'ready':
            raise HarnessError('could not mount a tmpfs in a mount namespace of its own')
        # --root and --wd: entering a mount namespace resets the root to the
        # namespace's own; in a chroot (a fresh-root CI run) that would leave
        # the chroot, so take the holder's root and directory with it.
        self.daemon_prefix = [shutil.which('nsenter'), f'--target={self.holder.pid}', '--mount',
                              '--root', '--wd', '--'] + self.daemon_prefix
        super()._write_config()

    def inside(self, path):
        """path as the daemon sees it, reached from the test's namespace."""
        return f'/proc/{self.holder.pid}/root{path}'

    def integrity_problems(self):
        """integrity_problems() of a copy of the stopped daemon's database
        (SQLite resolves /proc/PID/root as the symbolic link it looks like,
        to the test's own namespace)."""
        copy_dir = tempfile.mkdtemp(prefix='cirrina-db-', dir=self.path('files'))
        for suffix in ('', '-wal'):
            if os.path.exists(self.inside(self.db_path + suffix)):
                shutil.copy(self.inside(self.db_path + suffix),
                            os.path.join(copy_dir, 'cirrina.db' + suffix))
        return integrity_problems(os.path.join(copy_dir, 'cirrina.db'), copy=True)

    def free_bytes(self):
        st = os.statvfs(self.inside(self.state_dir))
        return st.f_bavail * st.f_frsize

    def cleanup(self):
        super().cleanup()
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()
            self.holder.stdout.close()
            self.holder = None


FULL = ('no space', 'full')   # what a full file system's errors must say


class FullDiskTest(CirrinaTestCase):
    """The state and disk directories on a small file system, filled up."""

    SIZE = 6 * MiB

    def setUp(self):
        super().setUp()
        for tool in ('unshare', 'nsenter', 'mount'):
            if not shutil.which(tool):
                raise unittest.SkipTest(f'{tool} is not installed')
        self.h = SmallDiskHarness(self.id(), self.SIZE)
        self.addCleanup(self.h.cleanup)
        self._harnesses.append(self.h)
        self.h.start()
        self.c = self.h.client()

    def import_disk(self, name, size):
        path = self.h.path('files', f'data-{size}')
        if not os.path.exists(path):
            with open(path, 'wb') as f:
                f.write(random.Random(size).randbytes(size))
        fd = os.open(path, os.O_RDONLY)
        try:
            return str(self.c.call(ROOT_PATH, MANAGER, 'ImportDisk', name,
                                   dbus.types.UnixFd(fd), empty_options(), timeout=CALL_TIMEOUT))
        finally:
            os.close(fd)

    def disk_files(self):
        return sorted(os.listdir(self.h.inside(self.h.disk_dir)))

    def assertFullError(self, fn, *args, what, **kwargs):
        e = self.assertDBusError(E_FAILED, fn, *args, mentions=FULL, what=what, **kwargs)
        self.assertTrue(self.h.daemon_alive(), f'cirrinad died after {what} on a full disk')
        return e

    def test_full_disk(self):
        # What a user had before the disk filled up.
        sw = self.c.create_switch('lan')
        vm = self.c.create_vm('kept', CPUs=2, Description='made before')
        self.c.add_nic(vm, Switch=sw, MAC='02:00:00:00:00:01')
        kept_disk = self.import_disk('kept-disk', 100 * KiB)
        self.c.update(vm, VM, Disks=[kept_disk])
        before = self.c.managed_objects()

        # Imports fill the file system; the one that no longer fits fails
        # clearly and leaves nothing.
        imported = []
        message = None
        for size in (MiB, 64 * KiB, 4 * KiB):
            while len(imported) < 100:
                files = self.disk_files()
                try:
                    imported.append(self.import_disk(f'fill{len(imported)}', size))
                except dbus.exceptions.DBusException as e:
                    message = e.get_dbus_message()
                    self.assertEqual(e.get_dbus_name(), E_FAILED, message)
                    self.assertTrue(any(m in message.lower() for m in FULL),
                                    f'an import on a full disk: "{message}" does not say so')
                    self.assertEqual(self.disk_files(), files, 'a failed import left a file')
                    break
        free_after_imports = self.h.free_bytes()
        print(f'\nFull disk: {self.SIZE // MiB} MiB tmpfs; {len(imported)} imports fit, then '
              f'"{message}" with {free_after_imports // KiB} KiB free', file=sys.stderr)

        # VMs fill what is left, until SQLite cannot write.
        vms = []
        error = None
        while len(vms) < 2000:
            try:
                vms.append(self.c.create_vm(f'fill{len(vms)}', Description='x' * 1000))
            except dbus.exceptions.DBusException as e:
                error = e
                break
        self.assertIsNotNone(error, f'{len(vms)} VMs fit on a full disk')
        print(f'Full disk: {len(vms)} more VMs fit, then {error.get_dbus_name()}: '
              f'"{error.get_dbus_message()}"', file=sys.stderr)
        self.assertEqual(error.get_dbus_name(), E_FAILED, error.get_dbus_message())
        self.assertTrue(any(m in error.get_dbus_message().lower() for m in FULL),
                        f'CreateVM on a full disk: "{error.get_dbus_message()}" does not say so')
        self.assertTrue(self.h.daemon_alive())

        # Everything acknowledged is still there, as it was.
        now = self.c.managed_objects()
        for path, ifs in before.items():
            self.assertEqual(now.get(path), ifs, f'{path} changed while the disk filled up')
        for path in imported + vms:
            self.assertIn(path, now, f'{path} was acknowledged but is gone')
        self.assertFullError(self.c.create_vm, 'one-more', what='CreateVM')
        self.assertFullError(self.c.create_disk, 'one-more', MiB, what='CreateDisk')
        self.assertFullError(self.c.update, vm, VM, Description='y' * 1000, what='VM.Update')
        self.assertEqual(self.c.get(vm, VM, 'Description'), 'made before',
                         'a refused Update changed the VM')

        # Killed and started again on the full disk: nothing lost or damaged.
        full = self.c.managed_objects()
        self.assertEqual(self.h.kill_daemon(), -signal.SIGKILL)
        self.assertEqual(self.h.integrity_problems(), [], 'after a SIGKILL on a full disk')
        self.h.start_daemon()
        self.assertEqual(self.c.managed_objects(), full, 'after a restart on a full disk')

        # Deleting disks (which needs room in the database too) frees the
        # space; then everything works again.
        for path in imported:
            self.c.delete(path, DISK)
        self.assertGreater(self.h.free_bytes(), free_after_imports + MiB)
        print(f'Full disk: {len(imported)} disks deleted, {self.h.free_bytes() // KiB} KiB free',
              file=sys.stderr)
        self.c.update(vm, VM, Description='changed after')
        extra = self.c.create_vm('after', CPUs=3)
        self.import_disk('after-disk', 200 * KiB)
        self.assertEqual(self.c.get(extra, VM, 'CPUs'), 3)

        # A clean exit, and the same state after a restart.
        expected = self.c.managed_objects()
        self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0,
                         'cirrinad did not exit cleanly (leaks under ASan?)')
        self.assertEqual(self.h.integrity_problems(), [])
        self.h.start_daemon()
        self.assertEqual(self.c.managed_objects(), expected, 'the state after a restart')


# ------------------------------------------------------- client disconnect

# A caller that makes one call and leaves before the answer: it sends the
# call (with a pipe of its own, or an fd it inherited), writes what it was
# asked to into its pipe, says "ready" and waits to be killed.
_LEAVER = r'''
import json, os, sys
from gi.repository import Gio, GLib
spec = json.loads(sys.argv[1])
flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
         Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
bus = Gio.DBusConnection.new_for_address_sync(os.environ["DBUS_SYSTEM_BUS_ADDRESS"], flags,
                                              None, None)
fds, w = None, None
if spec.get("pipe") is not None:
    r, w = os.pipe()
    fds = Gio.UnixFDList.new_from_array([r])
elif spec.get("fd") is not None:
    fds = Gio.UnixFDList.new_from_array([spec["fd"]])
bus.call_with_unix_fd_list(spec["dest"], spec["path"], spec["iface"], spec["method"],
                           GLib.Variant.parse(None, spec["args"], None, None), None,
                           Gio.DBusCallFlags.NO_AUTO_START, 600000, fds, None, None, None)
bus.flush_sync(None)
if w is not None:
    chunk = bytes(range(256)) * 4096
    left = spec["pipe"]
    while left > 0:
        left -= os.write(w, chunk[:left])
print("ready", flush=True)
sys.stdin.read()
'''

# bhyve that ignores SIGTERM (the ACPI power button): Stop has to wait.
_STUBBORN_BHYVE = """#!/bin/sh
trap '' TERM
echo "bhyve $*" >>"${CIRRINA_FAKE_BHYVE_DIR:?}/calls.log"
while :; do sleep 0.1; done
"""


class PowerLossTest(CirrinaTestCase):
    """A power cut cannot be made here; what makes a change survive one can
    be watched: the daemon syncs SQLite's write-ahead log to disk before it
    answers, so every acknowledged change is on the disk, not only in the
    kernel's page cache (synchronous=NORMAL would sync only at checkpoints,
    losing the last changes to a power cut)."""

    def test_change_synced_before_the_reply(self):
        if not shutil.which('strace'):
            self.skipTest('strace is not installed')
        h = self.start_harness()
        c = h.client()
        vm = c.create_vm('durable')
        trace = subprocess.Popen(['strace', '-y', '-e', 'trace=fsync,fdatasync', '-p',
                                  str(h.daemon.pid)],
                                 stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, bufsize=0)

        def next_line(timeout):
            """strace's next line, or '' if none comes within timeout."""
            ready, _, _ = select.select([trace.stderr], [], [], timeout)
            return trace.stderr.readline().decode() if ready else ''

        try:
            # strace says so once it is attached (to the main thread, which
            # runs every commit).
            self.assertIn('attached', next_line(30), 'strace did not attach')
            syncs = []
            for n in range(3):
                c.update(vm, VM, Description=f'change {n}')
                # The change is acknowledged: its sync must be traced already
                # (the wait only covers strace's own writing).
                line = next_line(5)
                self.assertRegex(line, r'^(fsync|fdatasync)\(\d+<[^>]*cirrina\.db-wal>\)',
                                 f'change {n} was acknowledged without a sync of the WAL')
                syncs.append(line.strip())
        finally:
            trace.terminate()
            trace.wait(timeout=30)
            trace.stderr.close()
        print(f'\nsynced before each reply: {syncs}', file=sys.stderr)
        self.assertEqual(c.get(vm, VM, 'Description'), 'change 2')
        self.assertEqual(h.stop_daemon(signal.SIGTERM), 0)


class DisconnectTest(CirrinaTestCase):
    """Callers that leave in the middle of a call that waits: the daemon
    stays responsive, nothing is left stuck, and under ASan nothing leaks
    (a clean exit at the end)."""

    def setUp(self):
        super().setUp()
        stub_dir = tempfile.mkdtemp(prefix='cirrina-stub-')
        self.addCleanup(shutil.rmtree, stub_dir, True)
        with open(os.path.join(stub_dir, 'bhyve'), 'w') as f:
            f.write(_STUBBORN_BHYVE)
        os.chmod(os.path.join(stub_dir, 'bhyve'), 0o755)
        fakes = os.path.join(source_root(), 'tests', 'data', 'fake-bhyve')
        self.h = PolkitHarness(self.id(), fake_bhyve=True, env={
            'PATH': f'{stub_dir}:{fakes}:' + os.environ.get('PATH', '/usr/bin:/bin')})
        self.addCleanup(self.h.cleanup)
        self._harnesses.append(self.h)
        self.h.start()
        self.c = self.h.client()

    def tearDown(self):
        if self.h.daemon_alive():
            self.assertEqual(self.h.stop_daemon(signal.SIGTERM), 0,
                             'cirrinad did not exit cleanly after SIGTERM (leaks under ASan?)')
        super().tearDown()

    def leave_during(self, path, iface, method, args, pipe=None, fd=None):
        """Starts a caller that makes the call (args in GVariant text) and
        waits; returns it once the call is sent (and its pipe written)."""
        spec = {'dest': BUS_NAME, 'path': path, 'iface': iface, 'method': method, 'args': args,
                'pipe': pipe, 'fd': fd}
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.h.address)
        caller = subprocess.Popen([sys.executable, '-c', _LEAVER, json.dumps(spec)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                  pass_fds=[fd] if fd is not None else [])
        self.addCleanup(lambda: caller.poll() is None and caller.kill())
        self.addCleanup(caller.wait)
        self.assertEqual(caller.stdout.readline().strip(), b'ready', 'the caller did not start')
        return caller

    def leave(self, caller):
        caller.kill()
        caller.wait()
        caller.stdin.close()
        caller.stdout.close()

    def jobs(self):
        return self.c.objects_with(JOB)

    def disk_files(self):
        return sorted(os.listdir(self.h.disk_dir))

    def assertResponsive(self):
        self.assertTrue(self.h.daemon_alive(), 'cirrinad died')
        self.c.create_vm(f'probe{time.monotonic_ns()}')

    def test_stop_caller_leaves(self):
        """Stop(60) on a guest that ignores the power button waits; its
        caller leaves: the VM can still be killed, started, killed."""
        vm = self.c.create_vm('stubborn')
        self.c.call(vm, VM, 'Start', timeout=CALL_TIMEOUT)
        caller = self.leave_during(vm, VM, 'Stop', '(uint32 60,)')
        self.assertTrue(wait_until(lambda: self.c.get(vm, VM, 'State') == 'stopping'),
                        'Stop did not start stopping the VM')
        self.leave(caller)
        self.assertResponsive()
        self.assertEqual(self.c.get(vm, VM, 'State'), 'stopping')
        self.c.call(vm, VM, 'Kill', timeout=CALL_TIMEOUT)
        self.assertEqual(self.c.get(vm, VM, 'State'), 'stopped')
        self.c.call(vm, VM, 'Start', timeout=CALL_TIMEOUT)
        self.assertEqual(self.c.get(vm, VM, 'State'), 'running')
        self.c.call(vm, VM, 'Kill', timeout=CALL_TIMEOUT)

    def check_import_left_nothing(self, name):
        self.assertTrue(wait_until(lambda: not self.jobs(), timeout=CALL_TIMEOUT),
                        f'the import job is still there: {self.jobs()}')
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'Disk', name)
        self.assertEqual(self.disk_files(), [], 'the import left a file')
        self.assertResponsive()
        # The name is free again.
        self.c.create_disk(name, MiB)

    def test_import_caller_and_writer_leave(self):
        """ImportDisk from the caller's own pipe (no Size); the caller dies
        half-way: the job ends, nothing is kept."""
        caller = self.leave_during(ROOT_PATH, MANAGER, 'ImportDisk',
                                   "('half', handle 0, @a{sv} {})", pipe=3 * MiB)
        self.assertTrue(wait_until(lambda: self.jobs(), timeout=CALL_TIMEOUT))
        self.leave(caller)
        self.check_import_left_nothing('half')

    def test_import_with_size_caller_and_writer_leave(self):
        """The same with Size announced: the data falls short, nothing is
        kept."""
        caller = self.leave_during(ROOT_PATH, MANAGER, 'ImportDisk',
                                   f"('short', handle 0, {{'Size': <uint64 {8 * MiB}>}})",
                                   pipe=3 * MiB)
        self.assertTrue(wait_until(lambda: self.jobs(), timeout=CALL_TIMEOUT))
        self.leave(caller)
        self.check_import_left_nothing('short')

    def test_import_caller_leaves_writer_stays(self):
        """The caller leaves while someone else keeps the pipe open and
        idle (no Size: the import could never be kept): the job is
        cancelled and its partial file removed without waiting for the
        writer."""
        r, w = os.pipe()
        self.addCleanup(os.close, w)
        os.write(w, b'x' * 4096)
        caller = self.leave_during(ROOT_PATH, MANAGER, 'ImportDisk',
                                   "('orphan', handle 0, @a{sv} {})", fd=r)
        os.close(r)
        self.assertTrue(wait_until(lambda: self.jobs(), timeout=CALL_TIMEOUT))
        self.leave(caller)
        self.check_import_left_nothing('orphan')

    def test_import_with_size_caller_leaves_writer_finishes(self):
        """With Size announced the caller need not wait for the answer
        (documented): it leaves, the writer delivers all the data, and the
        disk is kept with it."""
        r, w = os.pipe()
        caller = self.leave_during(ROOT_PATH, MANAGER, 'ImportDisk',
                                   f"('kept', handle 0, {{'Size': <uint64 {MiB}>}})", fd=r)
        os.close(r)
        self.assertTrue(wait_until(lambda: self.jobs(), timeout=CALL_TIMEOUT))
        self.leave(caller)
        data = random.Random(1).randbytes(MiB)
        with os.fdopen(w, 'wb') as f:
            f.write(data)
        self.assertTrue(wait_until(lambda: not self.jobs(), timeout=CALL_TIMEOUT))
        disk = self.c.lookup('Disk', 'kept')
        with open(self.c.get(disk, DISK, 'Path'), 'rb') as f:
            self.assertEqual(f.read(), data, 'the kept disk holds the data')
        self.assertResponsive()

    def test_polkit_check_caller_leaves(self):
        """A call waiting for polkit (an authentication dialog left open)
        whose caller leaves: the daemon answers others, and exits cleanly
        with the check still pending."""
        agent = self.h.agent('hold')
        self.addCleanup(agent.close)
        go = self.h.path('go')
        caller = self.h.start_as(ALICE, [(ROOT_PATH, MANAGER, 'CreateVM',
                                          "('by-alice', @a{sv} {})")],
                                 interactive=True, wait_for=go)
        self.addCleanup(lambda: caller.running() and caller.proc.kill())
        agent.register_for(caller)
        open(go, 'w').close()
        self.assertTrue(wait_until(lambda: agent.requests, timeout=CALL_TIMEOUT),
                        'polkit did not ask the agent')
        caller.proc.kill()
        caller.proc.communicate()
        self.assertResponsive()
        self.assertDBusError(E_NOT_FOUND, self.c.lookup, 'VM', 'by-alice')


if __name__ == '__main__':
    if len(sys.argv) == 6 and sys.argv[1] == '--storm-worker':
        storm_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        unittest.main()
