"""Command line: `all` (the default), `eval SOLUTION`, `list`, `show` and `export`.

Harness errors print one line and exit 2; `eval` exits 1 when its candidate is not ok."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

import torch
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import ROOT
from .candidate import find_candidate, find_candidates, solutions_dir
from .errors import HarnessError, NotFoundError
from .evaluate import ProblemEvaluation, Settings
from .export import write_export
from .leaderboard_view import leaderboard_markdown, leaderboard_table
from .plots import PlotsUnavailable, write_plots
from .problem import find_problem, list_problems
from .record import read_leaderboard, upsert_leaderboard
from .report import progress_bar, results_table
from .seeding import DTYPES

DEFAULT_PROBLEM = "level2/93_ConvTranspose2d_Add_Min_GELU_Multiply"
CPU_FALLBACK_SET = "small"


def _positive(kind):
    """An argparse type: a number of `kind` above zero, else a one-line usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description=(
        "Evaluate KernelBench-style solutions: compile, check against the reference, time, record. "
        "Without a command, runs `all` on problem 93."))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    evaluation = argparse.ArgumentParser(add_help=False)
    evaluation.add_argument("--config", help="size set of the problem's config (default: the config's default)")
    evaluation.add_argument("--dtype", choices=list(DTYPES), default="fp32",
                            help="fp32 keeps PyTorch's defaults (cuDNN TF32 on); fp32-exact turns TF32 off")
    evaluation.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when present, else cpu")
    evaluation.add_argument("--results-dir", type=Path, help="default: ROOT/results")
    evaluation.add_argument("--cache-dir", type=Path,
                            default=Path(os.environ.get("HARNESS_CACHE_DIR", ROOT / ".cache" / "extensions")),
                            help="extension builds, one directory per source hash")
    evaluation.add_argument("--compile-timeout", type=_positive(float), default=900.0, metavar="SECONDS")
    evaluation.add_argument("--run-timeout", type=_positive(float), default=600.0, metavar="SECONDS")
    evaluation.add_argument("--timing-trials", type=_positive(int), help="override the config's timing trial count")
    evaluation.add_argument("--no-compile-baseline", action="store_true",
                            help="skip timing torch.compile of the reference")
    output = evaluation.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true", help="no progress or tables; errors only")
    output.add_argument("--json", action="store_true", help="print the results as JSON on stdout, nothing else")

    every = commands.add_parser("all", parents=[evaluation], help="evaluate every solution of a problem")
    every.add_argument("--problem", default=DEFAULT_PROBLEM)
    one = commands.add_parser("eval", parents=[evaluation], help="evaluate one solution")
    one.add_argument("solution", help="a path, or a name within the problem's solutions directory")
    one.add_argument("--problem", help="default: inferred from the solution's directory, else problem 93")
    listing = commands.add_parser("list", help="problems, their configs and solutions")
    show = commands.add_parser("show", help="the recorded leaderboard, best speedup first")
    show.add_argument("--problem", help="only this problem (a name, stem or number)")
    show.add_argument("--markdown", action="store_true", help="print a Markdown table")
    show.add_argument("--results-dir", type=Path, help="default: ROOT/results")
    export = commands.add_parser("export", help="write a directory solution as one KernelBench-format file")
    export.add_argument("solution", type=Path, help="a directory holding model_new.py and its source files")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    for sub in (every, one, listing, show, export):
        sub.add_argument("--root", type=Path, default=Path(os.environ.get("HARNESS_ROOT", ROOT)),
                         help="directory holding problems/, configs/ and solutions/")
    return parser


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list | None = None) -> int:
    # A worker leads its own session, so a signal to this process does not reach it. SIGTERM (what `timeout` and
    # job schedulers send) would end Python without unwinding and leave the worker running on the GPU; as an
    # exception it unwinds, and the stage's cleanup kills the worker's process group.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "all")
    args = build_parser().parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    try:
        if args.command == "list":
            console.print(list_table(args.root))
            return 0
        if args.command == "show":
            return show_command(args, console)
        if args.command == "export":
            print(f"wrote {write_export(args.solution, args.output)}")
            return 0
        return evaluate_command(args, console)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def evaluate_command(args, console: Console) -> int:
    root = args.root.resolve()
    if args.command == "eval":
        problem = find_problem(args.problem or infer_problem(args.solution, root) or DEFAULT_PROBLEM, root)
        candidates = [find_candidate(args.solution, solutions_dir(root, problem.name))]
    else:
        problem = find_problem(args.problem, root)
        candidates = find_candidates(solutions_dir(root, problem.name))
        if not candidates:
            raise NotFoundError(f"no solutions in {solutions_dir(root, problem.name)}")
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise HarnessError("--device cuda: no CUDA GPU is visible on this machine")
    results_dir = (args.results_dir or root / "results").resolve()
    settings = Settings(device=device, dtype=args.dtype, results_dir=results_dir,
                        cache_dir=args.cache_dir.resolve(), compile_timeout_s=args.compile_timeout,
                        run_timeout_s=args.run_timeout, compile_baseline=not args.no_compile_baseline,
                        timing_trials=args.timing_trials)
    set_name = args.config or cpu_fallback_set(problem, device)
    evaluation = ProblemEvaluation(problem, set_name, settings, root)
    chatty = not (args.quiet or args.json)
    if chatty and set_name != args.config:
        console.print(f"[yellow]On the CPU without --config: using the '{CPU_FALLBACK_SET}' size set "
                      f"(the default '{evaluation.config.default}' is sized for a GPU).[/]")
    if chatty and not torch.cuda.is_available():
        console.print("[yellow]No CUDA GPU on this machine: CUDA solutions need a GPU and are marked "
                      "needs_cuda; the others run on the CPU.[/]")
    results = []
    with progress_bar(console, len(candidates), visible=chatty) as advance:
        for candidate in candidates:
            result = evaluation.evaluate(candidate, lambda stage: advance(f"{stage}: {candidate.name}"))
            advance(f"done: {candidate.name}", done=True)
            if chatty:
                console.print(f"{escape(candidate.name)}: {result.status}"
                              + (f" ({escape(result.message[:240])})" if result.message else ""))
            results.append(result)
    leaderboard = upsert_leaderboard(results, settings.results_dir / "leaderboard.csv")
    if args.json:
        print(json.dumps([r.row() for r in results], default=str, indent=1))
    elif chatty:
        title = escape(f"{problem.name} [{evaluation.size_set.name}] {results[0].device} {args.dtype}")
        console.print(results_table(results, title))
        console.print(f"leaderboard: {settings.results_dir / 'leaderboard.csv'}; "
                      f"records: {settings.results_dir / 'runs'}")
        console.print(plots_line(leaderboard, settings.results_dir))
    if args.command == "eval" and results[0].status != "ok":
        return 1
    return 0


