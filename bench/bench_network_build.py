"""How long ``locator build-network`` takes on a province-sized extract, and its memory.

Synthesises an extract with ``osmium.SimpleWriter`` (tests/osm_synth.py: a grid of
streets ``--spacing-m`` apart over a box, cut into ways of 10 nodes, classes primary /
secondary / tertiary / residential, some oneway; plus ``--extra-nodes`` untagged nodes
standing for the buildings and other features a real extract holds; every node moved by up
to ``--jitter-m``, seeded, so that the file is as large as real data of that many nodes
rather than a perfect grid's few MB), then, each in its
own process so that each peak memory is its own:

* baseline: a plain osmium pass over the same file: every block decoded and every node
  location put into the same node-location index (``flex_mem``), all in C++, nothing
  handed to Python;
* build: :func:`locator.ingest.osm_network.build_city_network` for the bundled data
  directory's city (Jiangmen), i.e. what ``locator build-network`` does before writing.

Prints file size, nodes and ways written, the network built (nodes, edges per mode, file
size), seconds and peak RSS of each, and the ratio build / baseline.

Run (quick, a region around Jiangmen at 1 km):
    .venv/bin/python bench/bench_network_build.py
Province-sized (Guangdong's box at 300 m, ~5 million street nodes and 20 million others;
about 600,000 walking edges inside Jiangmen and its 5 km margin):
    .venv/bin/python bench/bench_network_build.py --province --spacing-m 300 \
        --extra-nodes 20000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: Guangdong province's bounding box, WGS-84 (west, south, east, north)
PROVINCE_BOX = (109.6, 20.2, 117.3, 25.5)
#: Jiangmen's box grown by about 0.5 degree
REGION_BOX = (111.5, 21.0, 113.8, 23.3)


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_baseline(pbf: str) -> dict:
    import osmium

    started = time.perf_counter()
    index = osmium.index.create_map("flex_mem")
    with osmium.io.Reader(pbf, osmium.osm.NODE | osmium.osm.WAY) as reader:
        osmium.apply(reader, osmium.NodeLocationsForWays(index))
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


def phase_build(pbf: str) -> dict:
    from locator.formats.network import network_to_bytes
    from locator.ingest.osm_network import build_city_network
    from locator.operations.network import MODES
    from locator.values.paths import DEFAULT_DATA_DIR

    started = time.perf_counter()
    report = build_city_network(pbf, DEFAULT_DATA_DIR, allow_partial=True)
    seconds = time.perf_counter() - started
    net = report.network
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "nodes": net.nodes,
        "edges": {m: net.graphs[m].edges for m in MODES},
        "ways_read": report.ways_read,
        "covered": net.info.city_covered,
        "file_mb": len(network_to_bytes(net)) / 2**20,
    }


def _run(phase: str, pbf: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, str(pbf)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=["baseline", "build"], default=None)
    ap.add_argument("pbf", nargs="?", default=None)
    ap.add_argument("--province", action="store_true", help="Guangdong's box (else a region)")
    ap.add_argument("--spacing-m", type=float, default=1000.0)
    ap.add_argument("--extra-nodes", type=int, default=0)
    ap.add_argument(
        "--jitter-m", type=float, default=20.0, help="move nodes up to this far (realistic size)"
    )
    ap.add_argument("--keep", type=Path, default=None, help="write the extract here and keep it")
    args = ap.parse_args()
    if args.phase:
        fn = phase_baseline if args.phase == "baseline" else phase_build
        print(json.dumps(fn(args.pbf)))
        return 0

    from tests.osm_synth import write_grid_pbf

    bbox = PROVINCE_BOX if args.province else REGION_BOX
    with tempfile.TemporaryDirectory() as tmp:
        pbf = args.keep or Path(tmp) / "synthetic.osm.pbf"
        if not pbf.exists():
            started = time.perf_counter()
            wrote = write_grid_pbf(
                pbf, bbox, args.spacing_m, extra_nodes=args.extra_nodes, jitter_m=args.jitter_m
            )
            print(
                f"synthesised {pbf.name}: {wrote['nodes']:,} nodes, {wrote['ways']:,} ways, "
                f"{pbf.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - started:.0f} s"
                f" (box {bbox}, streets {args.spacing_m:.0f} m apart, nodes moved up to "
                f"{args.jitter_m:.0f} m)",
                flush=True,
            )
        base = _run("baseline", pbf)
        print(
            f"baseline (osmium pass + flex_mem index): {base['seconds']:.1f} s, "
            f"peak {base['peak_mb']:,.0f} MiB",
            flush=True,
        )
        build = _run("build", pbf)
        edges = ", ".join(f"{m} {n:,}" for m, n in build["edges"].items())
        print(
            f"build-network (Jiangmen): {build['seconds']:.1f} s, peak {build['peak_mb']:,.0f} "
            f"MiB; {build['ways_read']:,} highway ways read; network {build['nodes']:,} nodes, "
            f"edges {edges}; {build['file_mb']:,.1f} MiB file; city covered "
            f"{build['covered']:.0%}"
        )
        print(
            f"ratio build / baseline: time {build['seconds'] / base['seconds']:.2f}x, "
            f"peak memory {build['peak_mb'] / base['peak_mb']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
