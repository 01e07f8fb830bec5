"""Deterministic models and inputs, shared by the candidate worker and the judge so both see identical tensors."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .config import Distribution, ProblemConfig, SizeSet

MODEL_SEED = 42
DTYPES = {"fp32": torch.float32, "fp32-exact": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class Trial:
    """One correctness trial: a seed and, optionally, a distribution that replaces get_inputs()' values."""

    name: str
    seed: int
    distribution: Distribution | None = None
    from_get_inputs: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Trial":
        dist = data.get("distribution")
        return cls(data["name"], data["seed"], Distribution(**dist) if dist else None, data["from_get_inputs"])


def trial_plan(config: ProblemConfig, size_set: SizeSet) -> list[Trial]:
    """get_inputs() trials with fresh seeds, then one trial per extra distribution in the config."""
    plan = [Trial(f"get_inputs#{i}", 1000 + i, size_set.input_distribution)
            for i in range(config.trials.correctness)]
    plan += [Trial(d.name, 2000 + j, d, from_get_inputs=False) for j, d in enumerate(config.distributions)]
    return plan


def apply_precision_mode(dtype_name: str) -> None:
    """fp32-exact turns TF32 off for convolutions and matmuls; the other modes keep PyTorch's defaults."""
    if dtype_name == "fp32-exact":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False


def precision_key(dtype_name: str, device: str) -> str:
    """The tolerance key: fp32 on CUDA with cuDNN TF32 allowed is `tf32`."""
    if dtype_name == "fp32":
        return "tf32" if device == "cuda" and torch.backends.cudnn.allow_tf32 else "fp32"
    return "fp32" if dtype_name == "fp32-exact" else dtype_name


def make_inputs(module, trial: Trial, device: str, dtype_name: str) -> list:
    """get_inputs() under a seeded CPU generator; floating tensors redrawn from the trial's distribution,
    cast to the run's dtype and moved to the device."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(trial.seed)
        inputs = list(module.get_inputs())
    generator = torch.Generator().manual_seed(trial.seed)
    prepared = []
    for value in inputs:
        if isinstance(value, torch.Tensor):
            value = value.cpu()
            if value.is_floating_point():
                if trial.distribution is not None:
                    value = sample(trial.distribution, value.shape, generator).to(value.dtype)
                value = value.to(DTYPES[dtype_name])
            value = value.to(device)
        prepared.append(value)
    return prepared


TIMING_PERTURBATION = 0.125   # well above every tolerance, so a stale result fails


def perturb_inputs(inputs: list, base: list, seed: int) -> None:
    """The inputs of one timed call, written into `inputs` in place: every floating tensor of `base`
    times (1 + u * TIMING_PERTURBATION), u uniform in [-1, 1) from a generator on the tensor's device
    seeded with `seed`. Values change on every timed call, so a forward cannot return a result it
    cached from an earlier call; the judge redraws a kept call's values from the same seed (the
    referee's)."""
    for value, original in zip(inputs, base):
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            generator = torch.Generator(device=value.device).manual_seed(seed)
            u = torch.rand(value.shape, generator=generator, device=value.device)
            value.copy_(original.float() * (1 + (2 * u - 1) * TIMING_PERTURBATION))


def sample(dist: Distribution, shape, generator: torch.Generator) -> torch.Tensor:
    if dist.kind == "randn":
        return torch.randn(shape, generator=generator) * dist.scale
    if dist.kind == "uniform":
        return torch.empty(shape).uniform_(dist.low, dist.high, generator=generator)
    return torch.rand(shape, generator=generator)


def build_model(cls, init_inputs, device: str, dtype_name: str) -> torch.nn.Module:
    """Construct after torch.manual_seed(MODEL_SEED), then move to the device and cast."""
    torch.manual_seed(MODEL_SEED)
    model = cls(*init_inputs).to(device)
    dtype = DTYPES[dtype_name]
    return model.to(dtype) if dtype != torch.float32 else model


def as_tensor_list(output) -> list:
    """A forward's result as a list of tensors; anything else is a TypeError."""
    values = list(output) if isinstance(output, (tuple, list)) else [output]
    for value in values:
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"forward returned {type(value).__name__}, expected tensors")
    return values
