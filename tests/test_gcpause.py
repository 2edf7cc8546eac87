"""The garbage-collector pause: nested, across threads, restored on error, promotion on request."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from escm_check.gcpause import gc_paused


class Node:
    """A container object the cyclic collector tracks."""


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_turns_it_back_on() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with gc_paused(promote=True):
        pass
    assert not gc.isenabled()


def test_nested_pauses_end_with_the_outermost() -> None:
    with gc_paused(promote=True):
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pauses_in_two_threads_end_with_the_last_one() -> None:
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            entered.set()
            release.wait(30)

    t = threading.Thread(target=other)
    with gc_paused():
        t.start()
        assert entered.wait(30)
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    t.join(30)
    assert gc.isenabled()


@pytest.mark.parametrize("promote", [True, False])
def test_promotion_moves_what_was_made_meanwhile_out_of_the_young_generation(promote: bool) -> None:
    gc.collect()
    with gc_paused(promote=promote):
        made = [Node() for _ in range(50)]
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert any(id(o) in young for o in made) is not promote
