"""quantize batch on a real dask.distributed LocalCluster of 2 worker processes,
started by these tests on 127.0.0.1 and stopped by them."""

import json
import os
import signal
import sys

import cloudpickle
import pytest

distributed = pytest.importorskip("distributed", reason="dask's distributed is in the test extra")

from quantize import ClusterError, InvalidParameterError  # noqa: E402
from quantize.batch import quantize_folder  # noqa: E402
from quantize.batch.cluster import ALLOWED_FAILURES, cluster_unordered, connect, parse_scheduler  # noqa: E402
from quantize.batch.runner import WorkerDied  # noqa: E402

from .conftest import timeless  # noqa: E402

pytestmark = pytest.mark.slow  # a real cluster, S3 server or browser: the full run only

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers get this module's functions


@pytest.fixture(scope="module")
def client():
    with connect("local:2") as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert all(address.startswith("tcp://127.0.0.1:") for address in client.scheduler_info()["workers"])
        yield client


def outputs(root):
    """Every file below ``root`` by its relative name; segments.json without its time."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "segments.json":
            data = json.loads(data)
            data.pop("seconds")
        files[path.relative_to(root).as_posix()] = data
    return files


def run_both(folder, tmp_path, client, **options):
    local = quantize_folder(folder, tmp_path / "local", jobs=2, random_state=0, **options)
    cluster = quantize_folder(folder, tmp_path / "cluster", random_state=0, client=client, **options)
    return local, cluster


@pytest.mark.parametrize(
    "options",
    [
        {"recursive": True},
        {"recursive": True, "shared_palette": True, "n_colors": 8},
        {"recursive": True, "segment": True, "n_segments": 3},
    ],
)
def test_cluster_run_equals_the_local_run(folder, tmp_path, client, options):
    local, cluster = run_both(folder, tmp_path, client, **options)
    assert [(f.input, f.status, f.reason) for f in cluster.files] == [
        (f.input, f.status, f.reason) for f in local.files
    ]
    assert cluster.count("done") == 4 and cluster.count("failed") == 2 and cluster.exit_code == 1
    local_files, cluster_files = outputs(tmp_path / "local"), outputs(tmp_path / "cluster")
    manifests = [(name, local_files.pop(name), cluster_files.pop(name)) for name in ("manifest.json", "manifest.csv")]
    assert cluster_files == local_files  # every image, mask and segments.json, byte for byte
    assert timeless(manifests[0][2].decode(), (str(tmp_path / "cluster"), "OUT")) == timeless(
        manifests[0][1].decode(), (str(tmp_path / "local"), "OUT")
    )
    if options.get("shared_palette"):
        assert cluster.palette == local.palette and len(cluster.palette) == 8


def test_a_killed_worker_is_replaced_and_its_file_done_again(folder, tmp_path, client):
    killed = []
    pids = client.run(os.getpid)  # worker address -> process id

    def kill_a_worker(outcome, finished, total):
        if not killed:  # the other files are in flight on the two workers
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)  # as the out-of-memory killer does

    for i in range(6):  # more files than workers
        (folder / f"copy{i}.png").write_bytes((folder / "cat.png").read_bytes())
    report = quantize_folder(folder, tmp_path / "out", random_state=0, client=client, progress=kill_a_worker)
    assert killed
    reasons = [f.reason for f in report.files if f.status != "done"]
    assert report.count("done") == 7 and report.count("failed") == 2, reasons  # corrupt.png, notes.jpg
    reference = quantize_folder(folder, tmp_path / "local", random_state=0, jobs=1)
    local_files, cluster_files = outputs(tmp_path / "local"), outputs(tmp_path / "out")
    assert {n: b for n, b in cluster_files.items() if n.endswith(".png")} == {
        n: b for n, b in local_files.items() if n.endswith(".png")
    }
    assert reference.count("done") == 7
    client.wait_for_workers(2, timeout=30)


def _dies_on_poison(item):
    if item == "poison":
        os._exit(1)
    return item.upper()


def test_a_file_that_kills_every_worker_is_recorded_after_the_retries(client):
    results = dict(cluster_unordered(client, _dies_on_poison, ["a", "poison", "b"]))
    assert results[0] == "A" and results[2] == "B"
    assert isinstance(results[1], WorkerDied) and "died each time" in results[1]
    assert ALLOWED_FAILURES >= 1
    client.wait_for_workers(2, timeout=30)


def test_an_interrupted_cluster_run_records_what_is_on_disk_and_resumes(folder, tmp_path, client):
    for i in range(6):
        (folder / f"copy{i}.png").write_bytes((folder / "cat.png").read_bytes())

    def interrupt(outcome, finished, total):
        if finished == 2:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    first = quantize_folder(folder, out, random_state=0, client=client, progress=interrupt)
    assert first.interrupted and first.exit_code == 130
    for entry in first.files:  # the record matches the disk
        if entry.output is not None:
            assert (entry.status == "done") == os.path.exists(entry.output), entry
    assert first.count("not run") >= 1
    second = quantize_folder(folder, out, random_state=0, client=client, skip_existing=True)
    assert not second.interrupted
    assert second.count("done") + second.count("skipped") == 7 and second.count("failed") == 2
    reference = quantize_folder(folder, tmp_path / "local", random_state=0, jobs=1)
    assert {n: b for n, b in outputs(out).items() if n.endswith(".png")} == {
        n: b for n, b in outputs(tmp_path / "local").items() if n.endswith(".png")
    }
    assert reference.count("done") == 7


@pytest.mark.parametrize(
    "value, parsed",
    [
        ("local", ("local", os.cpu_count())),
        ("local:3", ("local", 3)),
        ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786")),
    ],
)
def test_parse_scheduler(value, parsed):
    assert parse_scheduler(value) == parsed


@pytest.mark.parametrize(
    "value, message", [("local:0", "at least 1 worker"), ("localhost", "must be local"), ("local:x", "must be local")]
)
def test_parse_scheduler_refuses(value, message):
    with pytest.raises(InvalidParameterError, match=message):
        parse_scheduler(value)


def test_an_unreachable_scheduler_is_one_error(monkeypatch):
    import quantize.batch.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with connect("tcp://127.0.0.1:9"):
            pass


def test_no_client_is_the_local_pool():
    with connect(None) as client:
        assert client is None


def _threads(item):
    from quantize import get_num_threads

    return get_num_threads()


def test_workers_cap_their_threads_to_their_share_of_the_cores(client):
    results = dict(cluster_unordered(client, _threads, [0, 1, 2, 3]))
    assert set(results.values()) == {max(1, (os.cpu_count() or 1) // 2)}  # 2 one-thread workers on this machine
    env = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
    assert set(env.values()) == {str(max(1, (os.cpu_count() or 1) // 2))}


def test_sum_histograms_is_exact_and_sorted():
    import numpy as np

    from quantize.batch.pool import sum_histograms

    big = np.int64(3) << 33  # past 2^32: a tree of sums of many large photos
    a = (np.array([5, 9], np.uint32), np.array([big, 1], np.int64))
    b = (np.array([1, 5], np.uint32), np.array([2, big], np.int64))
    codes, counts = sum_histograms([a, None, b])
    assert codes.tolist() == [1, 5, 9] and counts.tolist() == [2, 2 * big, 1]
    assert sum_histograms([None]) is None
    empty = sum_histograms([(np.zeros(0, np.uint32), np.zeros(0, np.int64))])
    assert len(empty[0]) == len(empty[1]) == 0
