"""Uploaded XLSX registers: refusing a "zip bomb" next to reading a small workbook, and
the memory of reading a large one, in one run.

Each measurement runs in a fresh process, its peak resident memory its own (VmHWM,
Linux): reading a 3-row register (``read_table``, the baseline), refusing the probe's
workbook that is 0.5 MB packed and 290 MB unpacked, reading a register of N rows
(``read_table``: the sheet streamed read-only), and the same N rows loaded the way the
importer did before (``openpyxl.load_workbook`` building every cell). ``--old-bomb``
also lets that old way inflate the bomb (minutes and gigabytes: off by default).

Run: .venv/bin/python bench/bench_xlsx_limits.py [--rows 50000] [--old-bomb]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import io, json, sys, time
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
from locator.formats.register_columns import header_score
from locator.formats.tables import UnreadableRegister, read_table
import openpyxl
start = time.perf_counter()
outcome = ""
if kind == "old":
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    outcome = f"{sum(1 for _ in wb.active.iter_rows(values_only=True))} rows"
else:
    try:
        outcome = f"{len(read_table(data, 'r.xlsx', header_score).rows)} rows"
    except UnreadableRegister as exc:
        outcome = "refused: " + exc.message[:60]
elapsed = time.perf_counter() - start
# this process's own peak (ru_maxrss would carry the parent's over the exec)
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
peak = int(hwm.split()[1]) / 1024
print(json.dumps({"s": elapsed, "peak_mib": peak, "outcome": outcome}))
"""


def measure(kind: str, path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--old-bomb", action="store_true")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_import import as_xlsx, rows

    from tests.registers import good_rows, inflated_xlsx, write_register

    with tempfile.TemporaryDirectory() as tmp:
        small = write_register(Path(tmp) / "small", "xlsx", good_rows())
        bomb = Path(tmp) / "bomb.xlsx"
        bomb.write_bytes(inflated_xlsx(small.read_bytes(), 290 * 2**20))
        big = Path(tmp) / "big.xlsx"
        big.write_bytes(as_xlsx(rows(a.rows)))
        runs = [
            ("3-row register (baseline)", "new", small),
            ("290 MB bomb, refused", "new", bomb),
            (f"{a.rows:,}-row register, read-only", "new", big),
            (f"{a.rows:,}-row register, full load (before)", "old", big),
        ]
        if a.old_bomb:
            runs.append(("290 MB bomb, full load (before)", "old", bomb))
        base = None
        print(f"{'what':<44} {'packed':>9} {'s':>8} {'x base':>8} {'peak MiB':>9}  outcome")
        for label, kind, path in runs:
            m = measure(kind, path)
            base = base or m["s"]
            print(
                f"{label:<44} {path.stat().st_size / 2**20:>7.2f}MB {m['s']:>8.4f} "
                f"{m['s'] / base:>8.3f} {m['peak_mib']:>9.0f}  {m['outcome']}"
            )


if __name__ == "__main__":
    main()
