"""What the benches in tests/bench share: the machine and version context
of a report, statistics, Markdown tables, commands and their versions, the
QEMU processes a bench starts or leaves behind, and the frame of a bench's
main() (root, signals, cleanups, the report on stdout and in --output).

A bench imports it after `sys.dont_write_bytecode = True` (no __pycache__
in the source tree); importing it also puts tests/integration on sys.path,
for the harness.
"""

import datetime
import math
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
if os.path.join(ROOT, 'tests', 'integration') not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))

MiB = 1 << 20
QEMU = '/usr/bin/qemu-system-x86_64'
UEFI_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
UEFI_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
ACCEL_NAMES = {'tcg': 'TCG', 'kvm': 'KVM'}


class BenchError(Exception):
    """The bench cannot go on: logged on one line, exit status 1."""


def logger(name):
    """A function printing '[name] message' lines on stderr."""
    def log(msg):
        sys.stderr.write(f'[{name}] {msg}\n')
        sys.stderr.flush()
    return log


class Cleanups:
    """Callables run in reverse order, each guarded, exactly once."""

    def __init__(self, log):
        self._log = log
        self._items = []

    def add(self, what, fn, *args):
        self._items.append((what, fn, args))

    def run(self):
        while self._items:
            what, fn, args = self._items.pop()
            try:
                fn(*args)
            except BaseException as e:   # keep cleaning up whatever happens
                self._log(f'cleanup "{what}" failed: {e!r}')


# ------------------------------------------------------------- a bench's main

def temp_dir(cleanups):
    """A temporary directory, removed at the end (cleanups) with the QEMU
    processes still running from it."""
    tmp = tempfile.mkdtemp(prefix='cirrina-bench-')

    def remove_tmp():
        kill_leftovers(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    cleanups.add('the temporary directory', remove_tmp)
    return tmp


def need_root(log, why):
    """False (and why it runs as root, logged) unless this is root."""
    if os.geteuid() == 0:
        return True
    log(f'runs as root: {why}')
    return False


def use_cirrinad(path):
    """The daemon the harness starts: path (--cirrinad) if given, else
    $CIRRINAD or the harness's default."""
    if path:
        os.environ['CIRRINAD'] = os.path.abspath(path)
    os.environ.setdefault('CIRRINA_SOURCE_ROOT', ROOT)


def need_qemu(log):
    """False (and what is missing, logged) unless QEMU and OVMF are here."""
    for path in (QEMU, UEFI_CODE, UEFI_VARS):
        if not os.path.exists(path):
            log(f'{path} is missing (qemu-system-x86 and ovmf are needed)')
            return False
    return True


def guarded(log, body, cleanup=None):
    """body()'s exit status; a BenchError is logged (1), ^C is 130, and
    SIGTERM or SIGHUP end it like ^C would, so that cleanup (if given) and
    every finally clause still run."""
    def on_signal(sig, frame):
        raise SystemExit(128 + sig)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        return body()
    except BenchError as e:
        log(f'error: {e}')
        return 1
    except KeyboardInterrupt:
        log('interrupted: cleaning up')
        return 130
    finally:
        if cleanup is not None:
            cleanup()


def write_report(report, output, log):
    """The Markdown report on stdout, and into output (--output) if given."""
    sys.stdout.write(report)
    if output:
        with open(output, 'w', encoding='utf-8') as f:
            f.write(report)
        log(f'wrote {output}')


# ------------------------------------------------------------------ commands

def run(argv, timeout=60, check=True, env=None, shell=False):
    """A command's stdout; with check, a BenchError (with its stderr) if it
    fails. argv is a string with shell."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env, shell=shell)
    if check and p.returncode != 0:
        shown = argv if shell else ' '.join(argv)
        raise BenchError(f'{shown} failed ({p.returncode}): '
                         f'{p.stderr.decode(errors="replace").strip()}')
    return p.stdout.decode(errors='replace')


def first_line(argv, timeout=20):
    """The first line a command prints (a --version), or '?'."""
    try:
        lines = run(argv, timeout=timeout, check=False).strip().splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return '?'
    return lines[0].strip() if lines else '?'


def package_version(package):
    """The installed Debian package's version, or None."""
    if not shutil.which('dpkg-query'):
        return None
    try:
        return run(['dpkg-query', '-W', '-f=${Version}', package], check=False).strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_describe():
    """`git describe` of the source tree, or '' (a fresh CI root has no git)."""
    try:
        return run(['git', '-C', ROOT, 'describe', '--always', '--dirty'], check=False).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ''


def cirrinad_version(binary):
    """`cirrinad --version` and the source tree's git describe."""
    version = first_line([binary, '--version'])
    desc = git_describe()
    return version + (f' (git {desc})' if desc else '')


def find_sbin(name):
    """A program on PATH or in an sbin directory (root's PATH may lack them)."""
    path = shutil.which(name)
    if path:
        return path
    for d in ('/usr/sbin', '/sbin', '/usr/local/sbin'):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def apt_install(packages, what, log):
    """apt-get install of packages (after an apt-get update if the first
    try fails); a BenchError naming what if it still fails."""
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    cmd = ['apt-get', 'install', '-y', '-q', '--no-install-recommends'] + packages
    log('installing ' + ' '.join(packages) + ' with apt-get')
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=1200)
    if p.returncode != 0:
        log('apt-get install failed: running apt-get update and trying again')
        subprocess.run(['apt-get', 'update', '-q'], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=600)
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=1200)
    if p.returncode != 0:
        raise BenchError(f'apt-get install of {what} failed:\n'
                         + p.stdout.decode(errors='replace')[-2000:])


