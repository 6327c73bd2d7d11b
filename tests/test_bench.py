"""The benchmark scripts still run (a smoke run, no timing asserted)."""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_bench_nearest_smoke():
    out = subprocess.run([sys.executable, str(BENCH / "bench_nearest.py"), "--quick",
                          "--sizes", "1200"], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert re.search(r"single k=1: engine median\s+[\d.]+ µs", out)
    assert re.search(r"single k=5: .*speed-up x[\d.,]+", out)
    assert re.search(r"batch k=1 : engine\s+[\d,]+ q/s \| brute numpy\s+[\d,]+ q/s \| ratio", out)


def test_bench_request_smoke():
    out = subprocess.run([sys.executable, str(BENCH / "bench_request.py"), "--n", "50",
                          "--repeats", "1"], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    for part in ("trivial view", "nearest view", "parse parameters", "domain call",
                 "serialise"):
        assert re.search(rf"{part}.*\s\d+ µs", out), part
    assert re.search(r"ratio trivial/nearest \(CPU share\) : \d+%", out)
