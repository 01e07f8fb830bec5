"""Terminal output: a progress bar while candidates compile and run, and a results table."""
from __future__ import annotations

import contextlib
import math
import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

STATUS_STYLE = {"ok": "green", "needs_cuda": "yellow", "impossible": "magenta"}


@contextlib.contextmanager
def progress_bar(console: Console, total: int, visible: bool = True):
    """Yields `advance(description, done=False)`; draws nothing when not `visible`. Where the console is not
    a terminal (a log file), a bar would show nothing until the end, so each stage is printed as a line with
    the seconds since the start: a run cut off by an outer timeout still says which stage it was in."""
    if visible and not console.is_terminal:
        start = time.monotonic()

        def log_stage(description: str, done: bool = False) -> None:
            console.print(f"[{time.monotonic() - start:7.1f} s] {escape(description)}", highlight=False)

        yield log_stage
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=not visible) as progress:
        task = progress.add_task("starting", total=total)

        def advance(description: str, done: bool = False) -> None:
            progress.update(task, description=description, advance=1 if done else 0)

        yield advance


def results_table(results: list, title: str) -> Table:
    """Correct candidates first, fastest first; the rest below with their status and message."""
    table = Table(title=title, show_lines=False)
    for name, justify in (("solution", "left"), ("status", "left"), ("flags", "left"), ("max abs err", "right"),
                          ("median ms", "right"), ("referee ms", "right"), ("SM MHz", "right"), ("eager ms", "right"), ("compile ms", "right"),
                          ("x eager", "right"), ("x compile", "right"), ("floor ms", "right"),
                          ("% of floor", "right"), ("message", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    ranked = sorted(results, key=lambda r: (r.status != "ok", r.median_ms if r.median_ms > 0 else math.inf))
    for r in ranked:
        style = STATUS_STYLE.get(r.status, "red")
        table.add_row(r.solution, f"[{style}]{r.status}[/]", ",".join(r.flags), _num(r.max_abs_err, ".2e"),
                      _num(r.median_ms, ".4f"), _num(r.referee_ms, ".4f"), _num(r.sm_mhz, ".0f"), _num(r.eager_ms, ".4f"), _num(r.compile_ms, ".4f"),
                      _num(r.speedup_eager, ".2f"), _num(r.speedup_compile, ".2f"), _num(r.floor_ms, ".4f"),
                      _num(r.pct_of_floor, ".1f"), r.message[:160])
    return table


def _num(value: float, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)
