"""Downloads, offline: a fake URL opener serves bytes, fails, or dies mid-stream."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from nnscratch.data import DownloadError, data_home, download_file, sha256sum
from nnscratch.data import download as download_mod

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class FakeResponse:
    """A urlopen() response serving ``data``; raises ``error`` after ``fail_after`` bytes."""

    def __init__(self, data: bytes, fail_after: int | None = None,
                 error: BaseException | None = None) -> None:
        self.data, self.pos = data, 0
        self.fail_after, self.error = fail_after, error

    def read(self, n: int = -1) -> bytes:
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise self.error or ConnectionResetError("connection reset by peer")
        end = len(self.data) if n < 0 else self.pos + n
        if self.fail_after is not None:
            end = min(end, self.fail_after)
        chunk, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return chunk

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class FakeOpener:
    """Stands in for the network: ``routes`` maps URL -> bytes, a response or an exception."""

    def __init__(self, routes: dict[str, object]) -> None:
        self.routes, self.calls = routes, []

    def __call__(self, url: str, timeout: float) -> FakeResponse:
        self.calls.append(url)
        route = self.routes.get(url, urllib.error.URLError("Name or service not known"))
        if isinstance(route, BaseException):
            raise route
        if callable(route):
            return route()
        assert isinstance(route, bytes)
        return FakeResponse(route)


@pytest.fixture
def fake_net(monkeypatch):
    def install(routes: dict[str, object]) -> FakeOpener:
        opener = FakeOpener(routes)
        monkeypatch.setattr(download_mod, "_urlopen", opener)
        return opener
    return install


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_complete_download_verified_and_no_temp_file(tmp_path, fake_net):
    fake_net({"https://a/f.gz": PAYLOAD})
    dest = tmp_path / "sub" / "f.gz"
    assert download_file("https://a/f.gz", dest, PAYLOAD_SHA) == dest
    assert dest.read_bytes() == PAYLOAD
    assert listing(dest.parent) == ["f.gz"]


def test_without_hash_the_bytes_are_kept(tmp_path, fake_net):
    fake_net({"u": b"abc"})
    assert download_file("u", tmp_path / "f").read_bytes() == b"abc"


def test_wrong_hash_leaves_nothing(tmp_path, fake_net):
    fake_net({"u": PAYLOAD[:-1] + b"X"})
    with pytest.raises(DownloadError, match=f"sha256 [0-9a-f]{{64}}, expected {PAYLOAD_SHA}"):
        download_file("u", tmp_path / "f.gz", PAYLOAD_SHA)
    assert listing(tmp_path) == []


def test_interrupted_mid_stream_leaves_nothing(tmp_path, fake_net):
    fake_net({"u": lambda: FakeResponse(PAYLOAD, fail_after=100_000)})
    with pytest.raises(DownloadError, match="ConnectionResetError"):
        download_file("u", tmp_path / "f.gz", PAYLOAD_SHA)
    assert listing(tmp_path) == []


def test_failed_download_keeps_an_existing_file(tmp_path, fake_net):
    dest = tmp_path / "f.gz"
    dest.write_bytes(b"old")
    fake_net({"u": lambda: FakeResponse(PAYLOAD, fail_after=10)})
    with pytest.raises(DownloadError):
        download_file("u", dest, PAYLOAD_SHA)
    assert dest.read_bytes() == b"old"
    assert listing(tmp_path) == ["f.gz"]


def test_keyboard_interrupt_cleans_up_and_propagates(tmp_path, fake_net):
    fake_net({"u": lambda: FakeResponse(PAYLOAD, fail_after=70_000, error=KeyboardInterrupt())})
    with pytest.raises(KeyboardInterrupt):
        download_file(["u", "never-tried"], tmp_path / "f.gz", PAYLOAD_SHA)
    assert listing(tmp_path) == []


def test_mirrors_tried_in_order_until_one_verifies(tmp_path, fake_net):
    opener = fake_net({"m2/f": b"wrong bytes", "m3/f": PAYLOAD})
    dest = download_file(["m1/f", "m2/f", "m3/f", "m4/f"], tmp_path / "f", PAYLOAD_SHA)
    assert dest.read_bytes() == PAYLOAD
    assert opener.calls == ["m1/f", "m2/f", "m3/f"]
    assert listing(tmp_path) == ["f"]


def test_all_mirrors_fail_lists_each_error(tmp_path, fake_net):
    fake_net({})
    with pytest.raises(DownloadError) as info:
        download_file(["m1/f", "m2/f"], tmp_path / "f", PAYLOAD_SHA)
    assert isinstance(info.value, OSError)
    assert "m1/f: URLError" in str(info.value) and "m2/f: URLError" in str(info.value)
    assert listing(tmp_path) == []


def test_no_urls_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="urls"):
        download_file([], tmp_path / "f")


def test_sha256sum_known_answer(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert sha256sum(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_data_home_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "d"))
    assert data_home("mnist") == tmp_path / "d" / "mnist"
    monkeypatch.delenv("NNSCRATCH_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "nnscratch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data_home("cats") == Path.home() / ".cache" / "nnscratch" / "cats"


def test_import_loads_no_optional_or_network_modules():
    code = (
        "import sys, nnscratch, nnscratch.data, nnscratch.datasets\n"
        "heavy = ['h5py', 'urllib.request', 'gzip', 'matplotlib', 'tqdm', 'sklearn', 'torch']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
