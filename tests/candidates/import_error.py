"""Fails while being imported (as a broken extension build would): `compile_error`."""
raise ImportError("deliberate failure at import")


class ModelNew:
    pass
