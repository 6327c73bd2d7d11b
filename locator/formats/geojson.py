"""GeoJSON text in the canonical layout the data files keep: a FeatureCollection with its
members first, then one compact feature per line (diff-friendly, UTF-8 as is). The file
store writes it; the database store keeps each feature's text and writes files back with
it byte for byte."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def dumps_feature_collection(features: Iterable[dict[str, Any]], name: str | None = None) -> str:
    """Serialise a FeatureCollection deterministically, one feature per line (diff-friendly)."""
    return feature_collection_text(
        {"name": name} if name else {}, [dumps_feature(f) for f in features]
    )


def dumps_feature(feature: dict[str, Any]) -> str:
    """One feature as the canonical layout writes it (compact, UTF-8 as is)."""
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


def feature_collection_text(members: dict[str, Any], feature_texts: Iterable[str]) -> str:
    """The canonical layout: a FeatureCollection with ``members`` (name, crs ...) in their
    order, then one feature text per line. The database store writes files back with it
    byte for byte."""
    opening = (
        json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False)[:-1]
        + ',"features":['
    )
    return opening + "\n" + ",\n".join(feature_texts) + "\n]}\n"