def cpu_fallback_set(problem, device: str) -> str | None:
    """The size set a CPU run uses when none is named: the config's `small` set where it has one,
    since default sets are sized for a GPU; otherwise the config's default."""
    sets = problem.config().sets
    return CPU_FALLBACK_SET if device == "cpu" and CPU_FALLBACK_SET in sets else None


def plots_line(leaderboard, results_dir: Path) -> str:
    """Write the PNG plots; without matplotlib, say how to get them instead of failing the run."""
    try:
        paths = write_plots(leaderboard, results_dir)
    except PlotsUnavailable as exc:
        return f"plots: {exc}"
    return "plots: " + ", ".join(str(p) for p in paths)


def show_command(args, console: Console) -> int:
    csv_path = (args.results_dir or args.root / "results").resolve() / "leaderboard.csv"
    if not csv_path.is_file():
        raise NotFoundError(f"no leaderboard at {csv_path}: run an evaluation first")
    leaderboard = read_leaderboard(csv_path)
    if args.markdown:
        print(leaderboard_markdown(leaderboard, args.problem))
    else:
        console.print(leaderboard_table(leaderboard, args.problem))
    return 0


def infer_problem(solution: str, root: Path) -> str | None:
    """`solutions/<level>/<problem stem>/<file or dir>` names its problem."""
    path = Path(solution).resolve()
    try:
        parts = path.relative_to((root / "solutions").resolve()).parts
    except ValueError:
        return None
    return f"{parts[0]}/{parts[1]}" if len(parts) >= 3 else None


def list_table(root: Path) -> Table:
    table = Table(title="problems")
    for column in ("problem", "configs (default first)", "solutions"):
        table.add_column(column, overflow="fold")
    for problem in list_problems(root):
        try:
            config = problem.config()
            sets = [config.default] + [s for s in config.sets if s != config.default]
            configs = ", ".join(sets)
        except HarnessError as exc:
            configs = f"[red]{exc}[/]"
        solutions = [f"{c.name}{' (dir)' if c.kind == 'directory' else ''}{' (cuda)' if c.needs_cuda else ''}"
                     for c in find_candidates(solutions_dir(root, problem.name))]
        table.add_row(problem.name, configs, ", ".join(solutions) or "-")
    return table
