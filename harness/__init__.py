"""KernelBench-style harness: load a problem, compile a candidate, check it, time it, record it."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
