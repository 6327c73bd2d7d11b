"""/admin: the federation's staff import a register, see its report, replace a layer,
see a layer's versions and roll one back. Parse -> one domain call (locator.importer) ->
render.

Who may (sign-in, sessions, Bearer tokens, CSRF, rate limits) is :mod:`locator.web.auth`;
every view here runs behind its guard.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from locator.stores.staging import Staging
from locator.stores.working import data_dir_for
from locator.values import registry
from locator.values.errors import LocatorError
from locator.values.geo.crs import CoordSystem
from locator.web import auth
from locator.web.i18n import current_lang

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: the largest register an upload may carry (bytes); the request may be a little larger
MAX_REGISTER_BYTES = 10 * 2**20
_FORM_OVERHEAD = 256 * 1024
STAGED_TTL_S = 3600.0


@bp.before_request
def _limit_body() -> None:
    # before the guard reads the form: a larger upload is a 413, not read at all
    request.max_content_length = MAX_REGISTER_BYTES + _FORM_OVERHEAD


auth.protect(bp, "admin.import_page")


@bp.after_request
def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --------------------------------------------------------------------------- pages


def _local_time(iso: str | None) -> str:
    """A log time (UTC ISO 8601) as Beijing time, the way staff read a clock."""
    try:
        when = dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    local = when.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return local.strftime("%Y-%m-%d %H:%M") + (
        " 北京时间" if current_lang() == "zh" else " Beijing time"
    )


def _who_text(who: str | None) -> str:
    """The log's ``admin (session) from 1.2.3.4`` in the page's language."""
    text = str(who or "?")
    if current_lang() == "zh":
        text = text.replace("admin (session) from ", "管理员网页登录，来自 ").replace(
            "admin (token) from ", "管理员令牌，来自 "
        )
    return text


def _page(page: str, status: int = 200, **ctx: Any) -> Response:
    return Response(
        render_template(
            "admin.html",
            page=page,
            csrf=session.get("csrf", ""),
            layers=registry.FACILITIES,
            local_time=_local_time,
            who_text=_who_text,
            **ctx,
        ),
        status=status,
        mimetype="text/html",
    )


@bp.get("/")
def home():
    return redirect(url_for("admin.import_page"))


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def _data(layer: str, write: bool = True, others: bool = True):
    """The data directory to import into: the files, or a working copy of the database
    for work on ``layer``, written back in one transaction (:mod:`locator.stores.working`)."""
    return data_dir_for(_data_dir(), current_app.config.get("DATABASE_URL"), write, layer, others)


def _staging() -> Staging:
    """Where uploads wait for confirmation, beside the store (the app factory chose it:
    with a database, there, since the confirming request may reach another app server)."""
    return current_app.extensions["locator_staging"]


def _unstage(staged: str, take: bool = False) -> tuple[bytes, dict[str, Any]]:
    """The staged upload; with ``take`` (it is being imported) it is removed at once, so
    that confirming it twice imports it once."""
    staging = _staging()
    found = (staging.take if take else staging.get)(staged, STAGED_TTL_S)
    if found is None:
        raise LocatorError(
            "staged: this upload is no longer waiting (it expires after an "
            "hour, or was imported already); upload the file again"
        )
    return found


def _swap_now() -> None:
    """Load the new data at once rather than at the watcher's next poll."""
    watcher = current_app.extensions.get("locator_watcher")
    if watcher is not None:
        watcher.trigger()
    else:
        current_app.extensions["locator"].reload()


@bp.get("/import")
def import_page():
    return _page("import")


@bp.post("/import")
def import_upload():
    """``action=check`` (default): report, and stage the file for confirmation;
    ``action=apply``: import (the staged file, or the uploaded one for API clients)."""
    form = request.form
    action = form.get("action", "check")
    staged = form.get("staged", "")
    try:
        if staged:
            data, meta = _unstage(staged, take=action == "apply")
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise LocatorError("file: choose a register file (CSV, XLSX or GeoJSON)")
            try:
                data = upload.read(MAX_REGISTER_BYTES + 1)
            finally:
                upload.close()
            if len(data) > MAX_REGISTER_BYTES:
                return auth.problem(
                    413,
                    "文件超过 10 MB 上限，请拆分后分批导入",
                    "the file is larger than the 10 MB limit; split it",
                )
            meta = {
                "filename": Path(upload.filename).name,
                "layer": form.get("layer", ""),
                "coord": form.get("coord") or None,
                "sheet": form.get("sheet") or None,
            }
        coord = CoordSystem(meta["coord"]) if meta.get("coord") else None
    except ValueError:
        raise LocatorError(
            f"coord: must be one of wgs84, gcj02, bd09, got {form.get('coord')!r}"
        ) from None
    apply = action == "apply"
    # the importer (its table readers and checks) loads with the first upload, not at
    # start-up: most servers never import
    from locator.importer import import_register

    with _data(meta["layer"], write=apply) as data_dir:
        outcome = import_register(
            data_dir,
            data,
            meta["filename"],
            meta["layer"],
            coord,
            meta.get("sheet"),
            dry_run=not apply,
            who=auth.who(),
        )
    if outcome.written:
        _swap_now()
    plan = outcome.plan
    if auth.is_api_client():
        from flask import jsonify

        return jsonify(
            {
                "ok": plan.ok,
                "written": outcome.written,
                "layer": plan.layer,
                "summary": plan.summary(current_lang()),
                "changes": plan.changes(),
                "report": plan.report(current_lang()),
                "problems": [p.as_dict() for p in plan.problems],
                "entry": outcome.entry,
            }
        ), 200 if plan.ok else 422
    staged_id = _staging().put(data, meta, STAGED_TTL_S) if plan.ok and not outcome.written else ""
    decl = registry.BY_ID[plan.layer]
    return _page(
        "report",
        status=200 if plan.ok else 422,
        plan=plan,
        meta=meta,
        staged=staged_id,
        written=outcome.written,
        entry=outcome.entry,
        layer_label=decl.name_zh if current_lang() == "zh" else decl.name_en,
    )


@bp.get("/history")
def history_page():
    layer = request.args.get("layer", registry.FACILITIES[0].id)
    from locator.importer.history import versions
    from locator.importer.register import facility_decl

    facility_decl(layer, "layer")
    with _data(layer, write=False, others=False) as data_dir:
        kept = versions(data_dir, layer)
    return _page("history", layer=layer, versions=kept, done=request.args.get("done", ""))


@bp.post("/rollback")
def rollback_post():
    from locator.importer.history import rollback
    from locator.importer.register import facility_decl

    layer = request.form.get("layer", "")
    facility_decl(layer, "layer")
    with _data(layer) as data_dir:
        entry = rollback(data_dir, layer, request.form.get("version", ""), auth.who())
    _swap_now()
    if auth.is_api_client():
        from flask import jsonify

        return jsonify(entry)
    return redirect(
        url_for(
            "admin.history_page",
            layer=layer,
            done=entry["restored_version"],
            lang=current_lang() if current_lang() != "zh" else None,
        ),
        code=303,
    )


def register_admin(app) -> None:
    """Session settings and the blueprint. Without a credential the blueprint still
    answers, to say the pages are off and how to turn them on."""
    auth.configure_sessions(app)
    from locator.web import admin_reports  # noqa: F401  (its views are on this blueprint)

    app.register_blueprint(bp)
