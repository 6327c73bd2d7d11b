"""Look up facilities by layer, bounding box and page (for the layer API and OGC items)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import Facility
from .store import FacilityLayer


@dataclass(frozen=True)
class Page:
    matched: int
    offset: int
    facilities: tuple[Facility, ...]


def layer_page(layer: FacilityLayer, bbox: tuple[float, float, float, float] | None,
               limit: int | None, offset: int = 0) -> Page:
    """Facilities of a layer inside ``bbox`` (WGS-84 degrees, west,south,east,north; a box
    whose west exceeds its east crosses the antimeridian), in file order, paged."""
    positions = np.arange(len(layer.facilities))
    if bbox is not None:
        west, south, east, north = bbox
        in_lat = (layer.lat >= south) & (layer.lat <= north)
        if west <= east:
            in_lon = (layer.lon >= west) & (layer.lon <= east)
        else:
            in_lon = (layer.lon >= west) | (layer.lon <= east)
        positions = positions[in_lat & in_lon]
    end = None if limit is None else offset + limit
    chosen = positions[offset:end]
    return Page(int(positions.size), offset, tuple(layer.facilities[i] for i in chosen))
