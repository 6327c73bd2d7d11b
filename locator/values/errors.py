"""Domain exceptions, one root. The web layer maps them to HTTP status codes."""

from __future__ import annotations

#: how much of a bad value an error message repeats
SHOWN_CHARS = 100


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr`` of a value for an error message, cut to ``limit`` characters: a client that
    sends 100 KB of junk does not get it echoed back."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value))} characters)"


class LocatorError(Exception):
    """Root of every error the domain raises on purpose."""

    #: short machine-readable kind, used as the problem+json ``type`` suffix
    kind = "locator-error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StoreUnavailable(LocatorError):
    """The data store cannot answer now (the database is away): the request may be
    repeated shortly. The message is for the log; users get a generic one."""

    kind = "store-unavailable"


class PlannerBusy(LocatorError):
    """The planner cannot take the request now: its computation slots stayed full for the
    short wait allowed, or the computation ran past its time limit. The request may be
    repeated after ``retry_after_s`` seconds; the message is for the user (zh and en)."""

    kind = "planner-busy"

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidQuery(LocatorError):
    """A request parameter is missing or invalid. ``param`` names it."""

    kind = "invalid-parameter"

    def __init__(self, param: str, message: str, valid: list[str] | None = None):
        super().__init__(message)
        self.param = param
        self.valid = valid  # the values that would have been accepted, when few


class TooCostly(InvalidQuery):
    """A request whose work, estimated before any is done, exceeds the planner's budget
    (e.g. a demand file whose polygons cover too many grid cells). ``param`` names the
    input to change."""

    kind = "too-costly"


class LayerNotFound(LocatorError):
    """An unknown layer id. ``valid`` lists the layers that exist."""

    kind = "layer-not-found"

    def __init__(self, layer: str, valid: list[str], param: str = "layer"):
        super().__init__(f"unknown layer {shown(layer)}; valid layers: {', '.join(valid)}")
        self.layer = layer
        self.valid = valid
        self.param = param


class FeatureNotFound(LocatorError):
    """No feature of the collection has this id."""

    kind = "feature-not-found"

    def __init__(self, feature_id: str, collection_id: str | None = None):
        where = f" in collection {collection_id!r}" if collection_id else ""
        super().__init__(f"no feature with id {shown(feature_id)}{where}")
        self.feature_id = feature_id
        self.collection_id = collection_id


class FacilityNotFound(FeatureNotFound):
    """No facility has this id."""

    kind = "facility-not-found"

    def __init__(self, facility_id: str):
        super().__init__(facility_id)
        self.message = f"no facility with id {shown(facility_id)}"
        self.args = (self.message,)
        self.facility_id = facility_id


class DataError(LocatorError):
    """A geodata file is broken. The message names the file, the feature and the problem."""

    kind = "data-error"

    def __init__(self, file: str, problem: str, feature_id: str | None = None):
        where = f"{file}: feature {feature_id!r}" if feature_id is not None else file
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.feature_id = feature_id
        self.problem = problem


class ConfigError(LocatorError):
    """A configuration value is invalid."""

    kind = "config-error"


class BuildError(LocatorError):
    """Building geodata from the registry packages failed."""

    kind = "build-error"