def shell_quote(argv):
    return ' '.join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------ the context

def utc_now():
    """The date line of a report."""
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


def _first_field(path, prefix, value, default):
    """value(line) of the first line of path starting with prefix."""
    try:
        with open(path) as f:
            return next((value(line) for line in f if line.startswith(prefix)), default)
    except OSError:
        return default


def machine_facts():
    """CPUs, CPU model, memory, kernel, OS and Debian version."""
    model = _first_field('/proc/cpuinfo', 'model name', lambda l: l.split(':', 1)[1].strip(), '?')
    mem_kib = _first_field('/proc/meminfo', 'MemTotal:', lambda l: int(l.split()[1]), 0)
    os_name = _first_field('/etc/os-release', 'PRETTY_NAME=',
                           lambda l: l.split('=', 1)[1].strip().strip('"'), '?')
    try:
        with open('/etc/debian_version') as f:
            debian = f.read().strip()
    except OSError:
        debian = '?'
    return {'nproc': os.cpu_count(), 'model': model, 'memory': f'{mem_kib / (1 << 20):.1f} GiB',
            'kernel': platform.release(), 'os': os_name, 'debian': debian}


def context(bench, **fields):
    """A report's context: fields, and the date, the machine, the load
    before the run, the command line and an empty list of notes. The
    bench sets 'load_after' when it is done."""
    ctx = {'notes': [], 'date': utc_now(), 'machine': machine_facts(),
           'load_before': loadavg(),
           'command': ' '.join([f'tests/bench/{bench}'] + sys.argv[1:])}
    ctx.update(fields)
    return ctx


def machine_rows(ctx, debian=False):
    """The date, machine and system rows of a report's context table."""
    m = ctx['machine']
    system = m['os'] + (f' (Debian {m["debian"]})' if debian else '') + f', Linux {m["kernel"]}'
    return [('date', ctx['date']),
            ('machine', f'{m["nproc"]} CPUs ({m["model"]}), {m["memory"]} memory'),
            ('system', system)]


def load_row(ctx):
    return ('load average', f'{ctx["load_before"]} before, {ctx["load_after"]} after')


