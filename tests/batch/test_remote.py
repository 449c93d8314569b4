"""quantize batch with folders on object stores: a real S3 endpoint (moto's server,
started by these tests on a free 127.0.0.1 port and stopped by them) through fsspec and
s3fs, and fsspec's memory:// file system."""

import os
import pickle
import posixpath
import socket
import sys
import uuid
from pathlib import Path

import pytest

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the test extra")
s3fs = pytest.importorskip("s3fs", reason="s3fs is in the test extra")

import boto3  # noqa: E402
import fsspec  # noqa: E402
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from quantize import InputFileError, InvalidParameterError, OutputError  # noqa: E402
from quantize.batch import find_images, quantize_folder  # noqa: E402
from quantize.files.remote import RemotePath, as_location  # noqa: E402

from ..cli.helpers import run  # noqa: E402
from ..conftest import IMAGES  # noqa: E402
from .conftest import timeless  # noqa: E402

pytestmark = pytest.mark.slow  # a real cluster, S3 server or browser: the full run only


@pytest.fixture(scope="module")
def endpoint():
    """moto's S3 server on loopback, with the environment that sends boto3 and s3fs
    there (and nowhere else: no instance metadata, no profile)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        s3fs.S3FileSystem.clear_instance_cache()
        yield url
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


@pytest.fixture
def bucket(endpoint, folder):
    """A new bucket holding the batch test folder under photos/; its name."""
    name = f"shop-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3")
    client.create_bucket(Bucket=name)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        client.put_object(Bucket=name, Key=f"photos/{path.relative_to(folder).as_posix()}", Body=path.read_bytes())
    return name


def objects(bucket, prefix):
    """Key below ``prefix`` -> bytes."""
    client = boto3.client("s3")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def images(files):
    return {name: data for name, data in files.items() if name.endswith(".png") and "manifest" not in name}


def test_s3_to_s3_equals_the_local_run(bucket, folder, tmp_path):
    source = f"s3://{bucket}/photos"
    remote = quantize_folder(source, f"s3://{bucket}/out", recursive=True, jobs=1, random_state=0)
    local = quantize_folder(folder, tmp_path / "out", recursive=True, jobs=1, random_state=0)
    assert [(f.status, f.reason) for f in remote.files] == [(f.status, f.reason) for f in local.files]
    assert remote.files[0].input == f"{source}/cat.png" and remote.files[0].output == f"s3://{bucket}/out/cat.png"
    written = objects(bucket, "out/")
    local_files = {
        p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*.png")
    }
    assert images(written) == local_files and len(local_files) == 4
    manifest = written["manifest.json"].decode()
    assert timeless(manifest, (source, "IN"), (f"s3://{bucket}/out", "OUT")) == timeless(
        (tmp_path / "out" / "manifest.json").read_text(), (str(folder), "IN"), (str(tmp_path / "out"), "OUT")
    )
    assert b"cat.png" in written["manifest.csv"]
    assert objects(bucket, "photos/") == {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }  # inputs untouched


def test_local_folder_to_s3_on_worker_processes_with_a_shared_palette(bucket, folder):
    report = quantize_folder(
        folder, f"s3://{bucket}/shared", recursive=True, jobs=2, shared_palette=True, n_colors=8, random_state=0
    )
    assert report.count("done") == 4 and len(report.palette) == 8
    assert sorted(images(objects(bucket, "shared/"))) == [
        "cat.png",
        "sub/deeper/vignette.png",
        "sub/no-extension.png",
        "sub/rocket.png",
    ]


def test_resume_and_no_overwrite_on_s3(bucket):
    source, out = f"s3://{bucket}/photos", f"s3://{bucket}/out"
    first = quantize_folder(source, out, jobs=1, random_state=0)
    assert first.count("done") == 1  # cat.png; corrupt.png and notes.jpg fail
    written = objects(bucket, "out/")
    resumed = quantize_folder(source, out, jobs=1, random_state=0, skip_existing=True)
    cat = next(f for f in resumed.files if f.output.endswith("cat.png"))
    assert cat.status == "skipped" and cat.report == first.files[0].report  # the first run's report, kept
    assert images(objects(bucket, "out/")) == images(written)
    again = quantize_folder(source, out, jobs=1, random_state=1)
    assert [f.reason for f in again.files if f.output.endswith("cat.png")] == [  # naming the output
        f"{out}/cat.png: file exists (use --force to overwrite it)"
    ]
    assert images(objects(bucket, "out/")) == images(written)  # nothing replaced
    forced = quantize_folder(source, out, jobs=1, random_state=0, overwrite=True)
    assert forced.count("done") == 1 and images(objects(bucket, "out/")) == images(written)


def test_batch_on_a_cluster_between_s3_folders(bucket, folder, tmp_path):
    from quantize.batch.cluster import connect

    with connect("local:2") as client:  # started here: its workers have the S3 environment
        report = quantize_folder(
            f"s3://{bucket}/photos",
            f"s3://{bucket}/cluster",
            recursive=True,
            random_state=0,
            client=client,
            segment=True,
            n_segments=3,
        )
    assert report.count("done") == 4
    written = objects(bucket, "cluster/")
    local = quantize_folder(folder, tmp_path / "out", recursive=True, jobs=1, random_state=0)
    assert local.count("done") == 4
    assert images({k: v for k, v in written.items() if "-segments/" not in k}) == {
        p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*.png")
    }
    assert {"cat-segments/labels.png", "cat-segments/segments.json", "cat-segments/mask_2.png"} <= set(written)


def test_missing_buckets(endpoint, bucket):
    with pytest.raises(InputFileError, match="no such folder or bucket"):
        quantize_folder("s3://no-such-bucket-here/photos", f"s3://{bucket}/out", jobs=1)
    with pytest.raises(OutputError, match="s3://no-such-bucket-here: no such bucket"):
        quantize_folder(f"s3://{bucket}/photos", "s3://no-such-bucket-here/out", jobs=1)
    assert objects(bucket, "out/") == {}


def test_a_bucket_that_vanishes_during_the_batch_is_named_in_the_failures(bucket):
    """Each file's failure names the output it could not write, not the input."""
    from quantize import QuantizeSettings
    from quantize.batch.work import Task, quantize_file

    source = RemotePath(f"s3://{bucket}/photos/cat.png")
    output = RemotePath("s3://vanished-bucket-here/out/cat.png")
    outcome = quantize_file(Task(source, output, QuantizeSettings(n_colors=4, random_state=0)))
    assert outcome.status == "failed" and outcome.reason.startswith(f"{output}: ")


