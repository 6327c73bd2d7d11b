"""One facility changed the way an import changes a layer: a staff decision on a report
from the street (:mod:`locator.web.admin_reports`) becomes a whole new layer, checked by
the register checks and written by :func:`locator.importer.history.replace_layer` (kept
version, log line, rollback). A report never edits a layer any other way.

Coordinates are WGS-84 ``[lon, lat]``; dates ISO 8601.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from locator.importer import ImportOutcome, ImportPlan
from locator.importer.register import check_register, facility_decl, load_context
from locator.values import registry
from locator.values.errors import LocatorError

Features = list[dict[str, Any]]

#: what accepting each kind of report does to the facility
EDITING_KINDS = ("closed", "moved", "hours", "phone", "amenity", "confirm")


@dataclass(frozen=True)
class FacilityEdit:
    """What staff decided a report changes. ``kind`` says which field counts:

    - ``closed``: the facility is removed from its layer (a rollback brings it back);
    - ``moved``: its point becomes ``lon``/``lat`` (WGS-84 degrees);
    - ``hours``: ``opening_hours`` becomes ``value`` (OSM syntax or a form the importer
      converts, e.g. 8:00-18:00);
    - ``phone``: ``phone`` becomes ``value`` ("" removes it);
    - ``amenity``: ``amenities`` becomes ``value`` (terms separated by 、or ,);
    - ``confirm``: ``verified_on`` becomes ``value`` (an ISO date).
    """

    kind: str
    facility_id: str
    value: str = ""
    lon: float | None = None
    lat: float | None = None


def find_layer(data_dir: Path, facility_id: str) -> str:
    """The facility layer holding ``facility_id`` (LocatorError naming ``facility_id``)."""
    from locator.stores.files.read import read_features

    for decl in registry.FACILITIES:
        path = data_dir / decl.file
        if path.exists() and any(
            str(f["properties"].get("id")) == facility_id for f in read_features(path)
        ):
            return decl.id
    raise LocatorError(f"facility_id: no facility {facility_id!r} in any layer")


def _edited(edit: FacilityEdit) -> Callable[[Features], Features]:
    def apply(features: Features) -> Features:
        out: Features = []
        found = False
        for feat in features:
            if str(feat["properties"].get("id")) != edit.facility_id:
                out.append(feat)
                continue
            found = True
            props = feat["properties"]
            if edit.kind == "closed":
                continue
            if edit.kind == "moved":
                if edit.lon is None or edit.lat is None:
                    raise LocatorError("lon: a moved facility needs its new lon and lat")
                feat["geometry"] = {"type": "Point", "coordinates": [edit.lon, edit.lat]}
                # the town follows the point: the importer joins it again
                props.pop("town_code", None)
                props.pop("district_code", None)
            elif edit.kind == "hours":
                _set(props, "opening_hours", edit.value)
            elif edit.kind == "phone":
                _set(props, "phone", edit.value)
            elif edit.kind == "amenity":
                props.pop("amenities", None)
                _set(props, "amenities", edit.value)
            elif edit.kind == "confirm":
                _check_not_future(edit.value)
                _set(props, "verified_on", edit.value)
            else:
                raise LocatorError(f"kind: a {edit.kind!r} report changes no layer")
            out.append(feat)
        if not found:
            raise LocatorError(f"facility_id: no facility {edit.facility_id!r} in the layer")
        return out

    return apply


def _check_not_future(value: str) -> None:
    """A facility cannot have been verified after today (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        return  # not a date: the register checks name it
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    if day > today:
        raise LocatorError(
            f"value: 核实日期 {day} 晚于今天 · verified_on {day} is after today ({today})"
        )


def _set(props: dict[str, Any], name: str, value: str) -> None:
    if value.strip():
        props[name] = value.strip()
    else:
        props.pop(name, None)


def edit_facility(
    data_dir: Path | str,
    edit: FacilityEdit,
    entry: dict[str, Any],
    who: str = "",
    layer: str | None = None,
) -> ImportOutcome:
    """Change one facility as ``edit`` says, through the import path: under the write
    lock the layer as it is now is read, changed, checked like an uploaded register and,
    with no errors, written with its old file kept and ``entry`` (the report's id ...)
    logged. All or nothing: with any error nothing is written and the plan says why.
    ``layer``: the facility's layer when known (else found by its id)."""
    from locator.importer.history import replace_layer
    from locator.stores.files.read import read_features
    from locator.stores.files.recovery import write_lock

    data_dir = Path(data_dir)
    if edit.kind not in EDITING_KINDS:
        raise LocatorError(f"kind: a {edit.kind!r} report changes no layer")
    with write_lock(data_dir):
        layer = layer or find_layer(data_dir, edit.facility_id)
        decl = facility_decl(layer)
        current = read_features(data_dir / decl.file)
        features = _edited(edit)(copy.deepcopy(current))
        from locator.formats.geojson import dumps_feature_collection

        name = f"report-{entry.get('report', 'edit')}.geojson"
        data = dumps_feature_collection(features, layer).encode("utf-8")
        if features:
            plan = check_register(data, name, load_context(data_dir, layer))
            if not plan.ok:
                return ImportOutcome(plan, None)
        else:
            # the last facility of the layer closed: an empty layer has nothing to check
            plan = ImportPlan(layer, name, "GeoJSON", None, 0, [], [], current)
        written = replace_layer(
            data_dir,
            layer,
            plan.features,
            {
                "action": "report",
                "who": who,
                "file": name,
                "format": "GeoJSON",
                "rows": plan.rows,
                "warnings": len(plan.warnings),
                **entry,
                **plan.changes(),
            },
            locked=True,
        )
    return ImportOutcome(plan, written)


class ReportDecisions(Protocol):
    """What accepting a report needs of the reports (:class:`locator.service.reports.Reports`)."""

    def decide(
        self,
        report_id: str,
        status: str,
        note: str | None = None,
        merged_into: str | None = None,
        expect: str = "received",
    ) -> Any: ...

    def reopen(self, report_id: str) -> Any: ...


def accept_with_edit(
    decisions: ReportDecisions,
    report_id: str,
    edit: FacilityEdit,
    layer: str,
    working_dir: Callable[[str], AbstractContextManager[Path]],
    who: str,
    note: str = "",
) -> ImportOutcome:
    """Accept a report whose change is a layer edit. The report is claimed first (one
    conditional update in the store: of two accepts, or an accept and a reject, at once,
    one wins and only the winner writes the layer); the edit then goes through the
    import path in ``working_dir(layer)`` (the data directory, or a database working
    copy). When nothing is written (the plan's errors say why) or anything fails, the
    report goes back to waiting; accepted without a ``note``, its decision records which
    layer version was kept."""
    decisions.decide(report_id, "accepted", note)
    try:
        with working_dir(layer) as data_dir:
            outcome = edit_facility(
                data_dir,
                edit,
                {"report": report_id, "report_kind": edit.kind},
                who,
                layer=layer,
            )
    except BaseException:
        decisions.reopen(report_id)
        raise
    if not outcome.written:
        decisions.reopen(report_id)
        return outcome
    if not note and outcome.entry:
        decisions.decide(
            report_id,
            "accepted",
            f"layer version {outcome.entry['previous_version']} kept",
            expect="accepted",
        )
    return outcome


def today_beijing() -> str:
    """Today's date in Beijing (UTC+8), ISO 8601: what a verification date defaults to."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date().isoformat()