def qemu_versions():
    """The context fields qemu_rows() shows but the accelerator and cirrinad."""
    return {'qemu_version': first_line([QEMU, '--version']), 'ovmf_version': ovmf_version()}


def qemu_rows(ctx):
    """The rows of a bench that boots QEMU: the accelerator, QEMU's and
    OVMF's versions, and cirrinad's."""
    return [('accelerator', ctx['accel_text']), ('QEMU', ctx['qemu_version']),
            ('OVMF', ctx['ovmf_version']), ('cirrinad', ctx['cirrinad_version'])]


# ------------------------------------------------------------- statistics

def nearest_rank(sorted_samples, fraction):
    """The nearest-rank percentile (fraction 0.9: p90) of sorted samples."""
    s = sorted_samples
    return s[max(0, math.ceil(fraction * len(s)) - 1)]


def summary(samples):
    """n, min, median, p90 (nearest rank) and max of samples; None if none."""
    s = sorted(samples)
    if not s:
        return None
    return {'n': len(s), 'min': s[0], 'median': statistics.median(s),
            'p90': nearest_rank(s, 0.9), 'max': s[-1]}


# ---------------------------------------------------------- Markdown tables

def md_row(cells):
    return '| ' + ' | '.join(cells) + ' |'


def md_head(labels, aligns):
    """A table's header row and rule; aligns: '---' (left) or '---:'
    (right) per column. An empty label is one space: '| | a |'."""
    return ['|' + ''.join(f' {c} |' if c else ' |' for c in labels), md_row(aligns)]


def facts_table(rows):
    """A two-column table without a header: (name, value) rows."""
    return md_head(['', ''], ['---', '---']) + [md_row(r) for r in rows]


def md_code(text, lang=''):
    return ['```' + lang, text, '```']


def details_end(ctx):
    """The last lines of a report's <details>: the command that made it."""
    return ['', 'Run as: `' + ctx['command'] + '`', '', '</details>']


# ----------------------------------------------------------- QEMU processes

