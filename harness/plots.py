"""PNG charts of a leaderboard: speedups vs eager and torch.compile, and time against the floor.

matplotlib is optional (the 'plots' extra); it is imported only when plots are drawn, and
figures are rendered with the Agg canvas, never through pyplot's global state."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .errors import HarnessError
from .leaderboard_view import display_status, format_ms, ranked, valid_rows

SPEEDUP_FILE = "speedup.png"
FLOOR_FILE = "time_vs_floor.png"
GROUP_COLUMNS = ("problem", "config", "dtype", "device")
EAGER_COLOR, COMPILE_COLOR, POINT_COLOR, FLOOR_COLOR = "#4C72B0", "#DD8452", "#2A9D8F", "#C0392B"
INVALID_COLOR = "#9E9E9E"
ROW_INCHES, GROUP_INCHES, WIDTH_INCHES = 0.42, 1.0, 11.0
STYLE = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10}
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


class PlotsUnavailable(HarnessError):
    """matplotlib is not installed; the caller reports this and carries on without plots."""


def _matplotlib():
    """matplotlib with the submodules the charts use, imported on first use."""
    try:
        import matplotlib
        import matplotlib.backends.backend_agg
        import matplotlib.figure
        import matplotlib.lines
        import matplotlib.patches
    except ImportError:
        raise PlotsUnavailable(
            "install the 'plots' extra (pip install -e '.[plots]') to get PNG plots") from None
    return matplotlib


def _number(value) -> float:
    """A finite positive float, or NaN for anything else (missing, failed, zero)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) and number > 0 else math.nan


