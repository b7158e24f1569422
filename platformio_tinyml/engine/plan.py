"""Offline memory planner: every run-time buffer gets an offset in one static arena.

Buffers whose lifetimes (inclusive ranges of schedule steps) overlap must not overlap in memory.
plan_arena() places them greedily (first fit in the gaps left by buffers already placed) for a
few orderings and keeps the smallest arena; lower_bound() is the most bytes ever live at once,
which no placement can beat.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNMENT = 16


@dataclass(frozen=True)
class Buffer:
    name: str
    size: int
    first: int  # first schedule step it is live in
    last: int   # last schedule step it is live in (inclusive)

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class ArenaPlan:
    offsets: dict[str, int]
    size: int          # bytes of the arena, a multiple of ALIGNMENT
    lower_bound: int   # max over steps of the bytes live at that step


def align(value: int, alignment: int = ALIGNMENT) -> int:
    return (value + alignment - 1) // alignment * alignment


def lower_bound(buffers: list[Buffer]) -> int:
    steps = {step for buffer in buffers for step in (buffer.first, buffer.last)}
    return max((sum(b.size for b in buffers if b.first <= step <= b.last) for step in steps), default=0)


# Orders tried; each is a sort key (smallest key placed first).
PLACEMENT_ORDERS = (
    lambda b: (-b.size, b.first),                  # largest first
    lambda b: (-(b.last - b.first), -b.size),      # longest-lived first
    lambda b: (b.first, -b.size),                  # in schedule order
    lambda b: (-b.size * (b.last - b.first + 1), b.first),  # largest area in (time x bytes) first
)


def plan_arena(buffers: list[Buffer], alignment: int = ALIGNMENT) -> ArenaPlan:
    names = [b.name for b in buffers]
    if len(set(names)) != len(names):
        raise ValueError("buffer names must be unique")
    best = None
    for order in PLACEMENT_ORDERS:
        offsets = place_first_fit(sorted(buffers, key=order), alignment)
        size = align(max((offsets[b.name] + b.size for b in buffers), default=0), alignment)
        if best is None or size < best[1]:
            best = (offsets, size)
    return ArenaPlan(offsets=best[0], size=best[1], lower_bound=lower_bound(buffers))


def place_first_fit(ordered: list[Buffer], alignment: int) -> dict[str, int]:
    """Each buffer at the lowest aligned offset free for its whole lifetime."""
    placed: list[tuple[int, Buffer]] = []
    offsets = {}
    for buffer in ordered:
        busy = sorted((offset, offset + other.size) for offset, other in placed
                      if other.overlaps_in_time(buffer) and other.size > 0)
        offset = 0
        for start, end in busy:
            if offset + buffer.size <= start:
                break
            offset = max(offset, align(end, alignment))
        offsets[buffer.name] = offset
        placed.append((offset, buffer))
    return offsets
