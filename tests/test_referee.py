"""The referee's protocol, windows and kept calls, and the output checksum, without a worker process."""
import threading
import time

import torch

from harness.referee import KEPT_CALLS, Checksum, Referee, RefereeClient


def serve(calls: int, worker, stop_after: int | None = None) -> Referee:
    """A referee for `calls` calls and `worker(client, call)` run for each in a thread of this process."""
    referee = Referee(calls)
    client = RefereeClient(referee.worker_fd)
    referee.start()

    def run():
        for call in range(calls if stop_after is None else stop_after):
            worker(client, call)
        client._socket.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    referee.finish()
    return referee


def test_windows_seeds_and_kept_calls():
    seen = []

    def worker(client, call):
        seed = client.start_call()
        time.sleep(0.02)
        seen.append((seed, client.commit(checksum=-call)))

    referee = serve(8, worker)
    assert referee.complete and len(referee.keep) == KEPT_CALLS + 1 and 7 in referee.keep
    assert [(c.seed, c.kept) for c in referee.log] == seen
    assert [c.checksum for c in referee.log] == [0, -1, -2, -3, -4, -5, -6, -7]
    assert all(20.0 <= c.window_ms < 1000.0 for c in referee.log)
    assert len({c.seed for c in referee.log}) == 8


def test_kept_calls_differ_between_referees():
    draws = {frozenset(Referee(100).keep) for _ in range(5)}
    assert len(draws) > 1


def test_a_worker_that_stops_early_leaves_the_log_incomplete():
    def worker(client, call):
        client.start_call()
        client.commit(checksum=call)

    referee = serve(6, worker, stop_after=2)
    assert not referee.complete and len(referee.log) == 2


def test_checksum_sees_every_bit_and_only_the_bytes():
    checksum = Checksum()
    x = torch.randn(3, 5, 7)
    flipped = x.clone()
    flipped.view(torch.int32)[1, 2, 3] ^= 1
    assert checksum([x]) == checksum([x.clone()]) == Checksum()([x])
    assert checksum([x]) != checksum([flipped])
    assert checksum([x.transpose(0, 2)]) == checksum([x.transpose(0, 2).contiguous()])
    assert checksum([x, x]) != checksum([x, flipped])
    odd = torch.tensor([1, 2, 3], dtype=torch.uint8)   # 3 bytes: padded to one 64-bit word
    assert checksum([odd]) != checksum([torch.tensor([1, 2, 4], dtype=torch.uint8)])
    half = x.to(torch.bfloat16)
    half_flipped = half.clone()
    half_flipped.view(torch.int16)[0, 0, 0] ^= 1
    assert checksum([half]) != checksum([half_flipped])
