"""A progress bar that degrades gracefully: tqdm, else rich, else a plain iterator.

The runtime install may have neither; training/eval environments usually have one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Wrap ``items`` in a progress bar when one is available."""
    try:
        from tqdm import tqdm

        yield from tqdm(items, desc=desc, total=total)
        return
    except ImportError:
        pass
    try:
        from rich.progress import track

        yield from track(items, description=desc, total=total)
        return
    except ImportError:
        pass
    yield from items
