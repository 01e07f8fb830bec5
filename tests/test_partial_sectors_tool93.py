"""tools/partial_sectors_93.py's class counts against a brute-force walk over every output pair in memory order."""
import sys
from pathlib import Path

import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import partial_sectors_93 as ps  # noqa: E402


def brute_force(esz: int, images: int) -> dict:
    """Boundaries between memory-adjacent pairs with different writers, off a sector boundary, by the writers'
    relation."""
    n, co, oh, jj = np.meshgrid(np.arange(images), np.arange(ps.CO), np.arange(ps.OW), np.arange(ps.HQ), indexing="ij")
    i, ph = oh // 2, oh % 2
    pos = (n * ps.HQ + i) * ps.HQ + jj
    tile, warp, store = pos // ps.TILE, pos // ps.WARP, co * 2 + ph
    byte = ((n * ps.CO + co) * ps.OW + oh) * ps.OW * esz + jj * 2 * esz
    tile, warp, store, byte = (a.reshape(-1) for a in (tile, warp, store, byte))
    boundary = (byte[1:] % ps.SECTOR != 0) & ((warp[1:] != warp[:-1]) | (store[1:] != store[:-1]))
    other_tile = tile[1:] != tile[:-1]
    other_warp = ~other_tile & (warp[1:] != warp[:-1])
    return {"other tile": np.count_nonzero(boundary & other_tile),
            "same tile, other warp": np.count_nonzero(boundary & other_warp),
            "same warp": np.count_nonzero(boundary & ~other_tile & ~other_warp)}


@pytest.mark.parametrize("esz", [4, 2])
def test_classes_add_up_to_the_brute_force_walk(esz):
    counts, expected = ps.partial_sectors(esz, images=2), brute_force(esz, images=2)
    assert counts["inside a row, tile boundary"] + counts["row end, another tile"] \
        + counts["plane end (next channel)"] == expected["other tile"]
    assert counts["inside a row, warp boundary"] + counts["row end, same tile, another warp"] \
        == expected["same tile, other warp"]
    assert counts["row end, another store of the same warp"] == expected["same warp"]
    assert min(expected.values()) > 0
