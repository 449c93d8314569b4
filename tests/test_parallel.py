import numpy as np
import pytest

from quantize import InvalidParameterError
from quantize import _parallel as parallel


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


def test_blas_runs_on_one_thread_inside_the_compute_functions(monkeypatch):
    """The public compute functions limit BLAS to one thread while they run (its
    spinning threads took the kernels' cores) and give the setting back after."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import quantize.quantization.api as api
    from quantize import KMeans, quantize_image, segment_image, suggest_k
    from quantize._parallel import blas_on_one_thread

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    if not blas_threads():
        pytest.skip("NumPy was built without a BLAS that threadpoolctl sees")
    with threadpool_limits(limits=2, user_api="blas"):
        with blas_on_one_thread():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {2}
        seen = []
        real = api.image_colors
        monkeypatch.setattr(api, "image_colors", lambda *a, **k: seen.append(blas_threads()) or real(*a, **k))
        quantize_image(np.zeros((8, 8, 3), np.uint8) + np.arange(8, dtype=np.uint8)[:, None, None], 2)
        assert seen and set(seen[0]) == {1}
    for function in (quantize_image, segment_image, suggest_k, KMeans.fit, KMeans.predict):
        assert hasattr(function, "__wrapped__"), function
