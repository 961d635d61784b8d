"""The benches read the store through tests/support/load.py in a process with no Django settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_store_s_key_names_need_no_django_settings():
    """bench/contention.py's snapshot failed with ImproperlyConfigured once the partition tags were
    computed from RESERVATIONS_PARTITIONS: key names come from the partition count the caller gives."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "from tests.support.load import flight_key\n"
        "from reservations.store import _partition_tags, partition_for\n"
        "assert flight_key('F1') == f\"{_partition_tags(128)[partition_for('F1', 128)]}:flights:F1\"\n"
        "print(flight_key('F1', prefix='p:', partitions=8))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("p:{r")
