"""A load killed midway (SIGKILL, no clean-up) and then re-run ends exactly like one clean load."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from load_helpers import business, slice_checksums

from ingestion.load import load_date

DAY = date(2026, 9, 20)  # a day of its own, outside the simulated fortnight
SOURCE_DAY = "2026-10-07"
SOURCES = ("orders_amazon", "orders_douyin", "orders_tmall", "wms_snapshot", "carrier_bills")

# Loads DAY from the landing root in argv[1] and, on the first progress event named in argv[2], says so
# and hangs, so the test can kill it at that exact point.
LOADER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from pathlib import Path
    from ingestion.load import load_date
    from warehouse.client import get_client

    def progress(event, subject):
        if event == sys.argv[2]:
            print("PAUSED", event, subject, flush=True)
            time.sleep(600)

    load_date(get_client(), Path(sys.argv[1]), date.fromisoformat(sys.argv[3]), progress=progress)
""")


def _landing(root: Path, *, variant: bool) -> Path:
    """A copy of one simulated day under DAY; the variant drops a file and halves another."""
    biz = business()
    for source in SOURCES:
        target = root / source / DAY.isoformat()
        target.mkdir(parents=True)
        for path in sorted((biz.landing / source / SOURCE_DAY).iterdir()):
            shutil.copy(path, target / path.name)
    if variant:
        next(iter(sorted((root / "wms_snapshot" / DAY.isoformat()).iterdir()))).unlink()
        amazon = next(iter((root / "orders_amazon" / DAY.isoformat()).iterdir()))
        lines = amazon.read_bytes().splitlines(keepends=True)
        amazon.write_bytes(b"".join(lines[: len(lines) // 2]))
    return root


@pytest.fixture(scope="module")
def landings(tmp_path_factory):
    return (_landing(tmp_path_factory.mktemp("original"), variant=False),
            _landing(tmp_path_factory.mktemp("variant"), variant=True))


def _killed_load(landing: Path, at_event: str) -> None:
    process = subprocess.Popen([sys.executable, "-c", LOADER, str(landing), at_event, DAY.isoformat()],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        line = process.stdout.readline()
        assert line.startswith("PAUSED"), (line, process.stderr.read() if process.poll() is not None else "")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("at_event", ["staged", "swapped"])
def test_killed_load_then_rerun_equals_a_clean_load(ch_client, landings, at_event):
    original, variant = landings
    load_date(ch_client, variant, DAY)
    clean_variant = slice_checksums(ch_client, DAY)
    load_date(ch_client, original, DAY)
    clean_original = slice_checksums(ch_client, DAY)
    assert clean_variant != clean_original
    assert clean_variant["wms_snapshot"][0] < clean_original["wms_snapshot"][0]

    _killed_load(variant, at_event)
    interrupted = slice_checksums(ch_client, DAY)
    if at_event == "staged":  # killed before any swap: nothing in raw changed
        assert interrupted == clean_original
    else:  # killed after swapping one table of the first source: no duplicates, only old or new slices
        assert interrupted["order_lines"][0] <= clean_original["order_lines"][0]
    reports = load_date(ch_client, variant, DAY)
    assert all(r.balanced for r in reports)
    assert slice_checksums(ch_client, DAY) == clean_variant
