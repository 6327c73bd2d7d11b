"""Build many cities with ``build-geodata --city`` and report seat coverage and build time.

For each city (every supported city with ``--all``, else an evenly spaced sample of
``--sample`` cities in code order, always including 成都 510100, 乌鲁木齐 650100, 东莞
441900, 三亚 460200 and 北京 110000) it builds the directory (empty facility layers: the
sample layers are not what is measured) into a temporary folder, then prints one line per
city: towns, seats by source, towns placed by rule, seat coverage, seats outside their
district (must be 0) and build time; then the cities left out and why, the coverage
median and minimum, and the slowest build. A city the build refuses (no boundary for one
of its counties) is listed with the reason.

Run: .venv/bin/python bench/bench_citybuild.py [--sample 30 | --all | --codes a,b]
[--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locator.ingest.citybuild import build_city, load_catalogue  # noqa: E402
from locator.ingest.sources import fetch_national_sources  # noqa: E402
from locator.values.errors import BuildError  # noqa: E402

ALWAYS = ("510100", "650100", "441900", "460200", "110000")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--codes", default="", help="only these city codes (comma-separated)")
    args = ap.parse_args()
    sources = fetch_national_sources()
    catalogue = load_catalogue(sources)
    codes = sorted(catalogue.cities)
    if args.codes:
        codes = [c for c in args.codes.split(",") if c in catalogue.cities]
    elif not args.all:
        step = max(1, len(codes) // max(1, args.sample - len(ALWAYS)))
        picked = set(codes[::step][: args.sample - len(ALWAYS)]) | set(ALWAYS)
        codes = sorted(picked)
    rows, refused = [], {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for code in codes:
            unit = catalogue.cities[code]
            try:
                report = build_city(sources, unit, Path(tmp) / code)
            except BuildError as exc:
                refused[code] = exc.message
                print(f"{code} {unit.name}: refused: {exc.message}", flush=True)
                continue
            rows.append(report.as_dict())
            by = ", ".join(f"{k} {v}" for k, v in sorted(report.seats_by_source.items()))
            print(
                f"{code} {unit.name}: {report.towns} towns; {by}; placed by rule "
                f"{len(report.placed_by_rule)}; coverage {report.seat_coverage:.1%}; "
                f"outside {report.seats_outside_district}; {report.seconds:.1f} s",
                flush=True,
            )
    total = time.perf_counter() - started
    cover = [r["seat_coverage"] for r in rows]
    slowest = max(rows, key=lambda r: r["build_seconds"])
    print(f"\n{len(rows)} cities built, {len(refused)} refused, in {total:.0f} s")
    print(
        f"seat coverage: median {statistics.median(cover):.1%}, min {min(cover):.1%}, "
        f"towns in all {sum(r['towns'] for r in rows)}, placed by rule "
        f"{sum(len(r['placed_by_rule']) for r in rows)}"
    )
    outside = sum(r["seats_outside_district"] for r in rows)
    print(f"seats outside their district, all cities: {outside}")
    print(f"slowest build: {slowest['code']} {slowest['name']} {slowest['build_seconds']:.1f} s")
    print(f"left out (not prefecture-level): {len(catalogue.left_out)} county-level units")
    if args.json:
        args.json.write_text(
            json.dumps({"built": rows, "refused": refused}, ensure_ascii=False, indent=1),
            "utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
