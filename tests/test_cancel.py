"""Cooperative cancellation (quantize._cancel): the long loops stop at their next step
once the caller's event is set, and cost nothing without one."""

import threading

import numpy as np
import pytest

import quantize
from quantize._cancel import Cancelled, cancellable, check, current
from quantize._parallel import thread_map

from .conftest import IMAGES


def test_check_raises_only_under_a_set_event():
    check()  # no caller's event: nothing happens
    event = threading.Event()
    with cancellable(event):
        assert current() is event
        check()
        event.set()
        with pytest.raises(Cancelled):
            check()
    assert current() is None
    check()


def test_thread_map_stops_before_the_next_strip_on_any_thread():
    event, done = threading.Event(), []

    def work(item):
        done.append(item)
        if item == 3:
            event.set()
        return item

    with cancellable(event), pytest.raises(Cancelled):
        thread_map(work, range(200))
    assert 3 in done and len(done) < 200
    assert thread_map(lambda i: i * 2, range(5)) == [0, 2, 4, 6, 8]  # outside: untouched


def test_a_cancelled_quantisation_stops_and_an_untouched_one_is_unchanged():
    image = quantize.load_image(IMAGES / "chelsea.png")
    event = threading.Event()
    event.set()
    with cancellable(event), pytest.raises(Cancelled):
        quantize.quantize_image(image, 16, random_state=0)
    with cancellable(threading.Event()):
        kept = quantize.quantize_image(image, 16, random_state=0)
    plain = quantize.quantize_image(image, 16, random_state=0)
    assert np.array_equal(kept.palette, plain.palette) and np.array_equal(kept.labels, plain.labels)
