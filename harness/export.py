"""Export a directory solution (model_new.py plus the C++/CUDA files it reads) as one
self-contained KernelBench-format .py: every source-file read becomes a string literal."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from . import ROOT
from .candidate import Candidate
from .errors import HarnessError

ENTRY_FILE = "model_new.py"
C_SUFFIXES = frozenset({".c", ".cc", ".cpp", ".cxx", ".cu", ".cuh", ".h", ".hpp", ".inl"})
PATH_CONSTRUCTORS = frozenset({"Path", "PurePath", "pathlib.Path", "pathlib.PurePath"})
IDENTITY_CALLS = frozenset({"str", "os.fspath", "os.path.abspath", "os.path.realpath",
                            "os.path.normpath"})
IDENTITY_METHODS = frozenset({"resolve", "absolute"})
OPEN_CALLS = frozenset({"open", "io.open"})
LOCAL_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.MULTILINE)
PRAGMA_ONCE = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+once\b.*$", re.MULTILINE)


class ExportError(HarnessError):
    """A directory solution cannot be turned into one self-contained file."""


@dataclass(frozen=True)
class _Edit:
    """Replace source bytes [start, end) with `text`."""

    start: int
    end: int
    text: str


def _dotted_name(node: ast.AST) -> str | None:
    """'os.path.join' for the expression os.path.join, None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _check_utf8(path: Path, data: bytes) -> None:
    """The export is one UTF-8 file, so every file that goes into it must decode as UTF-8."""
    try:
        data.decode()
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ExportError(f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); "
                          "save the file as UTF-8") from None


class _Module:
    """model_new.py parsed, with byte offsets for its nodes and the module-level path names."""

    def __init__(self, path: Path):
        self.path = path
        self.source = path.read_bytes()
        _check_utf8(path, self.source)
        try:
            self.tree = ast.parse(self.source, filename=str(path))
        except SyntaxError as error:
            raise ExportError(f"{path}:{error.lineno}: not valid Python: {error.msg}") from None
        self._line_starts = [0]
        for line in self.source.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))
        self.bindings: dict[str, tuple[ast.stmt, Path]] = {}
        self._collect_path_bindings()

    def error(self, node: ast.AST, message: str) -> ExportError:
        return ExportError(f"{self.path}:{node.lineno}: {message}")

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self._line_starts[node.lineno - 1] + node.col_offset,
                self._line_starts[node.end_lineno - 1] + node.end_col_offset)

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end].decode()

    def _collect_path_bindings(self) -> None:
        """Names bound once, at module level, to a path we can resolve: HERE = Path(__file__).parent."""
        stores: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] = stores.get(node.id, 0) + 1
        for statement in self.tree.body:
            target, value = _single_target(statement)
            if target is None or stores.get(target) != 1:
                continue
            path = self.resolve(value)
            if path is not None:
                self.bindings[target] = (statement, path)

    def resolve(self, node: ast.AST) -> Path | None:
        """The file or folder an expression names, when it is anchored at __file__ and built only
        from literals; None otherwise."""
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.path
            binding = self.bindings.get(node.id)
            return binding[1] if binding else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base = self.resolve(node.value)
            return None if base is None else base.parent
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base, name = self.resolve(node.left), _string(node.right)
            return None if base is None or name is None else base / name
        if isinstance(node, ast.Call) and not node.keywords:
            return self._resolve_call(node)
        return None

    def _resolve_call(self, node: ast.Call) -> Path | None:
        function = _dotted_name(node.func)
        if function in PATH_CONSTRUCTORS | IDENTITY_CALLS | {"os.path.join"} and node.args:
            return self._join(node.args[0], node.args[1:])
        if function == "os.path.dirname" and len(node.args) == 1:
            base = self.resolve(node.args[0])
            return None if base is None else base.parent
        if not isinstance(node.func, ast.Attribute):
            return None
        method = node.func.attr
        if method in IDENTITY_METHODS and not node.args:
            return self.resolve(node.func.value)
        if method == "joinpath":
            return self._join(node.func.value, node.args)
        if method == "with_name" and len(node.args) == 1:
            base, name = self.resolve(node.func.value), _string(node.args[0])
            return None if base is None or name is None else base.with_name(name)
        return None

    def _join(self, base_node: ast.AST, part_nodes: list[ast.AST]) -> Path | None:
        base, parts = self.resolve(base_node), [_string(part) for part in part_nodes]
        return None if base is None or None in parts else base.joinpath(*parts)


def _single_target(statement: ast.stmt) -> tuple[str | None, ast.AST | None]:
    """(name, value) of `name = value` or `name: T = value`; (None, None) for anything else."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None, None
    return (target.id, statement.value) if isinstance(target, ast.Name) else (None, None)


def _opened_path(call: ast.Call) -> ast.AST | None:
    """The path argument of open(path[, mode]).read(), or None when `call` is not that."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "read" and not call.args):
        return None
    opener = call.func.value
    if isinstance(opener, ast.Call) and _dotted_name(opener.func) in OPEN_CALLS and opener.args:
        return opener.args[0]
    return None