def test_cli_between_s3_folders(bucket):
    result = run("batch", f"s3://{bucket}/photos", "-o", f"s3://{bucket}/cli", "-k", 8, "--json")
    assert result.exit_code == 1  # two bad files among three
    assert sorted(images(objects(bucket, "cli/"))) == ["cat.png"]
    result = run("batch", "s3://no-such-bucket-here/photos", "-o", f"s3://{bucket}/cli")
    assert result.exit_code == 1
    assert result.stderr == "quantize: error: s3://no-such-bucket-here/photos: no such folder or bucket\n"


def test_memory_store_discovery_and_outputs(folder):
    fs = fsspec.filesystem("memory")
    root = f"/photos-{uuid.uuid4().hex[:8]}"
    for path in (p for p in folder.rglob("*") if p.is_file()):
        fs.pipe_file(f"{root}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    fs.pipe_file(f"{root}/.hidden.png", (folder / "cat.png").read_bytes())
    source = RemotePath(f"memory://{root}")
    found = [p.relative_to(source) for p in find_images(source, recursive=True)]
    assert found == [
        "cat.png",
        "corrupt.png",
        "notes.jpg",
        "sub/deeper/vignette.png",
        "sub/no-extension",
        "sub/rocket.jpg",
    ]  # by extension or by content; hidden and text files left out
    assert [p.name for p in find_images(source, recursive=True, include=["sub/*"], exclude=["*.jpg"])] == [
        "vignette.png",
        "no-extension",
    ]
    report = quantize_folder(f"memory://{root}", f"memory://{root}-out", recursive=True, jobs=1)
    assert report.count("done") == 4 and fs.exists(f"{root}-out/sub/no-extension.png")
    assert fs.cat_file(f"{root}/cat.png") == (folder / "cat.png").read_bytes()


class _Refusing(MemoryFileSystem):
    """A store that refuses every request, as one with bad credentials does."""

    protocol = "refusing"

    def _refuse(self, *args, **kwargs):
        raise PermissionError("The AWS Access Key Id you provided does not exist in our records.")

    ls = info = cat_file = pipe_file = exists = isdir = isfile = find = _refuse


def test_refused_credentials_are_one_line():
    fsspec.register_implementation("refusing", _Refusing, clobber=True)
    with pytest.raises(InputFileError, match="refusing://b/x: access refused \\(The AWS Access Key Id"):
        quantize_folder("refusing://b/x", "refusing://b/y", jobs=1)
    with pytest.raises(OutputError, match="access refused"):
        RemotePath("refusing://b/y/z.png").write_bytes(b"x", overwrite=True)


def test_a_protocol_without_its_package_says_what_to_install(monkeypatch):
    def unknown(protocol, **kwargs):
        raise ImportError("Install gcsfs to access Google Storage")

    monkeypatch.setattr(fsspec, "filesystem", unknown)
    with pytest.raises(InvalidParameterError, match="gs:// is not available .*: pip install gcsfs"):
        RemotePath("gs://bucket/photos").is_dir()
    monkeypatch.setitem(sys.modules, "fsspec", None)  # fsspec itself missing
    with pytest.raises(InvalidParameterError, match='pip install "quantize-images\\[remote\\]"'):
        RemotePath("s3://bucket/photos").exists()


def test_remote_paths_behave_as_paths():
    path = as_location("s3://shop/photos/sub/cat.jpg/")
    assert str(path) == "s3://shop/photos/sub/cat.jpg" and path == RemotePath("s3://shop/photos/sub/cat.jpg")
    assert (path.name, path.stem, path.suffix) == ("cat.jpg", "cat", ".jpg")
    assert path.parent == RemotePath("s3://shop/photos/sub") and path.bucket == RemotePath("s3://shop")
    assert path.with_suffix(".png") == RemotePath("s3://shop/photos/sub/cat.png")
    assert path.relative_to(RemotePath("s3://shop/photos")) == "sub/cat.jpg"
    assert RemotePath("s3://shop") / "a" / "b.png" == RemotePath("s3://shop/a/b.png")


@pytest.mark.parametrize("key", ["in/a/../good.png", "in/./x.png", "in//x.png", "in/..", "in/../x.png"])
def test_object_keys_are_strings_not_paths(key):
    """A key is an object of its own: never normalised into another's name."""
    path = RemotePath.key("s3", f"shop/{key}")
    assert str(path) == f"s3://shop/{key}" and path != RemotePath(f"s3://shop/{posixpath.normpath(key)}")
    folder = RemotePath("s3://shop/in")
    assert folder / path.relative_to(folder) == path
    assert pickle.loads(pickle.dumps(path)) == path
    with pytest.raises(ValueError):
        folder.relative_to(path)
    assert as_location("file:///tmp/x") == __import__("pathlib").Path("/tmp/x")
    assert os.fspath(as_location("photos")) == "photos"


#: Keys a path library would normalise into another object's name, or out of the folder.
_DOT_KEYS = ["in/..", "in/../x.png", "in/a/../good.png", "in/./y.png", "in//z.png"]


@pytest.fixture
def dotted(endpoint):
    """A bucket whose in/ holds good.png (the rocket) and, under the keys above, the cat."""
    name = f"keys-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3")
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="in/good.png", Body=(IMAGES / "rocket-vignette.png").read_bytes())
    for key in _DOT_KEYS:
        client.put_object(Bucket=name, Key=key, Body=(IMAGES / "chelsea.png").read_bytes())
    return name


