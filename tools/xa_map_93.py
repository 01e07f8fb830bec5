"""CPU transcription of the XA kernels' A path (exact fp32's A straight from NCHW x): the TMA boxes that fill a
stage and the stage offsets each lane loads its fragment registers from, checked against
A[m, k] = x[n, c, i - a, j - b] (zero outside x) for every tile of a shape.

A stage holds grid rows R0 - 1 .. R0 + slots - 2 of the tile's first row R0 (R = n Hq + i), a k-block of 8
channels each, in two halves of BOXW columns (x columns from -LEAD and from BOXW - LEAD: a box starts on a 16-byte
boundary of the row): one box a half where those rows lie in one image, else one box a half and row. Fragment
register e of lane (g = lane / 4, t = lane % 4) in warp wig, m64 block mb, tap (a, b): tile row
32 wig + 16 h + 8 mb + g with h = e % 2, channel t + 4 (e / 2).

Usage: python3 tools/xa_map_93.py   (the default shapes; exit status 1 on a wrong element)
"""
import sys

import numpy as np

BM, BOXW, LEAD, KB_CI = 128, 40, 4, 8
CH_BYTES = 4 * BOXW              # one channel's columns in a half
SLOT_BYTES = KB_CI * CH_BYTES    # a grid row's half


def lane_address(xa_row: dict, half: int, b: int, e: int) -> np.ndarray:
    """Stage byte offset of fragment register e for tap (half, b), as the kernel computes it."""
    return xa_row[e & 1, b] - half * SLOT_BYTES + (e >> 1) * (KB_CI // 2) * CH_BYTES


def stage_of(x: np.ndarray, m0: int, slots: int, chunk: int) -> tuple:
    """The stage of tile row m0's chunk as its boxes fill it (one entry a word), and whether one box did."""
    Nb, Cin, H, W = x.shape
    Hq, Wq = H + 1, W + 1
    R0 = m0 // Wq
    n0, i0 = R0 // Hq, R0 % Hq

    def fill(stage, s, n, i):
        for half2 in (0, 1):   # the halves: columns from -LEAD and from BOXW - LEAD
            cc = chunk * KB_CI + np.arange(KB_CI)[:, None]
            xc = np.arange(BOXW)[None, :] - LEAD + half2 * BOXW
            # TMA takes a box only from a 16-byte boundary of the row (from column -1 the copy is an illegal
            # instruction: perf log "XA's illegal instruction")
            assert xc[0, 0] * 4 % 16 == 0, ("box start off a 16-byte boundary", xc[0, 0])
            ok = (0 <= n < Nb) & (0 <= i < H) & (xc >= 0) & (xc < W) & (cc < Cin)
            vals = np.where(ok, x[min(max(n, 0), Nb - 1), np.minimum(cc, Cin - 1), min(max(i, 0), H - 1),
                                  np.clip(xc, 0, W - 1)], 0.0)
            base = (half2 * slots * SLOT_BYTES + s * SLOT_BYTES) // 4
            stage[base + (np.arange(KB_CI)[:, None] * CH_BYTES) // 4 + np.arange(BOXW)[None, :]] = vals

    stage = np.zeros(2 * slots * SLOT_BYTES // 4, np.float32)
    n, i = (n0, i0 - 1) if i0 > 0 else (n0 - 1, H)
    for s in range(slots):
        fill(stage, s, n, i)
        i += 1
        if i == Hq:
            i, n = 0, n + 1
    one_box = i0 + slots - 2 <= H
    if one_box:
        whole = np.zeros_like(stage)
        for s in range(slots):
            fill(whole, s, n0, i0 - 1 + s)
        assert np.array_equal(whole, stage), ("one box differs from a box a row", m0)
    return stage, one_box


def check(Nb: int, Cin: int, H: int, W: int, chunk: int = 0, address=lane_address, seed: int = 0):
    """(tiles, stage rows, wrong elements, tiles loaded in one box) over every tile of the shape's chunk."""
    assert BOXW <= W and W + 1 + LEAD <= 2 * BOXW, ("XA takes 40 <= W <= 75", W)
    Hq, Wq = H + 1, W + 1
    ntiles = (Nb * Hq * Wq + BM - 1) // BM
    slots = (BM + Wq - 2) // Wq + 2
    x = np.random.default_rng(seed).standard_normal((Nb, Cin, H, W)).astype(np.float32)
    lane = np.arange(32)
    g, t = lane >> 2, lane & 3
    wrong = one_boxes = 0
    for tile in range(ntiles):
        m0 = tile * BM
        stage, one = stage_of(x, m0, slots, chunk)
        one_boxes += one
        r0 = m0 // Wq
        for wig in range(4):
            for mb in range(2):
                m = {h: m0 + 32 * wig + 16 * h + 8 * mb + g for h in (0, 1)}
                xa_row = {}
                for h in (0, 1):
                    row = (m[h] // Wq - r0 + 1) * SLOT_BYTES + t * CH_BYTES
                    for b in (0, 1):
                        col = m[h] % Wq - b + LEAD   # x column j - b, counted from column -LEAD
                        xa_row[h, b] = row + np.where(col < BOXW, col * 4, slots * SLOT_BYTES + (col - BOXW) * 4)
                for half in (0, 1):
                    for b in (0, 1):
                        for e in range(4):
                            addr = address(xa_row, half, b, e)
                            inside = (addr >= 0) & (addr < 2 * slots * SLOT_BYTES)
                            got = np.where(inside, stage[np.clip(addr // 4, 0, stage.size - 1)], np.nan)
                            mm = m[e & 1]
                            nn, ii, jj = mm // (Hq * Wq), mm % (Hq * Wq) // Wq, mm % Wq
                            xi, xj, cc = ii - half, jj - b, chunk * KB_CI + t + 4 * (e >> 1)
                            ok = (nn < Nb) & (xi >= 0) & (xi < H) & (xj >= 0) & (xj < W) & (cc < Cin)
                            want = np.where(ok, x[np.minimum(nn, Nb - 1), np.minimum(cc, Cin - 1),
                                                 np.clip(xi, 0, H - 1), np.clip(xj, 0, W - 1)], 0.0)
                            wrong += int(np.count_nonzero(got != want))
    return ntiles, slots, wrong, one_boxes


# (batch, Cin, H, W[, chunk]): kernelbench-v0.1's width, a partial chunk, W = 68 and 75 (the widest), tiles across
# images, W = 48's 5-row stages, W = 40 (the narrowest)
SHAPES = [(2, 64, 64, 64), (1, 13, 64, 64, 1), (3, 8, 68, 68), (2, 16, 64, 75), (1, 8, 68, 64), (2, 8, 30, 48),
          (2, 16, 9, 40)]

if __name__ == "__main__":
    failed = 0
    for shape in SHAPES:
        tiles, slots, wrong, ones = check(*shape[:4], chunk=shape[4] if len(shape) > 4 else 0)
        print(f"shape {shape}: {tiles} tiles ({ones} in one box), {slots} stage rows, {wrong} wrong elements")
        failed += wrong
    sys.exit(1 if failed else 0)
