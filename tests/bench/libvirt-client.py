#!/usr/bin/python3
"""The libvirt side of tests/bench/api-scale: the calls bus-client.c makes
to cirrinad, made to libvirtd through the libvirt API (python3-libvirt, one
connection per client, so no process is started per call as `virsh` would).
api-scale runs it as the user of its private libvirtd (qemu:///session).

Prints the same JSON lines as bus-client (samples in ns):

  libvirt-client.py URI roundtrip COUNT
      virConnectGetLibVersion, a call that libvirtd answers from memory.
  libvirt-client.py URI scale COUNT POOL_DIR DOMAIN_XML_FILE
      creates COUNT domains, each with a 1 GiB raw volume in a directory
      pool at POOL_DIR (virStorageVolCreateXML) and the domain
      (virDomainDefineXML of DOMAIN_XML_FILE with @NAME@ and @DISK@
      filled in); lists them (virConnectListAllDomains alone, then with
      each domain's state as `virsh list --all` shows it, then with each
      domain's XML, which is what GetManagedObjects returns: every
      setting); updates each description (virDomainSetMetadata, as `virsh
      desc --config`); undefines each and deletes its volume. After each
      phase but the last it prints "pause" and waits for a line on stdin,
      as bus-client does.
  libvirt-client.py URI mixed CLIENTS CALLS DOMAIN_XML_FILE
      CLIENTS threads, each with its own connection, CALLS calls each in
      bus-client's mix: create = define (no disk), read = lookupByName /
      XMLDesc / state, update = description, delete = undefine.
"""

import json
import sys
import threading
import time

import libvirt

LIST_ROUNDS = 5          # as bus-client.c
GiB = 1 << 30
MIX = ['create', 'get_vm', 'get_all', 'update', 'get_state',
       'create', 'get_all', 'update', 'get_vm', 'delete']
KIND = {'create': 'create', 'update': 'update', 'delete': 'delete'}

# libvirt prints every error it raises on stderr by default; the calls here
# raise, and the bench reports what they raise.
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class Phase:
    def __init__(self, name, calls):
        self.name = name
        self.start = time.perf_counter_ns()
        self.per_item = []
        self.by_call = {c: [] for c in calls}
        self.item = 0

    def timed(self, call, fn, *args):
        t0 = time.perf_counter_ns()
        result = fn(*args)
        took = time.perf_counter_ns() - t0
        self.by_call[call].append(took)
        self.item += took
        return result

    def next_item(self):
        self.per_item.append(self.item)
        self.item = 0

    def end(self, **extra):
        emit(dict({'phase': self.name, 'wall_ns': time.perf_counter_ns() - self.start,
                   'per_item': self.per_item, 'by_call': self.by_call}, **extra))


def roundtrip(conn, count):
    samples = []
    start = time.perf_counter_ns()
    for _ in range(count):
        t0 = time.perf_counter_ns()
        conn.getLibVersion()
        samples.append(time.perf_counter_ns() - t0)
    emit({'phase': 'roundtrip', 'wall_ns': time.perf_counter_ns() - start, 'samples': samples})


def volume_xml(name):
    return (f"<volume><name>{name}</name><capacity unit='bytes'>{GiB}</capacity>"
            "<allocation>0</allocation><target><format type='raw'/></target></volume>")


def pause():
    sys.stdout.write('pause\n')
    sys.stdout.flush()
    sys.stdin.readline()