def test_keys_with_dot_parts_are_objects_of_their_own(dotted):
    """Each object is read under its own key (in/a/../good.png is the cat, not
    in/good.png read twice) and written under the mirrored key."""
    report = quantize_folder(f"s3://{dotted}/in", f"s3://{dotted}/out", recursive=True, jobs=1, random_state=0)
    assert report.exit_code == 0 and report.count("done") == 6
    assert {f.input for f in report.files} == {f"s3://{dotted}/{k}" for k in [*_DOT_KEYS, "in/good.png"]}
    written = objects(dotted, "out/")
    cat = quantize_folder(f"s3://{dotted}/in", f"s3://{dotted}/one", include=["good.png"], jobs=1, random_state=0)
    assert cat.count("done") == 1
    mirrored = {"...png", "../x.png", "a/../good.png", "./y.png", "/z.png", "good.png"}
    assert {k for k in written if k.endswith(".png")} == mirrored
    assert written["a/../good.png"] == written["./y.png"] != written["good.png"]
    assert written["good.png"] == objects(dotted, "one/")["good.png"]
    shallow = quantize_folder(f"s3://{dotted}/in", f"s3://{dotted}/flat", jobs=1, random_state=0)
    assert shallow.exit_code == 0 and {Path(f.input).name for f in shallow.files} == {"..", "good.png"}


def test_an_object_store_to_a_local_folder(dotted, tmp_path):
    """Stores and local folders mix either way; a key no local path mirrors fails
    with the reason, and nothing lands outside the output folder."""
    out = tmp_path / "deep" / "out"
    report = quantize_folder(f"s3://{dotted}/in", out, recursive=True, jobs=1, random_state=0)
    outcomes = {f.input.rpartition(f"{dotted}/")[2]: f for f in report.files}
    assert outcomes["in/good.png"].status == "done" and (out / "good.png").exists()
    for key in _DOT_KEYS:
        assert outcomes[key].status == "failed" and outcomes[key].output is None
        assert "no local path mirrors it" in outcomes[key].reason
    assert report.exit_code == 1
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "deep/out/good.png",
        "deep/out/manifest.csv",
        "deep/out/manifest.json",
    ]
    pooled = (
        run(
            "batch",
            f"s3://{dotted}/in",
            "-o",
            tmp_path / "cli",
            "--include",
            "good.png",
            "--scheduler",
            "local:1",
            "--json",
        )
        if _has_dask()
        else None
    )
    if pooled is not None:
        assert pooled.exit_code == 0, pooled.output
        assert (tmp_path / "cli" / "good.png").exists()


def _has_dask():
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def test_an_object_named_as_its_folder_is_not_below_it():
    """A store can list an object under the folder's own key ("in/" on memory://
    is stored as "in"): it is not a file of the folder (found by the fuzz)."""
    fs = fsspec.filesystem("memory")
    root = f"own-{uuid.uuid4().hex[:8]}"
    fs.pipe_file(f"{root}/in/a.png", (IMAGES / "chelsea.png").read_bytes())
    fs.pipe_file(f"{root}/in/", b"a marker")
    try:  # memory:// then lists the marker alone
        found = find_images(as_location(f"memory://{root}/in"))
        assert f"memory://{root}/in" not in [str(p) for p in found]
    finally:
        fs.rm(root, recursive=True)
