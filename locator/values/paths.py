"""Where the folders shipped with the package are: the bundled ``geodata/`` and the page
``templates/``. Installed from a wheel they lie inside the package (``locator/geodata``,
``locator/templates``: pyproject maps the repository's top-level folders there); in a
source checkout or an editable install they lie beside it, at the repository's top."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # locator/


def bundled(name: str) -> Path:
    """The shipped folder ``name``: inside the package when installed, else beside it."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


DEFAULT_DATA_DIR = bundled("geodata")
TEMPLATE_DIR = bundled("templates")
