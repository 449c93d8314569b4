import pytest

from quantize import InvalidParameterError
from quantize import parallel


def test_thread_map_keeps_order_with_threads_and_without():
    saved = parallel.get_num_threads()
    try:
        for n in (1, 3):
            parallel.set_num_threads(n)
            assert parallel.get_num_threads() == n
            assert parallel.thread_map(lambda x: x * x, range(10)) == [x * x for x in range(10)]
    finally:
        parallel.set_num_threads(saved)


def test_environment_sets_the_default(monkeypatch):
    monkeypatch.setattr(parallel, "_num_threads", None)
    monkeypatch.setenv("QUANTIZE_NUM_THREADS", "2")
    assert parallel.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_thread_counts(bad):
    with pytest.raises(InvalidParameterError, match="must be"):
        parallel.set_num_threads(bad)
