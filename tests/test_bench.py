"""The benchmark scripts still run (a smoke run, no timing asserted)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

#: each smoke run's arguments; they all start at once (``runs``) and each test checks its own
SMOKE = {
    "nearest": ["bench_nearest.py", "--quick", "--sizes", "1200"],
    "request": ["bench_request.py", "--n", "50", "--repeats", "1"],
    "coverage": ["bench_coverage.py", "--quick"],
    "ogc": ["bench_ogc.py", "--n", "5", "--repeats", "1"],
    "import": ["bench_import.py", "--sizes", "200", "--repeats", "1"],
    "map": ["bench_map.py", "--n", "3", "--repeats", "1"],
    "reports": ["bench_reports.py", "--duration", "1", "--clients", "2"],
    "network_build": ["bench_network_build.py", "--spacing-m", "3000"],
    "network_nearest": ["bench_network_nearest.py", "--quick"],
    "contention": [
        "bench_contention.py",
        *("--duration", "1", "--planners", "2", "--filters", "0", "--servers", "waitress"),
    ],
}


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess]:
    """Every smoke run, side by side: one core each where there are cores to spare."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(BENCH / script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (script, *args) in SMOKE.items()
    }
    done = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def output(runs, name: str) -> str:
    """The run's standard output, once it has exited 0."""
    run = runs[name]
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_bench_nearest_smoke(runs):
    out = output(runs, "nearest")
    assert re.search(r"single k=1: engine median\s+[\d.]+ µs", out)
    assert re.search(r"single k=5: .*speed-up x[\d.,]+", out)
    assert re.search(r"batch k=1 : engine\s+[\d,]+ q/s \| brute numpy\s+[\d,]+ q/s \| ratio", out)
    assert re.search(
        r"engine k=5 vs bare cKDTree k=5 \(unit vectors\), N = 1,200: engine median\s+[\d.]+ µs"
        r" \| cKDTree median\s+[\d.]+ µs \| ratio x[\d.]+",
        out,
    )


def test_bench_startup_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_startup.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert re.search(
        r"this: median of 1: start-up to the first answer [\d.]+ s; "
        r"VmRSS [\d.]+ MiB after the phone requests, [\d.]+ MiB after the maps and planner",
        out,
    )
    assert "this: heavy libraries loaded by the server: " in out


def test_bench_request_smoke(runs):
    out = output(runs, "request")
    for part in ("trivial view", "nearest view", "parse parameters", "domain call", "serialise"):
        assert re.search(rf"{part}.*\s\d+ µs", out), part
    assert re.search(r"ratio trivial/nearest \(CPU share\) : \d+%", out)


def test_bench_coverage_and_ogc_smoke(runs):
    out = output(runs, "coverage")
    assert re.search(r"250 m:\s+[\d,]+ cells \| cold\s+[\d.]+ s", out)
    assert re.search(r"greedy \+ swaps\s+[\d.]+% ", out)
    ogc = output(runs, "ogc")
    assert re.search(r"CQL2 S_INTERSECTS bbox\s+[\d.]+ ms/request\s+x[\d.]+ of plain", ogc)
    assert re.search(
        r"LIKE '%_%_%_%_%_%_%_%_!' \(#22\)\s+[\d.]+ ms/request\s+x\s*[\d.]+ of trivial", ogc
    )


def test_bench_import_smoke(runs):
    out = output(runs, "import")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["rows", "format", "parse"]
    assert [ln.split()[:2] for ln in lines[1:]] == [["200", "csv"], ["200", "xlsx"]]


def test_bench_map_smoke(runs):
    out = output(runs, "map")
    assert re.search(r"/map HTML\s+[\d.]+ KB\s+gzip\s+[\d.]+ KB", out)
    assert re.search(r"/map\s+[\d.]+ ms/request\s+x[\d.]+ of health", out)


def test_bench_contention_smoke(runs):
    out = output(runs, "contention")
    assert re.search(
        r"waitress\s+idle p50\s+[\d.]+ ms p99\s+[\d.]+ ms \(\d+ req\) \| loaded p50\s+[\d.]+ "
        r"ms p99\s+[\d.]+ ms \(\d+ req\) \| p50 ratio x[\d.]+",
        out,
    )
    assert re.search(r"planner answers (\d+: \d+)", out)


def test_bench_reports_smoke(runs):
    out = output(runs, "reports")
    assert re.search(r"submissions \(2 clients, one process\): [\d,.]+/s, p50 [\d.]+ ms", out)
    assert re.search(r"ratio \(while / alone\): [\d.]+", out)


def test_bench_network_build_smoke(runs):
    out = output(runs, "network_build")
    assert re.search(r"baseline \(osmium pass \+ flex_mem index\): [\d.]+ s, peak [\d,]+ MiB", out)
    assert re.search(r"build-network \(Jiangmen\): [\d.]+ s, peak [\d,]+ MiB", out)
    assert re.search(r"ratio build / baseline: time [\d.]+x, peak memory [\d.]+x", out)


def test_bench_network_nearest_smoke(runs):
    out = output(runs, "network_nearest")
    assert re.search(r"synthetic network: [\d,]+ nodes, walk [\d,]+ edges", out)
    for name in (
        "nearest k=5, e-bike",
        "by layer k=3 \\(phone\\), e-bike",
        "HTTP /api/v1/nearest k=5, e-bike",
    ):
        assert re.search(rf"{name}\s+straight p50\s+[\d.]+ .*network p50\s+[\d.]+ .*x[\d.]+", out)
