"""The compiled scanning core (:mod:`._scan`) for the generic reader's usual layouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import polars as pl

    from hbtriage.sources._scan import Heads, Piece

#: Per family of :mod:`.generic_log`: the kernel that converts its usual lines.
KERNELS: dict[str, str] = {}
#: Per family: the typed heads of a piece the kernel read (``_lines.split_heads``'s ``pre``).
HEADS: dict[str, Callable[[Piece, pl.DataFrame], Heads]] = {}
