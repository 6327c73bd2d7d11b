"""The layering of DESIGN.md, checked on the import statements of every module."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "locator"
# module (dotted, below locator) -> layer rank; a module may import only ranks <= its own
RANKS = {
    "errors": 0,
    "models": 0,
    "geo": 0,
    "paths": 0,
    "registry": 0.5,
    "store": 1,
    "nearest": 2,
    "hours": 2,
    "readstore": 2.2,
    "catalog": 2.4,
    "live": 2.6,
    "feature_query": 2,
    "coverage": 2,
    "demand": 2.05,
    "coverage_formats": 2.1,
    "routes": 2,
    "route_formats": 2.1,
    "importer": 2,
    "offline": 2,
    "pg": 2.5,
    "datadir": 2.7,
    "ingest": 2,
    "maps": 3,
    "web": 4,
    "cli": 5,
    "server": 5,
}


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
        if rank <= RANKS["store"] + 1 and root in ("flask", "folium", "werkzeug", "jinja2"):
            pytest.fail(f"{path.name}: the domain imports {name}")
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
        "import locator.registry, locator.store, locator.readstore, locator.live\n"
        "from locator.catalog import load_catalog\n"
        "from locator.nearest import NearestQuery\n"
        "from locator.models import Point\n"
        "from locator.paths import DEFAULT_DATA_DIR\n"
        "cat = load_catalog(DEFAULT_DATA_DIR)\n"
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


#: what a view may take from below the read interface: the holder, to read the catalog
#: once per request (locator/web/context.py)
VIEW_EXCEPTIONS: set[tuple[str, str]] = set()


def test_views_reach_the_data_only_through_the_read_interface():
    """No view module imports the store, the catalog, the indexes or the live machinery
    (the app factory, which chooses the store, is the one exception)."""
    for path in sorted((PACKAGE / "web").glob("*.py")):
        if path.name == "__init__.py":
            continue
        for mod, name in imported_from(path):
            below = mod.startswith(("locator.store", "locator.catalog", "locator.live")) or (
                mod == "locator" and name in ("store", "catalog", "live")
            )
            assert not below or (mod, name) in VIEW_EXCEPTIONS, (
                f"{path.name} imports {name} from {mod}"
            )
