"""Shared fixtures: the app over the bundled data, and tiny data dirs in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from locator.web import DEFAULT_DATA_DIR, create_app

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_FILES = ("city.geojson", "districts.geojson", "towns.geojson", "town_areas.geojson")


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner():
    from click.testing import CliRunner

    return CliRunner()


def facility(fid: str, lon: float, lat: float, **props) -> dict:
    """A valid facility in 蓬江区 白沙街道 unless ``props`` say otherwise."""
    base = {"id": fid, "name": f"测试 {fid}", "district_code": "440703",
            "town_code": "440703002", "source": "test", "opening_hours": "24/7",
            "amenities": ["drinking_water"]}
    base.update(props)
    return {"type": "Feature", "properties": base,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def write_layer(data_dir: Path, layer: str, features: list[dict]) -> Path:
    path = data_dir / f"{layer}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """The real reference layers plus one tiny, valid facility layer."""
    for name in REFERENCE_FILES:
        shutil.copy(DEFAULT_DATA_DIR / name, tmp_path / name)
    write_layer(tmp_path, "love_stations", [
        facility("t-1", 113.0726, 22.5761),
        facility("t-2", 113.0800, 22.5800),
    ])
    return tmp_path
