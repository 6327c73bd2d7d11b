"""Spreadsheet cells the app writes: one rule against formula injection for every export.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which Excel skips before looking for one) is a formula to Excel, LibreOffice and Google
Sheets once the file is opened ("CSV injection"). Every text cell of every CSV the app
writes (and every header, which may come from a property name) goes through
:func:`neutralise_formula`, the OWASP rule: such a cell gets a leading apostrophe, which
a spreadsheet shows as text and the importer takes off again (:func:`restore_formula`).
XLSX cells are typed as text instead, so they stay as they are there.
"""

from __future__ import annotations

from typing import Any

#: a text cell starting with one of these is taken for a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with an apostrophe before it when it is text a spreadsheet would take for
    a formula; anything else (numbers, None, other text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore_formula(text: str) -> str:
    """Undo :func:`neutralise_formula` on a cell read back from one of our files."""
    if text[:1] == "'" and text[1:2] != "" and text[1:2] in FORMULA_START:
        return text[1:]
    return text
