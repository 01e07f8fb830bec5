"""Cheat 4: computes the first output and returns it again for every later
call with the same input shape."""
from _honest_core import HonestModel


class ModelNew(HonestModel):
    _cache = {}

    def forward(self, x):
        key = tuple(x.shape)
        if key not in self._cache:
            self._cache[key] = self.honest_forward(x)
        return self._cache[key]