def _groups(leaderboard: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per problem, config, dtype and device in order of first appearance; rows in
    leaderboard order (valid by speedup vs eager, then failed or flagged), alike in both charts."""
    groups = []
    for key, rows in leaderboard.groupby(list(GROUP_COLUMNS), sort=False, dropna=False):
        problem, config, dtype, device = (str(part) for part in key)
        title = f"{problem.rsplit('/', 1)[-1]}\n{config} · {dtype} · {device}"
        rows = ranked(rows)
        groups.append((title, rows.assign(_valid=valid_rows(rows))))
    return groups


def _label(row: pd.Series) -> str:
    return str(row["solution"]) if row["_valid"] else f"{row['solution']}  [{display_status(row)}]"


def _figure(mpl, groups: list[tuple[str, pd.DataFrame]], title: str):
    """A figure with one axes per group, each as tall as its number of solutions, best at the top."""
    heights = [max(len(rows), 1) * ROW_INCHES + GROUP_INCHES for _, rows in groups]
    figure = mpl.figure.Figure(figsize=(WIDTH_INCHES, sum(heights) + 1.0), layout="constrained")
    figure.suptitle(title, fontsize=14, fontweight="bold")
    axes = figure.subplots(len(groups), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (group_title, rows) in zip(axes, groups):
        ax.set_title(group_title, loc="left")
        ax.set_yticks(range(len(rows)), [_label(row) for _, row in rows.iterrows()])
        ax.set_ylim(len(rows) - 0.3, -0.7)
        ax.grid(axis="x", which="major", alpha=0.3)
    return figure, axes


def _log_axis(ax, low: float, high: float, ticks, unit: str) -> None:
    """Log-scale x from low to high with readable ticks ('0.5x', '2x' or '0.42 ms')."""
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    shown = [tick for tick in ticks if low <= tick <= high]
    ax.set_xticks(shown, [f"{tick:g}{unit}" for tick in shown])
    ax.minorticks_off()


def _ratio_limits(values: list[float]) -> tuple[float, float]:
    """x range covering every ratio and 1x, with room for the value labels at the bar ends."""
    finite = [value for value in values if not math.isnan(value)] or [1.0]
    return min(min(finite), 1.0) / 3.0, max(max(finite), 1.0) * 3.0


def _speedup_chart(mpl, groups):
    figure, axes = _figure(mpl, groups, "Speedup over PyTorch eager and torch.compile")
    every = [_number(v) for _, rows in groups for column in ("speedup_eager", "speedup_compile")
             for v in rows[column]]
    low, high = _ratio_limits(every)
    bar = 0.38
    for ax, (_, rows) in zip(axes, groups):
        for position, row in rows.iterrows():
            bars = [(-bar / 2, row["speedup_eager"], EAGER_COLOR),
                    (bar / 2, row["speedup_compile"], COMPILE_COLOR)]
            drawn = False
            for offset, value, color in bars:
                value = _number(value)
                if math.isnan(value):
                    continue
                drawn = True
                ax.barh(position + offset, value - 1, left=1, height=bar,
                        color=color if row["_valid"] else "white",
                        edgecolor=color, hatch=None if row["_valid"] else "///", linewidth=1)
                ax.annotate(f"{value:.2f}x", (value, position + offset),
                            xytext=(4 if value >= 1 else -4, 0), textcoords="offset points",
                            ha="left" if value >= 1 else "right", va="center", fontsize=9)
            if not drawn:
                missing = ("no baseline timing" if math.isnan(_number(row.get("eager_ms")))
                           and not math.isnan(_number(row.get("median_ms")))
                           else f"no timing ({display_status(row)})")
                ax.text(1, position, f"  {missing}", va="center",
                        fontsize=9, style="italic", color=INVALID_COLOR)
        ax.axvline(1, color="black", linewidth=1)
        _log_axis(ax, low, high, RATIO_TICKS, "x")
    axes[-1].set_xlabel("speedup (reference time / solution time, log scale; right of 1x is faster)")
    Patch = mpl.patches.Patch
    _legend(figure, [Patch(facecolor=EAGER_COLOR, label="vs PyTorch eager"),
                     Patch(facecolor=COMPILE_COLOR, label="vs torch.compile"),
                     Patch(facecolor="white", edgecolor=INVALID_COLOR, hatch="///",
                           label="failed or flagged (not counted)")])
    return figure


def _legend(figure, handles) -> None:
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)


def _time_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps per decade, or only powers of ten when the range spans many decades."""
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    steps = (1, 2, 5) if len(decades) <= 4 else (1,)
    return [step * 10.0 ** decade for decade in decades for step in steps]


def _floor_chart(mpl, groups):
    figure, axes = _figure(mpl, groups, "Achieved time vs speed-of-light floor")
    for ax, (_, rows) in zip(axes, groups):
        every = [_number(v) for column in ("median_ms", "eager_ms", "compile_ms", "floor_ms")
                 for v in rows[column]]
        finite = [value for value in every if not math.isnan(value)] or [1.0]
        low, high = min(finite) / 2.5, max(finite) * 4
        floor = next((f for f in map(_number, rows["floor_ms"]) if not math.isnan(f)), math.nan)
        if math.isnan(floor):
            ax.text(0.99, 0.02, "no speed-of-light floor for this device", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=9, style="italic", color=INVALID_COLOR)
        else:
            ax.axvspan(low, floor, color=FLOOR_COLOR, alpha=0.08)
            ax.axvline(floor, color=FLOOR_COLOR, linewidth=2)
            ax.annotate(f"floor {format_ms(floor)} ms", (floor, 1), xytext=(-4, -3),
                        textcoords="offset points", xycoords=("data", "axes fraction"),
                        ha="right", va="top", fontsize=9, color=FLOOR_COLOR)
        for column, color, style in (("eager_ms", EAGER_COLOR, "--"), ("compile_ms", COMPILE_COLOR, ":")):
            reference = next((v for v in map(_number, rows[column]) if not math.isnan(v)), math.nan)
            if not math.isnan(reference):
                ax.axvline(reference, color=color, linestyle=style, linewidth=1.5)
        for position, row in rows.iterrows():
            median = _number(row["median_ms"])
            if math.isnan(median):
                ax.text(low * 1.1, position, f"no timing ({display_status(row)})", va="center",
                        fontsize=9, style="italic", color=INVALID_COLOR)
                continue
            ax.plot([median], [position], "o", markersize=8, color=POINT_COLOR,
                    markerfacecolor=POINT_COLOR if row["_valid"] else "white")
            note = f"{format_ms(median)} ms"
            if not math.isnan(floor):
                note += f"  ({floor / median:.0%} of floor)"
            ax.annotate(note, (median, position), xytext=(7, 0), textcoords="offset points",
                        va="center", fontsize=9)
        _log_axis(ax, low, high, _time_ticks(low, high), "")
    axes[-1].set_xlabel("time per forward (ms, log scale; the floor is the fastest any solution could be)")
    Line2D = mpl.lines.Line2D
    _legend(figure, [Line2D([], [], marker="o", linestyle="", color=POINT_COLOR, label="solution median"),
                     Line2D([], [], marker="o", linestyle="", color=POINT_COLOR, markerfacecolor="white",
                            label="failed or flagged"),
                     Line2D([], [], linewidth=2, color=FLOOR_COLOR, label="speed-of-light floor"),
                     Line2D([], [], linestyle="--", color=EAGER_COLOR, label="PyTorch eager"),
                     Line2D([], [], linestyle=":", color=COMPILE_COLOR, label="torch.compile")])
    return figure


def write_plots(leaderboard: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write the speedup and time-vs-floor charts of `leaderboard` as PNGs in `out_dir`; return
    their paths ([] for an empty leaderboard). Raises PlotsUnavailable without matplotlib."""
    mpl = _matplotlib()
    if leaderboard.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = _groups(leaderboard)
    written = []
    with mpl.rc_context(STYLE):
        for name, chart in ((SPEEDUP_FILE, _speedup_chart), (FLOOR_FILE, _floor_chart)):
            figure = chart(mpl, groups)
            mpl.backends.backend_agg.FigureCanvasAgg(figure).print_png(out_dir / name)
            written.append(out_dir / name)
    return written