def _read_target(module: _Module, call: ast.Call) -> ast.AST | None:
    """The path expression a source-file read reads, None when `call` reads no file.
    Raises ExportError for file reads of a form export cannot inline."""
    function = call.func
    if isinstance(function, ast.Attribute) and function.attr == "read_text":
        return function.value
    opened = _opened_path(call)
    if opened is not None:
        mode = call.func.value.args[1:2] or [kw.value for kw in call.func.value.keywords
                                             if kw.arg == "mode"]
        if mode and "b" in (_string(mode[0]) or "b"):
            raise module.error(call, "opens a file in binary or unknown mode; export inlines text only")
        return opened
    if isinstance(function, ast.Attribute) and function.attr == "read_bytes":
        raise module.error(call, "read_bytes() cannot be inlined; read sources with read_text()")
    if _dotted_name(function) in OPEN_CALLS and not _is_inner_open(module, call):
        raise module.error(call, "open() outside `open(path).read()` cannot be inlined; "
                                 "read sources with Path(__file__).with_name(NAME).read_text()")
    return None


def _is_inner_open(module: _Module, call: ast.Call) -> bool:
    return any(_opened_path(node) is not None and node.func.value is call
               for node in ast.walk(module.tree) if isinstance(node, ast.Call))


def _python_literal(text: str) -> str:
    """A raw triple-quoted literal for `text` when that reads back exactly, else repr()."""
    candidate = f'r"""{text}"""'
    if "\r" not in text and '"""' not in text and not text.endswith(('"', "\\")):
        try:
            if ast.literal_eval(candidate) == text:
                return candidate
        except (SyntaxError, ValueError):
            pass
    return repr(text)


def _inline_includes(path: Path, seen: set[Path]) -> str:
    """`path`'s text with every `#include "x"` of an existing file next to the includer replaced by
    that file's (recursively inlined) text. Each file is inlined once, as #pragma once would."""
    seen.add(path)
    _check_utf8(path, path.read_bytes())
    text = path.read_text(encoding="utf-8")
    if path.suffix not in C_SUFFIXES:
        return text

    def replace(match: re.Match) -> str:
        header = (path.parent / match.group(1)).resolve()
        if not header.is_file():
            return match.group(0)
        if header in seen:
            return f"// (already inlined above) {match.group(0).strip()}"
        body = PRAGMA_ONCE.sub("// (pragma once dropped: each header is inlined once)", _inline_includes(header, seen))
        body = body.rstrip("\n")
        return (f'// ---- begin inlined "{match.group(1)}" ----\n{body}\n'
                f'// ---- end inlined "{match.group(1)}" ----')

    return LOCAL_INCLUDE.sub(replace, text)


