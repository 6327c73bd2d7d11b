"""The layering of DESIGN.md, checked on the import statements of every module."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "locator"
# module (dotted, below locator) -> layer rank; a module may import only ranks <= its own
RANKS = {
    "errors": 0, "models": 0, "geo": 0,
    "store": 1,
    "catalog": 2, "nearest": 2, "hours": 2, "coverage": 2, "routes": 2, "importer": 2,
    "lookup": 2,
    "build": 2,
    "maps": 3,
    "web": 4,
    "cli": 5,
}
DOMAIN = [m for m, r in RANKS.items() if r <= 2]


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


def test_every_domain_module_is_checked():
    seen = {top for top, _ in modules()}
    assert {"errors", "models", "geo", "store", "build", "web", "cli"} <= seen
    assert set(DOMAIN) >= {"store", "catalog"}
