"""Order of repeated measurements."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def rotated(items: list[T] | tuple[T, ...], repeat: int) -> list[T]:
    """``items`` started at index ``repeat`` (mod their count): rotating the order from repeat to
    repeat spreads warm-up and a shared machine's slow phases over everything measured."""
    shift = repeat % len(items)
    return [*items[shift:], *items[:shift]]