class _Exporter:
    """Collects the edits that make model_new.py self-contained, then applies them."""

    def __init__(self, module: _Module):
        self.module = module
        self.edits: list[_Edit] = []
        self.inlined: list[Path] = []

    def run(self) -> str:
        self._check_local_imports()
        for node in ast.walk(self.module.tree):
            if isinstance(node, ast.Call):
                self._inline_read(node)
                self._drop_include_paths(node)
        self._drop_unused_bindings()
        self._check_nothing_left()
        return self._apply()

    def _check_local_imports(self) -> None:
        folder = self.module.path.parent
        for node in ast.walk(self.module.tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise self.module.error(node, "relative import; export inlines only source files, "
                                              "so keep the Python in model_new.py")
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                if (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file():
                    raise self.module.error(node, f"imports {top}, a module of the solution "
                                                  "folder; keep the Python in model_new.py")

    def _inline_read(self, call: ast.Call) -> None:
        target = _read_target(self.module, call)
        if target is None:
            return
        path = self.module.resolve(target)
        if path is None:
            raise self.module.error(call, f"cannot work out which file `{self.module.text(target)}` "
                                          "names; use a literal file name next to model_new.py")
        if not path.is_file():
            raise self.module.error(call, f"reads {path}, which does not exist")
        seen: set[Path] = set()
        text = _inline_includes(path.resolve(), seen)
        self.inlined.extend(sorted(seen - set(self.inlined)))
        self._add(call, _python_literal(text))

    def _drop_include_paths(self, call: ast.Call) -> None:
        """extra_include_paths entries inside the solution folder are moot once headers are inlined."""
        folder = self.module.path.parent.resolve()
        for keyword in call.keywords:
            if keyword.arg != "extra_include_paths" or not isinstance(keyword.value, (ast.List, ast.Tuple)):
                continue
            kept = [element for element in keyword.value.elts
                    if not self._inside(self.module.resolve(element), folder)]
            if len(kept) < len(keyword.value.elts):
                self._add(keyword.value, "[" + ", ".join(self.module.text(e) for e in kept) + "]")

    @staticmethod
    def _inside(path: Path | None, folder: Path) -> bool:
        return path is not None and path.resolve().is_relative_to(folder)

    def _add(self, node: ast.AST, text: str) -> None:
        start, end = self.module.span(node)
        self.edits.append(_Edit(start, end, text))

    def _covered(self, node: ast.AST, regions: list[tuple[int, int]]) -> bool:
        start, end = self.module.span(node)
        return any(low <= start and end <= high for low, high in regions)

    def _outside_loads(self, name: str, regions: list[tuple[int, int]]) -> list[ast.Name]:
        return [node for node in ast.walk(self.module.tree)
                if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
                and not self._covered(node, regions)]

    def _drop_unused_bindings(self) -> None:
        """Remove path names (HERE = Path(__file__).parent) that only fed the inlined reads."""
        replaced = [(edit.start, edit.end) for edit in self.edits]
        unused = dict(self.module.bindings)
        changed = True
        while changed:
            regions = replaced + [self.module.span(statement) for statement, _ in unused.values()]
            still_used = [name for name in unused if self._outside_loads(name, regions)]
            for name in still_used:
                del unused[name]
            changed = bool(still_used)
        for statement, _ in unused.values():
            self._delete_statement(statement)

    def _delete_statement(self, statement: ast.stmt) -> None:
        start, end = self.module.span(statement)
        source = self.module.source
        line_start = source.rfind(b"\n", 0, start) + 1
        line_end = source.find(b"\n", end)
        line_end = len(source) if line_end == -1 else line_end + 1
        rest = source[end:line_end].strip()
        alone = not source[line_start:start].strip() and (not rest or rest.startswith(b"#"))
        self.edits.append(_Edit(line_start, line_end, "") if alone else _Edit(start, end, "pass"))

    def _check_nothing_left(self) -> None:
        """After the edits no __file__ may remain: KernelBench runs the exported text with exec()."""
        regions = [(edit.start, edit.end) for edit in self.edits]
        kept_bindings = [statement for statement, _ in self.module.bindings.values()
                         if not self._covered(statement, regions)]
        binding_regions = [self.module.span(statement) for statement in kept_bindings]
        for name in self.module.bindings:
            for use in self._outside_loads(name, regions + binding_regions):
                raise self.module.error(use, f"uses {name} (a path in the solution folder) for "
                                             "something other than reading a source file; export "
                                             "cannot make that self-contained")
        for use in self._outside_loads("__file__", regions):
            raise self.module.error(use, "uses __file__ for something other than reading a source "
                                         "file; export cannot make that self-contained")

    def _apply(self) -> str:
        source = self.module.source
        pieces, cursor = [], 0
        for edit in sorted(self.edits, key=lambda edit: edit.start):
            pieces += [source[cursor:edit.start].decode(), edit.text]
            cursor = edit.end
        pieces.append(source[cursor:].decode())
        return "".join(pieces)


def _display_path(path: Path, base: Path = ROOT) -> str:
    path = path.resolve()
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def export_solution(solution_dir: Path) -> str:
    """The text of one self-contained KernelBench-format .py equivalent to the directory solution."""
    solution_dir = Path(solution_dir)
    entry = solution_dir / ENTRY_FILE
    if not entry.is_file():
        raise ExportError(f"{solution_dir}: not a directory solution (no {ENTRY_FILE})")
    module = _Module(entry.resolve())
    if "ModelNew" not in {node.name for node in module.tree.body if isinstance(node, ast.ClassDef)}:
        raise ExportError(f"{entry}:1: defines no class ModelNew")
    exporter = _Exporter(module)
    body = exporter.run()
    inlined = ", ".join(_display_path(path, entry.parent.resolve()) for path in exporter.inlined)
    header = (f"# Exported from the directory solution {_display_path(solution_dir)} by harness.export.\n"
              f"# Source files inlined as string literals: {inlined or 'none'}.\n")
    exported = header + body
    ast.parse(exported)
    return exported


def write_export(solution_dir: Path, out_file: Path) -> Path:
    """Write `export_solution(solution_dir)` to `out_file` (folders created) and return its path."""
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(export_solution(solution_dir), encoding="utf-8")
    return out_file


def as_submitted(candidate: Candidate, exports_dir: Path) -> Candidate:
    """The candidate the harness evaluates: a file solution as it is, a directory solution through
    its exported single file, so what is measured is what would be submitted."""
    if candidate.kind != "directory":
        return candidate
    exported = write_export(candidate.path.parent, Path(exports_dir) / f"{candidate.name}.py")
    return Candidate(candidate.name, exported.resolve())
