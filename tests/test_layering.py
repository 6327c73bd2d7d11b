"""The layering of DESIGN.md, checked on the import statements of every module."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "locator"
# top-level folder (or module) below locator -> layer rank; code may import only ranks <= its
# own (DESIGN.md, "Architecture")
RANKS = {
    "values": 0,  # models, errors, registry, city profile, geo: pure values and maths
    "operations": 1,  # nearest, hours, coverage, routes ...: pure functions, no I/O
    "formats": 2,  # bytes <-> values
    "stores": 3,  # files | PostGIS behind one narrow store
    "service": 4,  # one facade over any store
    "importer": 5,
    "ingest": 5,
    "maps": 5,
    "web": 6,
    "cli": 7,
}
#: what no folder at or below "formats" may import (no web, no maps, no database driver)
PURE = ("flask", "folium", "werkzeug", "jinja2", "branca", "psycopg", "psycopg_pool")


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = rel.parts
        if parts == ("__init__",):
            continue
        yield parts[0], path


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    pkg_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg_parts[: len(pkg_parts) - node.level + 1])
                mod = ".".join(base + ([node.module] if node.module else []))
                names.add(mod)
                if not node.module:
                    names.update(f"{mod}.{a.name}" for a in node.names)
            else:
                names.add(node.module or "")
    return names


@pytest.mark.parametrize(("top", "path"), list(modules()), ids=lambda v: str(v))
def test_module_imports_respect_layers(top, path):
    assert top in RANKS, f"{top} has no layer in RANKS; add it"
    rank = RANKS[top]
    for name in imported_names(path):
        root = name.split(".")[0]
        if rank <= RANKS["formats"] and root in PURE:
            pytest.fail(f"{path.name} ({top}) imports {name}")
        if root == "folium" and top != "maps":
            pytest.fail(f"{path.name}: only locator.maps may import folium")
        if root == "locator":
            target = name.split(".")[1] if "." in name else None
            if target and target in RANKS and RANKS[target] > rank:
                pytest.fail(f"{path.name} (layer {top}) imports the higher layer {name}")


def test_domain_and_the_nearest_path_load_no_web_map_or_analysis_code():
    """What actually gets imported, not what this file's table says: loading the catalog
    and answering a nearest query brings in neither Flask, folium nor geopandas."""
    code = (
        "import sys, datetime as dt\n"
        "import locator.values.registry, locator.stores.base, locator.stores.files.holder\n"
        "from locator.stores.files.store import load_catalog\n"
        "from locator.operations.nearest import NearestQuery\n"
        "from locator.values.models import Point\n"
        "from locator.values.paths import DEFAULT_DATA_DIR\n"
        "from locator.service import Service\n"
        "cat = Service(load_catalog(DEFAULT_DATA_DIR))\n"
        "now = dt.datetime(2026, 5, 6, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))\n"
        "answer = cat.nearest(NearestQuery(Point(113.08, 22.58), cat.resolve_layers(None)), now)\n"
        "assert len(answer.results) == 5\n"
        "heavy = ('flask', 'werkzeug', 'jinja2', 'folium', 'branca', 'geopandas', 'pandas')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_the_app_factory_loads_no_map_download_importer_or_database_code():
    """What the app factory and a nearest answer import, in a fresh process: the map
    builder (folium, branca, pandas), the route downloads (gpxpy, simplekml), the
    importer's spreadsheets (openpyxl), geopandas, CQL2 and PostgreSQL load on first use,
    not at start-up."""
    code = (
        "import sys\n"
        "from locator.web import create_app\n"
        "app = create_app({'WATCH_DATA': False})\n"
        "client = app.test_client()\n"
        "assert client.get('/api/v1/nearest?lon=113.08&lat=22.58&k=5').status_code == 200\n"
        "assert client.get('/?lon=113.08&lat=22.58').status_code == 200\n"
        "lazy = ('folium', 'branca', 'pandas', 'geopandas', 'gpxpy', 'simplekml', 'openpyxl',\n"
        "        'pygeofilter', 'psycopg', 'psycopg_pool')\n"
        "print(','.join(m for m in lazy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def imported_from(path: Path) -> set[tuple[str, str]]:
    """``(module, name)`` for every ``from module import name`` of a file (relative
    imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = list(pkg_parts[: len(pkg_parts) - node.level + 1]) if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out.update((mod, a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            out.update((a.name, "") for a in node.names)
    return out


def test_views_reach_the_data_only_through_the_read_interface():
    """No view module imports the store, the catalog, the indexes or the live machinery
    (the app factory, which chooses the store, is the one exception)."""
    for path in sorted((PACKAGE / "web").glob("*.py")):
        if path.name == "__init__.py":
            continue
        for mod, name in imported_from(path):
            below = mod.startswith(("locator.stores.files", "locator.stores.postgis")) or (
                mod == "locator.stores" and name in ("files", "postgis")
            )
            assert not below, f"{path.name} imports {name} from {mod}"
