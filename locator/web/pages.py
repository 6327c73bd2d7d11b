"""HTML pages. Each has a JSON twin in :mod:`locator.web.api` making the same domain call."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .i18n import current_lang, translate

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _inject():
    lang = current_lang()
    return {"lang": lang, "t": lambda key, **fmt: translate(key, lang, **fmt)}


@bp.get("/")
def home():
    cat = current_app.extensions["locator"].catalog
    infos = cat.layer_infos()
    return render_template("home.html", layers=infos, any_sample=any(i.sample for i in infos),
                           n_districts=len(cat.districts), n_towns=len(cat.towns))
