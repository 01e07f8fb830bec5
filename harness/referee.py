"""The referee: the timed calls' seeds, their clock and their spot checks, in the trusted parent process.

The candidate's process times its own calls, so the times it reports could be made up, and only
some of its outputs can be judged. The referee paces every timed call (warm-up included) from the
process that started the worker, over a socket pair:

    worker                                      referee
    b"s"                               ->       stamps the call's start
                                       <-       8-byte seed of the call's input values
    perturb, time the call, checksum its output
    b"c" + 8-byte checksum             ->       stamps the call's end
                                       <-       1 byte: keep this output for the judge?

A timed input is not known before its call starts. The checksum commits the whole output before
the worker learns whether it is kept; the kept calls are drawn by the referee and never sent ahead,
so a candidate that skips work on some timed calls fails on a kept one, and one that does its work
outside the timed region does it inside the referee's window, whose median `evaluate` compares with
the time the candidate's process reports.
"""
from __future__ import annotations

import math
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass

import torch

KEPT_CALLS = 3   # besides the last call, which is always kept
CHECKSUM_SEED = 0x5EED
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # Linux; Python does not export it everywhere
_WORD = struct.Struct("<q")


@dataclass
class TimedCall:
    """One paced call as the referee saw it: its input seed, window (ms), committed checksum, whether
    its output was kept for the judge, and when the window opened (epoch s)."""

    seed: int
    window_ms: float
    checksum: int
    kept: bool
    start_s: float = math.nan


class Referee:
    """Serves `calls` timed calls to one worker and records them. `worker_fd` goes to the worker
    (`subprocess.Popen(pass_fds=...)`); call `close_worker_end` once it has started."""

    def __init__(self, calls: int):
        self.calls = calls
        self.keep = {calls - 1} | set(secrets.SystemRandom().sample(range(calls - 1), min(KEPT_CALLS, calls - 1)))
        # Packets: one message per receive, and the kernel stamps each on arrival, so a window does
        # not grow when this thread is scheduled late (a candidate's busy threads can delay it).
        self._ours, self._theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._ours.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.worker_fd = self._theirs.fileno()
        self.log: list[TimedCall] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close_worker_end(self) -> None:
        self._theirs.close()

    def finish(self, timeout_s: float = 5.0) -> None:
        """Wait for the serving thread (the worker has exited, so its socket end is closed)."""
        self._thread.join(timeout_s)
        self._ours.close()

    @property
    def complete(self) -> bool:
        return len(self.log) == self.calls

    def _serve(self) -> None:
        try:
            for call in range(self.calls):
                if self._receive()[0] != b"s":
                    return
                seed = secrets.randbelow(2**31)
                start_ns = time.time_ns()   # the clock of the kernel's arrival stamps
                self._ours.send(_WORD.pack(seed))
                message, arrived_ns = self._receive()
                if len(message) != 1 + _WORD.size or message[:1] != b"c":
                    return
                kept = call in self.keep
                self._ours.send(b"\x01" if kept else b"\x00")
                self.log.append(TimedCall(seed, (arrived_ns - start_ns) / 1e6, _WORD.unpack(message[1:])[0], kept,
                                          start_ns / 1e9))
        except OSError:   # the worker went away mid-call: the log stays incomplete
            return

    def _receive(self) -> tuple[bytes, int]:
        """A message and the time it arrived (ns, CLOCK_REALTIME), or an OSError when the worker has gone."""
        message, ancillary, _, _ = self._ours.recvmsg(64, socket.CMSG_SPACE(16))
        if not message:
            raise OSError("the worker closed the referee socket")
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                return message, seconds * 10**9 + nanoseconds
        return message, time.time_ns()


class RefereeClient:
    """The worker's side of the protocol."""

    def __init__(self, fd: int):
        self._socket = socket.socket(fileno=fd)

    def start_call(self) -> int:
        """The seed of this call's input values."""
        self._socket.send(b"s")
        return _WORD.unpack(self._socket.recv(_WORD.size))[0]

    def commit(self, checksum: int) -> bool:
        """Commit the call's output; True when the referee keeps it for the judge."""
        self._socket.send(b"c" + _WORD.pack(checksum))
        return self._socket.recv(1) == b"\x01"


class Checksum:
    """sum(word_i * weight_i) mod 2**64 over the 64-bit words of every output's bytes, with fixed random
    weights: it changes with any bit of any output, costs a few passes over the output, and gives the same
    value for the same bytes on the same device type (integer sums do not depend on their order)."""

    def __init__(self):
        self._weights: dict = {}

    def __call__(self, outputs: list) -> int:
        total = 0
        for index, output in enumerate(outputs):
            words = _words(output)
            total += int((words * self._weights_for(index, words)).sum())
        return _WORD.unpack(struct.pack("<Q", total % 2**64))[0]

    def _weights_for(self, index: int, words: torch.Tensor) -> torch.Tensor:
        key = (index, words.numel(), words.device)
        if key not in self._weights:
            generator = torch.Generator(device=words.device).manual_seed(CHECKSUM_SEED + index)
            self._weights[key] = torch.randint(-2**62, 2**62, words.shape, generator=generator,
                                               device=words.device, dtype=torch.int64)
        return self._weights[key]


def _words(output: torch.Tensor) -> torch.Tensor:
    data = output.detach().contiguous().reshape(-1).view(torch.uint8)
    pad = -data.numel() % 8
    if pad:
        data = torch.cat([data, data.new_zeros(pad)])
    return data.view(torch.int64)
