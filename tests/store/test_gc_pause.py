"""The collector pause holds across overlapping blocks on several threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from station_app.gc_pause import gc_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_block_ending_on_one_thread_leaves_the_collector_off_for_another(collector_on: None) -> None:
    """A bundle read ahead on a thread while the one before is imported: the import's block ends
    first, and the collector must stay off until the read-ahead's block ends too."""
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def read_ahead() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)
            seen.append(gc.isenabled())

    with gc_paused():
        worker = threading.Thread(target=read_ahead)
        worker.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the read-ahead's block is still running
    release.set()
    worker.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_nested_blocks_and_a_collector_that_was_off(collector_on: None) -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()  # it was off before: it stays off
    gc.enable()


def test_the_collector_comes_back_after_an_error(collector_on: None) -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a malformed bundle")
    assert gc.isenabled()
