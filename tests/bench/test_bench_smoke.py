#!/usr/bin/python3
"""Smoke test of the benches (meson suite 'bench'): `run-all --tiny` runs
api-scale (10 VMs, 2 clients x 10 calls, no libvirt) and import-throughput
(1 MiB) against this build, and each must print its tables with a number in
every cell Cirrina fills. No timing is checked: that is what the benches
report, not what a test can assert on a shared machine."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NUMBER = r'[0-9][0-9,]*(\.[0-9]+)?'


def rows(text):
    """Every Markdown table row of text, as a list of its cells."""
    return [[c.strip() for c in line.strip().strip('|').split('|')]
            for line in text.splitlines() if line.startswith('|')]


def table_row(text, label, second=None):
    """The cells after the first of the row whose first cell starts with
    label (and whose second cell is second, if given)."""
    for cells in rows(text):
        if cells[0].startswith(label) and (second is None or cells[1] == second):
            return cells[1:]
    raise AssertionError(f'no table row {label!r} in:\n{text}')


class BenchSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest('needs root: the benches own names on a private system bus')
        if not shutil.which('dbus-daemon'):
            raise unittest.SkipTest('dbus-daemon is not installed')
        cls.results = tempfile.mkdtemp(prefix='cirrina-bench-smoke-')
        env = dict(os.environ)
        p = subprocess.run([sys.executable, os.path.join(HERE, 'run-all'), '--tiny',
                            '--results', cls.results], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=170)
        cls.output = p.stdout.decode(errors='replace')
        cls.code = p.returncode

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'results', None):
            shutil.rmtree(cls.results, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.results, name), encoding='utf-8') as f:
            return f.read()

    def assertNumbers(self, cells, what):
        for c in cells:
            self.assertRegex(c, f'^{NUMBER}', f'{what}: not a number in {cells}')

    def test_run_all_succeeds(self):
        self.assertEqual(self.code, 0, self.output)

    def test_api_scale_tables(self):
        text = self.read('api-scale.md')
        for heading in ('## 1. Method round trip', '## 2. 10 VMs', '## 3. Resident memory',
                        '## 4. 2 concurrent clients × 10 mixed calls'):
            self.assertIn(heading, text)
        # Round trips: calls, p50, p99, mean of each row.
        for label in ('no-op sd-bus service', 'cirrinad: `Manager.GetVM', 'cirrinad: `Prop'):
            self.assertNumbers(table_row(text, label)[1:5], label)
        # Each phase: Cirrina's calls, wall, calls/s; libvirt not measured.
        for label in ('create', 'update', 'delete'):
            row = table_row(text, label)
            self.assertNumbers(row[0:3], label)
            self.assertEqual(row[4], '—', 'libvirt is not measured in the smoke run')
        self.assertEqual(table_row(text, 'create')[0], '30')   # 10 x 3 calls
        gmo = table_row(text, 'Cirrina `GetManagedObjects`')
        self.assertNumbers(gmo[0:4], 'GetManagedObjects')
        self.assertEqual(gmo[1], '30', 'objects listed with 10 VMs, 10 disks, 10 NICs')
        for state in ('0 VMs', '10 VMs', 'all deleted'):
            row = table_row(text, 'cirrinad', state)
            self.assertNumbers(row[1:2], f'RSS with {state}')
        for label in ('no-op service', 'cirrinad'):
            row = table_row(text, label, 'C, sd-bus threads')
            self.assertNumbers(row[1:8], label)
            self.assertEqual(row[1], '20', f'{label}: 2 clients x 10 calls')
            self.assertEqual(row[2], '0', f'{label}: no call may fail')
        self.assertIn('libvirt | not measured', text)

    def test_import_throughput_table(self):
        text = self.read('import-throughput.md')
        row = table_row(text, 'MiB/s (median)')
        self.assertEqual(len(row), 7, row)
        self.assertNumbers(row, 'MiB/s')


if __name__ == '__main__':
    unittest.main()
