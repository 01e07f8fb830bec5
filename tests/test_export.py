import ast
import importlib.util
import textwrap
from pathlib import Path

import pytest
import torch

from harness.export import ExportError, export_solution, write_export

FIXTURE = Path(__file__).parent / "fixtures" / "dir_solution_cpu"
MODEL_CLASS = "class ModelNew:\n    pass\n"


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _solution(tmp_path: Path, model_new: str, files: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "solution"
    folder.mkdir()
    (folder / "model_new.py").write_text(textwrap.dedent(model_new) + MODEL_CLASS)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _file_uses(tree: ast.AST) -> list[str]:
    """Every construct in `tree` that could read a file or locate one."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in {"__file__", "open"}:
            uses.append(node.id)
        if isinstance(node, ast.Attribute) and node.attr in {"read_text", "read_bytes", "read"}:
            uses.append(node.attr)
    return uses


def test_exported_fixture_is_valid_python_without_file_reads():
    exported = export_solution(FIXTURE)
    tree = ast.parse(exported)
    assert _file_uses(tree) == []
    assert exported.startswith("# Exported from the directory solution ")
    assert "dir_solution_cpu" in exported.splitlines()[0]
    assert "inline float scale_shift_one" in exported  # ops_impl.h inlined into ops.cpp
    assert '#include "ops_impl.h"' not in exported
    assert "HERE" not in exported and "extra_include_paths=[]" in exported


def test_round_trip_directory_and_export_give_the_same_outputs(tmp_path):
    exported = write_export(FIXTURE, tmp_path / "out" / "dir_solution_cpu.py")
    assert exported.is_file()
    x = torch.randn(4, 37)
    outputs = []
    for path, name in [(FIXTURE / "model_new.py", "dir_form"), (exported, "exported_form")]:
        outputs.append(_import(path, name).ModelNew()(x))
    torch.testing.assert_close(outputs[0], x * 2 + 1)
    torch.testing.assert_close(outputs[1], outputs[0], rtol=0, atol=0)


def test_exported_text_runs_under_exec_without_file():
    """KernelBench loads a solution with exec(), where __file__ is undefined."""
    exported = export_solution(FIXTURE)
    namespace = {"__name__": "kernelbench_exec"}
    exec(compile(exported, "<exported>", "exec"), namespace)
    x = torch.arange(6, dtype=torch.float32)
    torch.testing.assert_close(namespace["ModelNew"]()(x), x * 2 + 1)


@pytest.mark.parametrize("read", [
    'Path(__file__).with_name("k.cu").read_text()',
    '(Path(__file__).parent / "k.cu").read_text(encoding="utf-8")',
    'pathlib.Path(__file__).resolve().parent.joinpath("k.cu").read_text()',
    'open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "k.cu")).read()',
    'open(str(HERE / "k.cu"), "r").read()',
])
def test_read_forms_are_inlined_with_the_exact_text(tmp_path, read):
    tricky = 'const char* s = "\\n \\\\ \'quote\' ";\n// """ triple quotes """\nint x; \\'
    folder = _solution(tmp_path, f"""
        import os
        import pathlib
        from pathlib import Path
        HERE = Path(__file__).parent
        SOURCE = {read}
        """, {"k.cu": tricky})
    exported = export_solution(folder)
    assert _file_uses(ast.parse(exported)) == []
    namespace: dict = {}
    exec(exported, namespace)
    assert namespace["SOURCE"] == tricky


def test_plain_text_becomes_a_raw_triple_quoted_literal(tmp_path):
    folder = _solution(tmp_path, """
        from pathlib import Path
        SOURCE = Path(__file__).with_name("k.cu").read_text()
        """, {"k.cu": 'printf("%d\\n", 1);\n'})
    assert 'SOURCE = r"""printf("%d\\n", 1);\n"""' in export_solution(folder)


def test_nested_includes_are_inlined_once_and_library_headers_left(tmp_path):
    folder = _solution(tmp_path, """
        from pathlib import Path
        SOURCE = Path(__file__).with_name("main.cu").read_text()
        """, {
        "main.cu": '#include "cuda_fp16.h"\n#include "inc/a.cuh"\n#include "inc/b.cuh"\nMAIN\n',
        "inc/a.cuh": '#pragma once\n#include "b.cuh"\nA\n',
        "inc/b.cuh": "#pragma once\nB\n",
    })
    namespace: dict = {}
    exec(export_solution(folder), namespace)
    source = namespace["SOURCE"]
    assert source.count("\nB\n") == 1 and source.index("\nB\n") < source.index("\nA\n")
    assert '#include "cuda_fp16.h"' in source and "#pragma once" not in source
    assert "inc/a.cuh" in export_solution(folder).splitlines()[1]


def test_computed_file_name_is_an_error_naming_file_and_line(tmp_path):
    folder = _solution(tmp_path, """
        from pathlib import Path
        NAME = "k"
        SOURCE = (Path(__file__).parent / f"{NAME}.cu").read_text()
        """, {"k.cu": "x"})
    with pytest.raises(ExportError, match=r"model_new\.py:4: cannot work out which file"):
        export_solution(folder)


def test_missing_source_file_is_an_error(tmp_path):
    folder = _solution(tmp_path, """
        from pathlib import Path
        SOURCE = Path(__file__).with_name("gone.cu").read_text()
        """)
    with pytest.raises(ExportError, match=r"model_new\.py:3: reads .*gone\.cu, which does not exist"):
        export_solution(folder)


@pytest.mark.parametrize("body, message", [
    ("from pathlib import Path\nHERE = Path(__file__).parent\nprint(HERE)\n",
     r":3: uses HERE .* other than reading a source file"),
    ("print(__file__)\n", r":1: uses __file__ for something other"),
    ("with open('k.cu') as f:\n    SOURCE = f.read()\n", r":1: open\(\) outside"),
    ("from pathlib import Path\nB = Path(__file__).with_name('k.cu').read_bytes()\n", r":2: read_bytes"),
    ("from pathlib import Path\nSOURCE = Path('k.cu').read_text()\n", r":2: cannot work out"),
    ("from .helpers import f\n", r":1: relative import"),
    ("import helpers\n", r":1: imports helpers, a module of the solution folder"),
])
def test_what_export_cannot_make_self_contained_is_an_error(tmp_path, body, message):
    folder = _solution(tmp_path, body, {"k.cu": "x", "helpers.py": ""})
    with pytest.raises(ExportError, match=message):
        export_solution(folder)


def test_not_a_directory_solution(tmp_path):
    with pytest.raises(ExportError, match="no model_new.py"):
        export_solution(tmp_path)
    (tmp_path / "model_new.py").write_text("class Model:\n    pass\n")
    with pytest.raises(ExportError, match="defines no class ModelNew"):
        export_solution(tmp_path)


def test_a_file_that_is_not_utf8_is_an_error_naming_file_and_line(tmp_path):
    folder = _solution(tmp_path, """
        from pathlib import Path
        SOURCE = Path(__file__).with_name("k.cu").read_text()
        """, {"k.cu": "x"})
    (folder / "k.cu").write_bytes(b"// ok\n// caf\xe9\n")
    with pytest.raises(ExportError, match=r"k\.cu:2: not UTF-8 text \(byte 0xe9\)"):
        export_solution(folder)
    (folder / "model_new.py").write_bytes(b"# caf\xe9\n" + MODEL_CLASS.encode())
    with pytest.raises(ExportError, match=r"model_new\.py:1: not UTF-8 text"):
        export_solution(folder)
