"""Pausing the cyclic garbage collector while many long-lived, acyclic values are built.

Every few hundred allocations the collector walks the young objects, and the older
generations ever more of the hundreds of thousands of commits, changes and versions a
large check holds: a large share of the time, for nothing, since these values hold no
reference cycles. Plain reference counting still frees everything while it is paused.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# The history is read in threads while the pipeline's own pause is on: the collector is
# enabled again only when the last pause ends, and only if it was enabled before the first.
_lock = threading.Lock()
_depth = 0
_was_enabled = False
_promote = False


@contextlib.contextmanager
def gc_paused(*, promote: bool = False) -> Iterator[None]:
    """Disable the cyclic collector inside the block (pauses nest, across threads too).

    `promote`: when the last pause ends, move what was allocated meanwhile to the oldest
    generation, so the first collection afterwards does not walk all of it.
    """
    global _depth, _was_enabled, _promote
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            _promote = False
            gc.disable()
        _depth += 1
        _promote = _promote or promote
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if _promote:
                    # Everything allocated while paused is still in the youngest generation;
                    # freeze() + unfreeze() moves it to the oldest without a walk (half a
                    # second for the result of a large check). It stays collectable there.
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