def qemu_processes(token):
    """[(pid, argv)] of live qemu-system processes whose command line holds token."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                argv = [a.decode(errors='replace') for a in f.read().split(b'\0') if a]
            with open(f'/proc/{entry}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if argv and 'qemu-system' in os.path.basename(argv[0]) and state != 'Z' \
                and any(token in a for a in argv):
            found.append((int(entry), argv))
    return found


def expect_running(token, what):
    """(pid, argv) of the live QEMU process whose command line holds token;
    a BenchError if there is none."""
    procs = qemu_processes(token)
    if not procs:
        raise BenchError(f'{what}: no QEMU process is running after the start call returned')
    return procs[0]


def kill_leftovers(directory):
    """QEMU processes left from a temporary directory (VMs outlive daemons):
    found by their command line, killed by pid."""
    if not directory:
        return
    for pid, _ in qemu_processes(directory):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def plan_accel(plan):
    """The accelerator a launch plan asks for (its accel=), or '?'."""
    return next((a.split('accel=')[1].split(',')[0] for a in plan if 'accel=' in a), '?')


def ovmf_version():
    ovmf = package_version('ovmf')
    return (f'Debian {ovmf}, ' if ovmf else '') + os.path.basename(UEFI_CODE)


class PlanQemu:
    """cirrinad's own launch plan for a VM (VM.GetLaunchPlan), run by the
    bench in a directory of its own: the reference a bench measures
    cirrinad against, with nothing shared with cirrinad's VM."""

    def __init__(self, plan, cirrina_tmp, vm_uuid, directory):
        self.dir = directory
        os.makedirs(self.dir)
        shutil.copyfile(UEFI_VARS, os.path.join(self.dir, 'uefi-vars.fd'))
        run_dir = os.path.join(cirrina_tmp, 'run', 'vm', vm_uuid)
        state_dir = os.path.join(cirrina_tmp, 'state', 'vm', vm_uuid)
        # Its own directory and UUID: nothing shared with cirrinad's VM.
        self.argv = [a.replace(run_dir, self.dir).replace(state_dir, self.dir)
                     .replace(vm_uuid, str(uuid.uuid4())) for a in plan]
        self.argv[0] = shutil.which(self.argv[0]) or self.argv[0]
        self.log = open(os.path.join(self.dir, 'qemu.log'), 'ab')
        self.proc = None

    def spawn(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)

    def connect(self, path, timeout, failure):
        """A connection to QEMU's unix socket at path, polled every
        millisecond; a BenchError (failure, and QEMU's log) if QEMU exits
        or timeout seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f'{failure}:\n' + self.log_tail())
                time.sleep(0.001)

    def log_tail(self):
        with open(os.path.join(self.dir, 'qemu.log'), 'rb') as f:
            return f.read().decode(errors='replace')[-2000:]

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ------------------------------------------------------- cirrinad and a VM

class HarnessVM:
    """cirrinad on a private system bus (the integration harness) with one
    VM booting iso_path from its CD-ROM, the daemon's defaults otherwise.
    Its teardown, registered in cleanups, kills the VM, stops the daemon
    and kills any QEMU process still running from the daemon's directory
    (VMs outlive daemons)."""

    def __init__(self, harness_name, accel, iso_path, memory, cpus, cleanups, log):
        self.harness_name = harness_name
        self.accel = accel
        self.iso_path = iso_path
        self.memory = memory
        self.cpus = cpus
        self.cleanups = cleanups
        self.log = log
        self.h = None
        self.c = None
        self.vm = None
        self.uuid = None

    def setup(self, iso_name, plan_kind):
        """Starts the daemon and creates the VM: its path (vm), properties
        (props), UUID and launch plan (plan, VM.GetLaunchPlan(plan_kind))."""
        from harness import Harness, VM
        self.VM = VM
        self.h = Harness(self.harness_name, extra_config=f'[qemu]\nAccelerator={self.accel}\n')
        self.cleanups.add('cirrinad and its bus', self.teardown)
        try:
            self.h.start()
        except Exception as e:
            if type(e).__name__ == 'HarnessError':
                raise BenchError(str(e)) from e
            raise
        self.c = self.h.client()
        iso = self.c.register_iso(iso_name, self.iso_path)
        self.vm = self.c.create_vm('bench', ISOs=[iso], Memory=self.memory, CPUs=self.cpus)
        self.props = self.c.get_all(self.vm, VM)
        self.uuid = self.props['UUID']
        argv, _files = self.c.call(self.vm, VM, 'GetLaunchPlan', plan_kind)
        self.plan = [str(a) for a in argv]

    def state(self):
        return self.c.get(self.vm, self.VM, 'State')

    def running_qemu(self):
        """(pid, argv) of the VM's QEMU process once Start returned; a
        BenchError if the VM is not running or its QEMU is not."""
        state = self.state()
        if state != 'running':
            raise BenchError(f'Cirrina: Start returned but the VM is {state}:\n'
                             + self.h.log_text()[-2000:])
        return expect_running(self.uuid, 'Cirrina')

    def teardown(self):
        if self.c is not None and self.vm is not None:
            try:
                if self.state() != 'stopped':
                    self.c.call(self.vm, self.VM, 'Kill', timeout=30)
            except Exception as e:
                self.log(f'Cirrina: final Kill failed: {e}')
        tmp = self.h.tmp if self.h else None
        try:
            if self.h is not None:
                self.h.cleanup()
        finally:
            kill_leftovers(tmp)


def optional_devices(props):
    """The devices a VM has that the daemon's defaults may leave out, as a
    report names them, from the VM's properties."""
    devices = []
    if props.get('Display') == 'vnc':
        devices.append('VGA with VNC on a unix socket')
    if props.get('Tablet'):
        devices.append('an xHCI USB tablet')
    if props.get('Sound'):
        devices.append('HDA sound')
    if props.get('RNG'):
        devices.append('virtio-rng')
    return devices
