"""JSON API, version 1: parse -> one domain call -> serialise."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def catalog():
    return current_app.extensions["locator"].catalog


@bp.get("/layers")
def layers():
    infos = catalog().layer_infos()
    return jsonify({"layers": [asdict(i) for i in infos]})
