"""Shared fixtures: a throwaway repo root holding problem 93, a test-owned config and the fixture candidates."""
import shutil
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = Path(__file__).resolve().parent / "candidates"
PROBLEM = "level2/93_ConvTranspose2d_Add_Min_GELU_Multiply"

pytest_plugins = ["failure_log"]

TEST_CONFIG = f"""
problem: {PROBLEM}
default: small
sets:
  small:
    constants: {{batch_size: 2, in_channels: 8, out_channels: 8, height: 9, width: 11,
                kernel_size: 4, stride: 2, add_value: 0.5, multiply_value: 2.0}}
  tiny-randn:
    constants: {{batch_size: 1, in_channels: 3, out_channels: 2, height: 5, width: 4}}
    input_distribution: randn
distributions:
  - {{name: "randn*4", kind: randn, scale: 4.0}}
  - {{name: "uniform(-1,1)", kind: uniform, low: -1.0, high: 1.0}}
trials: {{correctness: 5, timing: 5, warmup: 1}}
"""


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; none is visible")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def test_root(tmp_path_factory) -> Path:
    """problems/ and a test config for problem 93, solutions/ holding the fixture candidates."""
    root = tmp_path_factory.mktemp("root")
    level, stem = PROBLEM.split("/")
    (root / "problems" / level).mkdir(parents=True)
    shutil.copy(REPO / "problems" / level / f"{stem}.py", root / "problems" / level)
    (root / "configs" / level).mkdir(parents=True)
    (root / "configs" / level / f"{stem}.yaml").write_text(TEST_CONFIG)
    solutions = root / "solutions" / level / stem
    shutil.copytree(CANDIDATES, solutions, ignore=shutil.ignore_patterns("__pycache__"))
    return root
