import pytest
import torch

from conftest import PROBLEM, REPO
from harness.config import MODULE_DEFAULTS, load_config
from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.problem import find_problem, list_problems, load_module
from harness.seeding import Trial, make_inputs, trial_plan


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_constants_override_module_before_get_inputs(test_root):
    problem = find_problem(PROBLEM, test_root)
    size_set = problem.config().size_set("small")
    module = load_module(problem.path, size_set.constants)
    (x,) = module.get_inputs()
    assert x.shape == (2, 8, 9, 11)
    assert module.get_init_inputs() == [8, 8, 4, 2, 0.5, 2.0]


def test_partial_override_keeps_other_constants(test_root):
    problem = find_problem(PROBLEM, test_root)
    module = load_module(problem.path, problem.config().size_set("tiny-randn").constants)
    assert module.get_init_inputs()[:4] == [3, 2, 4, 2]


def test_input_distribution_and_extra_distributions(test_root):
    problem = find_problem(PROBLEM, test_root)
    config = problem.config()
    plan = trial_plan(config, config.size_set("tiny-randn"))
    assert [t.name for t in plan] == [f"get_inputs#{i}" for i in range(5)] + ["randn*4", "uniform(-1,1)"]
    module = load_module(problem.path, config.size_set("tiny-randn").constants)
    (x,) = make_inputs(module, plan[0], "cpu", "fp32")
    assert x.min() < 0, "randn inputs, not get_inputs()' torch.rand"
    (wide,) = make_inputs(module, plan[5], "cpu", "fp32")
    assert wide.std() > 2.5
    (uniform,) = make_inputs(module, plan[6], "cpu", "fp32")
    assert -1 <= uniform.min() < 0 < uniform.max() <= 1


def test_inputs_are_reproducible_and_differ_between_trials(test_root):
    problem = find_problem(PROBLEM, test_root)
    size_set = problem.config().size_set("small")
    first = make_inputs(load_module(problem.path, size_set.constants), Trial("a", 1), "cpu", "fp32")[0]
    again = make_inputs(load_module(problem.path, size_set.constants), Trial("a", 1), "cpu", "fp32")[0]
    other = make_inputs(load_module(problem.path, size_set.constants), Trial("b", 2), "cpu", "fp32")[0]
    assert torch.equal(first, again) and not torch.equal(first, other)
    half = make_inputs(load_module(problem.path, size_set.constants), Trial("a", 1), "cpu", "bf16")[0]
    assert half.dtype == torch.bfloat16


def test_tolerances_default_and_override(tmp_path):
    config = load_config(write(tmp_path, "sets: {a: {}}\ntolerances: {tf32: {atol: 0.5, rtol: 0.25}}\n"))
    assert (config.tolerance("tf32").atol, config.tolerance("tf32").rtol) == (0.5, 0.25)
    assert config.tolerance("fp32").atol == 1e-4 and config.tolerance("fp16").rtol == 1e-2


@pytest.mark.parametrize("text, key", [
    ("sets: {a: {constants: {x: 1}}\n", "malformed YAML"),
    ("sets: {a: {}}\nbogus: 1\n", "'bogus'"),
    ("sets: {a: {constans: {}}}\n", "sets.a: unknown key 'constans'"),
    ("sets: {a: {}}\ndistributions: [{name: d, kind: normal}]\n", "distributions[0].kind"),
    ("sets: {a: {}}\ndistributions: [{name: d, kind: rand, scale: 2}]\n", "distributions[0].scale"),
    ("sets: {a: {}}\ndistributions: [{name: uniform(-1,1), kind: uniform, low: -1, high: 1}]\n",
     "unknown key '1)'"),
    ("sets: {a: {input_distribution: gaussian}}\n", "sets.a.input_distribution"),
    ("sets: {a: {}}\ntolerances: {fp8: {atol: 1, rtol: 1}}\n", "unknown key 'fp8'"),
    ("sets: {a: {}}\ntolerances: {fp32: {atol: x, rtol: 1}}\n", "tolerances.fp32.atol"),
    ("sets: {a: {}}\ntrials: {correctness: 2}\n", "trials.correctness"),
    ("sets: {a: {}}\ndefault: b\n", "default"),
    ("sets: {a: {}}\ndefault: [a]\n", "default"),
    ("sets: {a: {input_distribution: [randn]}}\n", "sets.a.input_distribution"),
    ("sets: {a: {}}\ntolerances: {fp32: {atol: -1, rtol: 1}}\n", "tolerances.fp32"),
    ("[1, 2]\n", "expected a mapping"),
])
def test_malformed_configs_name_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_unknown_constant_and_unknown_set(test_root, tmp_path):
    problem = find_problem(PROBLEM, test_root)
    broken = tmp_path / "configs" / "level2"
    broken.mkdir(parents=True)
    (broken / f"{problem.stem}.yaml").write_text("sets: {a: {constants: {batchsize: 3}}}\n")
    (tmp_path / "problems" / "level2").mkdir(parents=True)
    (tmp_path / "problems" / "level2" / problem.path.name).write_text(problem.path.read_text())
    with pytest.raises(ConfigError, match=r"sets\.a\.constants\.batchsize: .* no module-level constant"):
        find_problem(PROBLEM, tmp_path).config()
    with pytest.raises(NotFoundError, match="unknown config 'nope'"):
        problem.config().size_set("nope")


def test_unmodified_kernelbench_file_loads_with_module_defaults(tmp_path):
    path = tmp_path / "19_ReLU.py"
    path.write_text("import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n"
                    "    def forward(self, x):\n        return torch.relu(x)\n\n"
                    "batch_size = 4\ndim = 8\n\ndef get_inputs():\n    return [torch.randn(batch_size, dim)]\n\n"
                    "def get_init_inputs():\n    return []\n")
    problem = find_problem(str(path), REPO)
    config = problem.config()
    assert list(config.sets) == [MODULE_DEFAULTS] and problem.name == "19_ReLU"
    module = load_module(problem.path, config.size_set().constants)
    assert module.get_inputs()[0].shape == (4, 8)


def test_committed_configs_are_valid():
    problems = [p for p in list_problems(REPO) if p.config_path is not None]
    assert problems, "no committed problem configs found"
    for problem in problems:
        problem.config()


def test_files_that_are_not_utf8_are_errors_naming_the_file(test_root, tmp_path):
    config = tmp_path / "latin1.yaml"
    config.write_bytes(b"# caf\xe9\nsets: {a: {}}\n")
    with pytest.raises(ConfigError, match="latin1.yaml: not UTF-8 text"):
        load_config(config)
    problem = find_problem(PROBLEM, test_root)
    (tmp_path / "configs" / "level2").mkdir(parents=True)
    (tmp_path / "configs" / "level2" / f"{problem.stem}.yaml").write_text("sets: {a: {}}\n")
    (tmp_path / "problems" / "level2").mkdir(parents=True)
    (tmp_path / "problems" / "level2" / problem.path.name).write_bytes(b"# caf\xe9\n" + problem.path.read_bytes())
    with pytest.raises(HarnessError, match=f"{problem.path.name}: not UTF-8 text"):
        find_problem(PROBLEM, tmp_path).config()
