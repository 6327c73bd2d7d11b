"""The validation report: one line per problem, with the row, the column, the value, what
is wrong and a suggestion, in Chinese or English."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

ERROR = "error"
WARNING = "warning"

#: how much of a cell a report line repeats
VALUE_CHARS = 60


def _cut(value: str) -> str:
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + "…"


def _spans(rows: tuple[int, ...], sep: str) -> str:
    """Row numbers as runs: ``3、5–9、12`` (each run of consecutive rows as first–last)."""
    runs: list[list[int]] = []
    for r in sorted(set(rows)):
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    return sep.join(
        f"{run[0]}–{run[-1]}" if len(run) > 2 else sep.join(map(str, run)) for run in runs
    )


def grouped(problems: list[Problem], code: str) -> list[Problem]:
    """``problems`` with those of ``code`` given once per (value, message): one problem
    standing for all their rows, in the place of the first."""
    groups: dict[tuple[str | None, str, str | None], list[Problem]] = {}
    for p in problems:
        if p.code == code:
            groups.setdefault((p.value, p.zh, p.column), []).append(p)
    out = []
    for p in problems:
        if p.code != code:
            out.append(p)
            continue
        group = groups[(p.value, p.zh, p.column)]
        if group[0] is p:
            rows = tuple(q.row for q in group if q.row is not None)
            out.append(replace(p, rows=rows if len(rows) > 1 else ()))
    return out


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
    #: every row one problem stands for (a warning given once for the register, e.g. an
    #: opening-hours notation converted wherever it appears); empty: ``row`` alone
    rows: tuple[int, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def where(self, lang: str = "zh") -> str:
        parts = []
        if lang == "zh":
            if len(self.rows) > 1:
                parts.append(
                    f"第 {_spans(self.rows, '、')} {'行' if self.unit == 'row' else '个要素'}"
                    f"（共 {len(self.rows)} 处）"
                )
            elif self.row is not None:
                parts.append(f"第 {self.row} {'行' if self.unit == 'row' else '个要素'}")
            if self.column:
                parts.append(f"列“{self.column}”")
            if self.value not in (None, ""):
                parts.append(f"值“{_cut(str(self.value))}”")
            return "，".join(parts) or "文件"
        if len(self.rows) > 1:
            parts.append(f"{self.unit}s {_spans(self.rows, ', ')} ({len(self.rows)} in all)")
        elif self.row is not None:
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
