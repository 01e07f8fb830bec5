"""The leaderboard as a terminal table (rich) or a GitHub Markdown table, best speedup first."""
from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

VALID_STATUSES = frozenset({"ok", "correct"})
MISSING = "—"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _truthy(value) -> bool:
    """CSV round trips turn booleans into 'True'/'False' strings; NaN counts as false."""
    if _is_missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _flagged(value) -> bool:
    return not _is_missing(value) and str(value).strip() != ""


def row_is_valid(row: pd.Series) -> bool:
    """Whether a row counts on the leaderboard: status ok/correct, correct, not degenerate, and
    no flags. A column the row lacks does not disqualify it."""
    return (str(row.get("status", "ok")).strip().lower() in VALID_STATUSES
            and _truthy(row.get("correct", True))
            and not _truthy(row.get("degenerate", False))
            and not _flagged(row.get("flags")))


def display_status(row: pd.Series) -> str:
    """The row's status, or why an 'ok' row still does not count (incorrect, degenerate, flagged)."""
    status = str(row.get("status", "ok"))
    if status.strip().lower() not in VALID_STATUSES:
        return status
    if not _truthy(row.get("correct", True)):
        return "incorrect"
    if _truthy(row.get("degenerate", False)):
        return "degenerate"
    if _flagged(row.get("flags")):
        return "flagged"
    return status


def valid_rows(df: pd.DataFrame) -> pd.Series:
    """`row_is_valid` for every row, as a boolean mask."""
    return pd.Series([row_is_valid(row) for _, row in df.iterrows()], index=df.index, dtype=bool)


def matches_problem(name: str, query: str) -> bool:
    """'level2/93_ConvTranspose2d_Add_Min_GELU_Multiply' matches itself, its basename, and '93'."""
    basename = str(name).rsplit("/", 1)[-1]
    return query in (str(name), basename, basename.split("_", 1)[0])


def ranked(df: pd.DataFrame, problem: str | None = None) -> pd.DataFrame:
    """Rows of `problem` (all when None): valid rows by speedup vs eager, best first, then the rest."""
    if problem is not None:
        df = df[df["problem"].map(lambda name: matches_problem(name, problem))]
    df = df.assign(_invalid=~valid_rows(df))
    order = df.sort_values(["_invalid", "speedup_eager"], ascending=[True, False],
                           na_position="last", kind="stable")
    return order.drop(columns="_invalid").reset_index(drop=True)


def format_ms(value: float) -> str:
    """0.042, 5.83, 3,650: enough digits for timings without scientific notation."""
    if value < 1:
        return f"{value:.3g}"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def _speedup(value) -> str:
    return f"{value:.2f}x"


def _percent(value) -> str:
    return f"{value:.1f}%"


def _error(value) -> str:
    return f"{value:.1e}"


def _mhz(value) -> str:
    return f"{value:.0f}"


def _text(value) -> str:
    return str(value)


# (header, leaderboard column, formatter, right-aligned)
COLUMNS = (
    ("problem", "problem", _text, False),
    ("config", "config", _text, False),
    ("solution", "solution", _text, False),
    ("device", "device", _text, False),
    ("dtype", "dtype", _text, False),
    ("status", "status", _text, False),
    ("vs eager", "speedup_eager", _speedup, True),
    ("vs compile", "speedup_compile", _speedup, True),
    ("median ms", "median_ms", format_ms, True),
    ("referee ms", "referee_ms", format_ms, True),
    ("SM MHz", "sm_mhz", _mhz, True),
    ("floor ms", "floor_ms", format_ms, True),
    ("% of floor", "pct_of_floor", _percent, True),
    ("max abs err", "max_abs_err", _error, True),
    ("flags", "flags", _text, False),
)


def _cell(row: pd.Series, column: str, formatter) -> str:
    value = display_status(row) if column == "status" else row.get(column)
    return MISSING if _is_missing(value) or value == "" else formatter(value)


def _rows(df: pd.DataFrame, problem: str | None) -> list[tuple[bool, list[str]]]:
    """(valid, formatted cells) for each row in leaderboard order."""
    order = ranked(df, problem)
    valid = valid_rows(order)
    return [(bool(valid[i]), [_cell(row, column, fmt) for _, column, fmt, _ in COLUMNS])
            for i, row in order.iterrows()]


def leaderboard_table(df: pd.DataFrame, problem: str | None = None) -> Table:
    """A rich Table of the leaderboard; failed or flagged rows come last, dimmed."""
    title = "Leaderboard" if problem is None else f"Leaderboard: {problem}"
    table = Table(title=title, caption="sorted by speedup vs eager; failed or flagged rows last")
    for header, _, _, right in COLUMNS:
        table.add_column(header, justify="right" if right else "left")
    for valid, cells in _rows(df, problem):
        table.add_row(*cells, style=None if valid else "dim")
    return table


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|")


def leaderboard_markdown(df: pd.DataFrame, problem: str | None = None) -> str:
    """The same rows and columns as `leaderboard_table`, as a GitHub Markdown table."""
    lines = [
        "| " + " | ".join(header for header, _, _, _ in COLUMNS) + " |",
        "|" + "|".join("---:" if right else "---" for _, _, _, right in COLUMNS) + "|",
    ]
    for _, cells in _rows(df, problem):
        lines.append("| " + " | ".join(_markdown_escape(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
