"""The package stands alone: a wheel installed into a fresh environment, run from another
directory, validates and serves its bundled data with its own templates and scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, serve

PACKAGE = REPO / "locator"


def test_every_package_folder_is_listed_for_the_wheel():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A wheel built from this tree (offline), installed without dependencies into a fresh
    virtual environment that borrows the test environment's dependencies, not its locator."""
    work = tmp_path_factory.mktemp("package")
    src = work / "src"  # a copy, so that the build leaves nothing in the work tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "locator", "templates", "geodata"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(
            REPO / name,
            src / name,
            **(
                {"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}
            ),
        )
    wheels = work / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        cwd=work,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    (wheel,) = wheels.glob("locator-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "locator/templates/index.html",
        "locator/geodata/love_stations.geojson",
        "locator/geodata/SOURCES.md",
        "locator/geodata/national/towns.csv",
        "locator/geodata/national/town-seats.csv",
        "locator/web/static/locate.js",
    ):
        assert needed in names, needed
    fresh = work / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(fresh)], check=True)
    site = Path(
        subprocess.run(
            [
                str(fresh / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies, without the editable locator of the test environment (a path
    # appended by a .pth file is not itself scanned for .pth files)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
    )
    return fresh


def outside_env() -> dict[str, str]:
    """The environment without what would put this work tree before the wheel: a
    PYTHONPATH naming it (a developer's shell) or a data directory."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOCATOR_DATA_DIR")}


def test_installed_locator_is_the_wheel(installed, tmp_path):
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import locator.values.paths as p; print(p.PACKAGE_DIR, p.DEFAULT_DATA_DIR)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=outside_env(),
    ).stdout
    package_dir, data_dir = where.split()
    assert package_dir.startswith(str(installed)) and data_dir.startswith(package_dir)


def test_installed_validate_runs_from_anywhere(installed, tmp_path):
    proc = subprocess.run(
        [str(installed / "bin" / "locator"), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=outside_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "love_stations       133 features  ok       sample" in proc.stdout
    assert str(installed) in proc.stdout  # the bundled data inside the installed package


def test_installed_serve_renders_pages_with_their_assets(installed, tmp_path):
    with serve(command=[str(installed / "bin" / "locator")], cwd=tmp_path) as base:
        for path, needle in (
            ("/", "示例数据"),
            ("/map", "leaflet"),
            ("/f/ls-0001", "爱心驿站"),
            ("/static/app/locate.js", "geolocation"),
            ("/ogc/collections/towns/items?limit=1", "FeatureCollection"),
        ):
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                assert resp.status == 200, path
                assert needle in resp.read().decode(), path
