"""tools/xa_map_93.py: the XA kernels' fragment addresses give A[m, k] = x[n, c, i - a, j - b] for every tile of
shapes that cut rows and images; wrong address formulas fail the same check."""
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import xa_map_93 as xa  # noqa: E402

SHAPES = [(2, 16, 64, 64), (1, 13, 20, 64, 1), (3, 8, 9, 68), (2, 8, 9, 75), (2, 8, 30, 48), (2, 16, 9, 40)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_every_fragment_element_is_its_A_entry(shape):
    tiles, slots, wrong, one_box = xa.check(*shape[:4], chunk=shape[4] if len(shape) > 4 else 0)
    assert wrong == 0
    assert 0 < one_box < tiles   # both ways of filling a stage ran


def tap_sign_flipped(xa_row, half, b, e):
    return xa.lane_address(xa_row, half, b, e) + 8 * b


def channel_halves_swapped(xa_row, half, b, e):
    return xa.lane_address(xa_row, half, b, e ^ 2)


def row_halves_swapped(xa_row, half, b, e):
    return xa.lane_address(xa_row, half, b, e ^ 1)


@pytest.mark.parametrize("address", [tap_sign_flipped, channel_halves_swapped, row_halves_swapped])
def test_wrong_addresses_are_caught(address):
    assert xa.check(2, 16, 9, 64, address=address)[2] > 0


def test_rows_too_wide_for_two_boxes_are_refused():
    with pytest.raises(AssertionError, match="W <= 75"):
        xa.check(1, 8, 9, 76)
