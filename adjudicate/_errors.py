"""Errors raised for bad input: one readable line naming the file, row and column."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input data, located as precisely as possible.

    The message is one line: ``<file>, row <n>, column '<name>': <what is wrong>``,
    with the parts that are unknown left out. ``row`` is the 1-based line number in the
    file (the header is row 1), so it can be passed straight to an editor.

    Examples
    --------
    >>> str(InputError("unknown value 'MAYBE'", file="r.csv", row=7, column="Fracture"))
    "r.csv, row 7, column 'Fracture': unknown value 'MAYBE'"
    """

    def __init__(self, message: str, *, file=None, row: int | None = None, column=None):
        self.file, self.row, self.column, self.reason = file, row, column, message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
