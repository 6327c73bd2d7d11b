"""The street network file: one uncompressed ``.npz`` of a
:class:`~locator.operations.network.StreetNetwork` (loads without inflating: about 0.1 s
for 500,000 edges). Arrays: ``format`` and ``info`` (UTF-8 bytes: the format name and
the :class:`~locator.operations.network.NetworkInfo` as JSON), ``lon``, ``lat``, ``x``,
``y`` (float64 per node) and per way of travel ``<mode>_indptr`` (int64),
``<mode>_indices`` (int32), ``<mode>_length_m`` and ``<mode>_time_s`` (float32).
"""

from __future__ import annotations

import io
import json
import threading
import zipfile

import numpy as np

from locator.operations.network import (
    MODES,
    NETWORK_FILE,
    ModeGraph,
    NetworkInfo,
    StreetNetwork,
)
from locator.values.errors import DataError

FORMAT = "locator-network/1"


def network_to_bytes(net: StreetNetwork) -> bytes:
    """The network as an uncompressed ``.npz``."""
    arrays: dict[str, np.ndarray] = {
        "format": np.frombuffer(FORMAT.encode(), dtype=np.uint8),
        "info": np.frombuffer(json.dumps(net.info.to_json()).encode(), dtype=np.uint8),
        "lon": net.lon,
        "lat": net.lat,
        "x": net.x,
        "y": net.y,
    }
    for mode, g in net.graphs.items():
        arrays[f"{mode}_indptr"] = g.indptr
        arrays[f"{mode}_indices"] = g.indices
        arrays[f"{mode}_length_m"] = g.length_m
        arrays[f"{mode}_time_s"] = g.time_s
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def network_from_bytes(data: bytes, name: str = NETWORK_FILE) -> StreetNetwork:
    """Read and check a network file; DataError naming ``name`` when it is not one."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {key: z[key] for key in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(name, f"not a street network file ({exc})") from None
    fmt = bytes(arrays.get("format", np.zeros(0, np.uint8))).decode("utf-8", "replace")
    if fmt != FORMAT:
        raise DataError(name, f"not a {FORMAT} street network (format {fmt!r})")
    try:
        raw = json.loads(bytes(arrays["info"]).decode("utf-8"))
        raw["clip"] = tuple(raw["clip"])
        info = NetworkInfo(**raw)
        graphs = {
            mode: ModeGraph(
                arrays[f"{mode}_indptr"].astype(np.int64, copy=False),
                arrays[f"{mode}_indices"].astype(np.int32, copy=False),
                arrays[f"{mode}_length_m"].astype(np.float32, copy=False),
                arrays[f"{mode}_time_s"].astype(np.float32, copy=False),
            )
            for mode in MODES
        }
        net = StreetNetwork(info, arrays["lon"], arrays["lat"], arrays["x"], arrays["y"], graphs)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(name, f"incomplete street network ({exc})") from None
    net.check(name)
    return net


_cache_lock = threading.Lock()
_cache: dict[str, StreetNetwork] = {}


def load_network(data: bytes, digest: str, name: str = NETWORK_FILE) -> StreetNetwork:
    """:func:`network_from_bytes`, kept by ``digest`` (the file's SHA-256): a new data
    version whose network is unchanged (an import, a report) reuses the one in memory."""
    with _cache_lock:
        found = _cache.get(digest)
    if found is None:
        found = network_from_bytes(data, name)
        with _cache_lock:
            _cache.clear()  # one network at a time: a city has one
            _cache[digest] = found
    return found
