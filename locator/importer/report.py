"""The validation report: one line per problem, with the row, the column, the value, what
is wrong and a suggestion, in Chinese or English."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"

#: how much of a cell a report line repeats
VALUE_CHARS = 60


def _cut(value: str) -> str:
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + "…"


@dataclass(frozen=True)
class Problem:
    """One problem found in a register. ``row`` is the row number Excel shows (the
    feature's number in a GeoJSON file, ``unit`` "feature"); None for the whole file.
    An error stops the import; a warning is reported and the import goes on."""

    code: str
    severity: str
    zh: str
    en: str
    hint_zh: str = ""
    hint_en: str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None
    unit: str = "row"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def where(self, lang: str = "zh") -> str:
        parts = []
        if lang == "zh":
            if self.row is not None:
                parts.append(f"第 {self.row} {'行' if self.unit == 'row' else '个要素'}")
            if self.column:
                parts.append(f"列“{self.column}”")
            if self.value not in (None, ""):
                parts.append(f"值“{_cut(str(self.value))}”")
            return "，".join(parts) or "文件"
        if self.row is not None:
            parts.append(f"{self.unit} {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.value not in (None, ""):
            parts.append(f"value {_cut(str(self.value))!r}")
        return ", ".join(parts) or "file"

    def line(self, lang: str = "zh") -> str:
        """The report line: ``错误 第 12 行，列“纬度”，值“122.5”：……。建议：……``."""
        if lang == "zh":
            label = "错误" if self.is_error else "提醒"
            hint = f"。建议：{self.hint_zh}" if self.hint_zh else ""
            return f"{label} {self.where('zh')}：{self.zh}{hint}"
        label = "error" if self.is_error else "warning"
        hint = f". Suggestion: {self.hint_en}" if self.hint_en else ""
        return f"{label} {self.where('en')}: {self.en}{hint}"

    def as_dict(self) -> dict:
        return asdict(self)
