"""Partial sectors of the fused problem-93 kernel's zero-block write-out, by who writes the sector's other part (CPU).

The kernelbench-v0.1 output (N x 128 x 130 x 130, fp32 or bf16) as main's 128-column kernels store an all-zero n8
block: 128-position tiles, lane L of warp w storing tile position 32 w + L, one store per (channel, phase row) and
the pair (pw 0, pw 1) of one position. A store's bytes are contiguous within an output row, so a sector is split
only where two stores' bytes meet off a 32-byte boundary: inside a row where the warp or the tile changes, and at a
row's end. Counts those boundaries by class (see the perf log's entry "Why TF32 is slow on the H100").

Usage: python3 tools/partial_sectors_93.py [--images N]
"""
import argparse

import numpy as np

CO, HQ, OW = 128, 65, 130
TILE, WARP = 128, 32
SECTOR = 32


def partial_sectors(esz: int, images: int = 128) -> dict:
    """{class: number of store boundaries off a sector boundary} for output elements of `esz` bytes."""
    pair, row_bytes = 2 * esz, OW * esz
    n = np.arange(images)[:, None, None]
    i = np.arange(HQ)[None, :, None]
    j = np.arange(HQ)[None, None, :]
    pos = n * HQ * HQ + i * HQ + j
    p64, last_i = pos[:, :, HQ - 1], np.arange(HQ)[None, :] == HQ - 1
    counts = dict.fromkeys(("inside a row, tile boundary", "inside a row, warp boundary",
                            "row end, another store of the same warp", "row end, same tile, another warp",
                            "row end, another tile", "plane end (next channel)"), 0)
    for co in range(CO):
        for ph in (0, 1):
            row = (n * CO + co) * OW + 2 * i + ph
            off_sector = (row * row_bytes + j * pair) % SECTOR != 0
            starts = (pos % WARP == 0) & (j >= 1) & off_sector
            tile_start = starts & (pos % TILE == 0)
            counts["inside a row, tile boundary"] += np.count_nonzero(tile_start)
            counts["inside a row, warp boundary"] += np.count_nonzero(starts & ~tile_start)
            end_off = ((row[:, :, 0] + 1) * row_bytes) % SECTOR != 0
            # the next row in memory starts at position (i, 0) (phase row 1) or (i + 1, 0) (phase row 0 of i + 1)
            nxt = pos[:, :, 0] if ph == 0 else p64 + 1
            plane_end = last_i & (ph == 1)
            same_tile = nxt // TILE == p64 // TILE
            same_warp = same_tile & (nxt // WARP == p64 // WARP)
            inner = end_off & ~plane_end
            counts["row end, another store of the same warp"] += np.count_nonzero(inner & same_warp)
            counts["row end, same tile, another warp"] += np.count_nonzero(inner & same_tile & ~same_warp)
            counts["row end, another tile"] += np.count_nonzero(inner & ~same_tile)
            counts["plane end (next channel)"] += np.count_nonzero(end_off & plane_end)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=128)
    args = ap.parse_args()
    for esz, name in ((4, "fp32"), (2, "bf16")):
        counts = partial_sectors(esz, args.images)
        print(name)
        for cls, k in counts.items():
            print(f"  {cls:40s} {k / 1e6:7.3f} M")
        total = sum(counts.values())
        print(f"  {'total':40s} {total / 1e6:7.3f} M ({total * SECTOR / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