def scale(conn, count, pool_dir, template):
    pool = conn.storagePoolCreateXML(
        f"<pool type='dir'><name>bench-pool</name><target><path>{pool_dir}</path></target></pool>",
        0)
    doms, vols = [], []

    p = Phase('create', ['StorageVolCreateXML', 'DomainDefineXML'])
    for i in range(count):
        vol = p.timed('StorageVolCreateXML', pool.createXML, volume_xml(f'bench-disk-{i}.img'), 0)
        xml = template.replace('@NAME@', f'bench-vm-{i}').replace('@DISK@', vol.path())
        doms.append(p.timed('DomainDefineXML', conn.defineXML, xml))
        vols.append(vol)
        p.next_item()
    p.end()
    pause()

    p = Phase('list', ['ListAllDomains'])
    for _ in range(LIST_ROUNDS):
        n = len(p.timed('ListAllDomains', conn.listAllDomains, 0))
        p.next_item()
    p.end(objects=n)

    # `virsh list --all`: the list, then each domain's state (one call each).
    p = Phase('list_state', ['ListAllDomains', 'DomainGetState'])
    for _ in range(LIST_ROUNDS):
        for d in p.timed('ListAllDomains', conn.listAllDomains, 0):
            p.timed('DomainGetState', d.state)
        p.next_item()
    p.end(objects=n)

    # Every setting of every domain, as GetManagedObjects gives.
    p = Phase('list_xml', ['ListAllDomains', 'DomainGetXMLDesc'])
    for _ in range(LIST_ROUNDS):
        for d in p.timed('ListAllDomains', conn.listAllDomains, 0):
            p.timed('DomainGetXMLDesc', d.XMLDesc, 0)
        p.next_item()
    p.end(objects=n)
    pause()

    p = Phase('update', ['DomainSetMetadata'])
    for i, d in enumerate(doms):
        p.timed('DomainSetMetadata', d.setMetadata, libvirt.VIR_DOMAIN_METADATA_DESCRIPTION,
                f'updated by the bench, VM {i}', None, None, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        p.next_item()
    p.end()
    pause()

    p = Phase('delete', ['DomainUndefine', 'StorageVolDelete'])
    for d, vol in zip(doms, vols):
        p.timed('DomainUndefine', d.undefineFlags, libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        p.timed('StorageVolDelete', vol.delete, 0)
        p.next_item()
    p.end()
    pool.destroy()


def mixed(uri, clients, calls, template):
    barrier = threading.Barrier(clients + 1)
    results = []
    lock = threading.Lock()

    def client(cid):
        samples = {'read': [], 'create': [], 'update': [], 'delete': []}
        errors = 0
        doms = []
        try:
            conn = libvirt.open(uri)
        except libvirt.libvirtError as e:
            sys.stderr.write(f'libvirt-client: client {cid} cannot connect: {e}\n')
            barrier.wait()
            barrier.wait()
            return
        barrier.wait()
        for i in range(calls):
            op = MIX[i % len(MIX)]
            t0 = time.perf_counter_ns()
            try:
                if op == 'create':
                    name = f'mix-{cid}-{i}'
                    doms.append((name, conn.defineXML(template.replace('@NAME@', name))))
                elif op == 'get_vm':
                    conn.lookupByName(doms[-1][0])
                elif op == 'get_all':
                    doms[-1][1].XMLDesc(0)
                elif op == 'get_state':
                    doms[-1][1].state()
                elif op == 'update':
                    doms[-1][1].setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION,
                                            f'update {i}', None, None,
                                            libvirt.VIR_DOMAIN_AFFECT_CONFIG)
                else:
                    doms.pop(0)[1].undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
            except libvirt.libvirtError as e:
                sys.stderr.write(f'libvirt-client: {op}: {e}\n')
                errors += 1
                continue
            samples[KIND.get(op, 'read')].append(time.perf_counter_ns() - t0)
        barrier.wait()
        for _, d in doms:
            d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        conn.close()
        with lock:
            results.append((samples, errors))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter_ns()
    barrier.wait()
    wall = time.perf_counter_ns() - start
    for t in threads:
        t.join()
    merged = {'read': [], 'create': [], 'update': [], 'delete': []}
    for samples, _ in results:
        for k, v in samples.items():
            merged[k] += v
    errors = sum(e for _, e in results) + (clients - len(results))
    emit({'phase': 'mixed', 'wall_ns': wall, 'samples': merged, 'errors': errors})
    return 1 if errors else 0


def main():
    uri, command, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if command == 'mixed':
        with open(sys.argv[5]) as f:
            return mixed(uri, count, int(sys.argv[4]), f.read())
    conn = libvirt.open(uri)
    try:
        if command == 'roundtrip':
            roundtrip(conn, count)
        elif command == 'scale':
            with open(sys.argv[5]) as f:
                scale(conn, count, sys.argv[4], f.read())
        else:
            sys.stderr.write(f'libvirt-client: unknown command {command}\n')
            return 2
    finally:
        conn.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
