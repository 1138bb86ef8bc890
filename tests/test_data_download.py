"""The download cache, offline: verification, re-fetching, atomic writes, offline errors."""

import hashlib
import io
import os
import pathlib
import urllib.error
import urllib.request

import numpy as np
import pytest

from coursekit.data import download
from coursekit.data.download import DataUnavailableError, RemoteFile, fetch

PAYLOAD = np.random.default_rng(0).bytes(3 * download.CHUNK_BYTES + 12_345)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COURSEKIT_DATA", str(folder))
    return folder


@pytest.fixture
def remote(tmp_path):
    source = tmp_path / "server" / "payload.bin"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    return RemoteFile("payload", source.as_uri(), len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())


class Opener:
    """Serves byte strings in turn, one per call, and counts the calls."""

    def __init__(self, *bodies, fail_after=None, error=None):
        self.bodies, self.fail_after, self.error = list(bodies), fail_after, error
        self.calls = 0

    def __call__(self, url, timeout):
        self.calls += 1
        if self.error and self.fail_after is None:
            raise self.error
        body = self.bodies[min(self.calls, len(self.bodies)) - 1]
        return Response(body, self.fail_after, self.error)


class Response(io.BytesIO):
    def __init__(self, body, fail_after, error):
        super().__init__(body)
        self.fail_after, self.error = fail_after, error

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise self.error
        return super().read(size)


def files_in(folder):
    return sorted(path.name for path in pathlib.Path(folder).iterdir()) if folder.exists() else []


def test_downloads_through_a_file_url_verifies_and_reuses_the_cache(cache, remote, monkeypatch):
    calls = []

    def counting_urlopen(url, timeout):
        calls.append(url)
        return urllib.request.urlopen(url, timeout=timeout)

    path = fetch(remote, opener=counting_urlopen, progress=False)
    assert path == cache / "payload.bin" and path.read_bytes() == PAYLOAD
    assert fetch(remote, opener=counting_urlopen, progress=False) == path
    assert fetch(remote, download=False) == path
    assert calls == [remote.url]
    assert files_in(cache) == ["payload.bin"]


def test_progress_prints_a_few_lines_ending_at_100_percent(cache, remote, capsys):
    fetch(remote, opener=Opener(PAYLOAD))
    lines = capsys.readouterr().out.splitlines()
    assert 2 <= len(lines) <= 11
    assert all(line.startswith("payload.bin [") for line in lines)
    assert lines[-1].endswith(f"100%   3.2/{len(PAYLOAD) / 1e6:.1f} MB")


def test_no_progress_when_switched_off(cache, remote, capsys):
    fetch(remote, opener=Opener(PAYLOAD), progress=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "damaged",
    [PAYLOAD[:-1] + b"x", PAYLOAD[:1000], b""],
    ids=["one-byte-changed", "truncated", "empty"],
)
def test_a_damaged_cached_file_is_detected_and_fetched_again(cache, remote, capsys, damaged):
    cache.mkdir()
    (cache / "payload.bin").write_bytes(damaged)
    opener = Opener(PAYLOAD)
    assert fetch(remote, opener=opener, progress=False).read_bytes() == PAYLOAD
    assert opener.calls == 1
    assert "is damaged" in capsys.readouterr().out


def test_a_damaged_cached_file_is_not_trusted_without_download(cache, remote):
    cache.mkdir()
    (cache / "payload.bin").write_bytes(b"junk")
    with pytest.raises(DataUnavailableError, match=r"is damaged \(size 4 bytes.*download=True"):
        fetch(remote, download=False)


def test_a_mismatched_download_is_retried_then_kept(cache, remote, capsys):
    opener = Opener(PAYLOAD[::-1], PAYLOAD)
    assert fetch(remote, opener=opener, progress=False).read_bytes() == PAYLOAD
    assert opener.calls == 2
    assert "failed verification: SHA-256" in capsys.readouterr().out
    assert files_in(cache) == ["payload.bin"]


def test_a_download_that_keeps_mismatching_raises_and_leaves_nothing(cache, remote):
    opener = Opener(PAYLOAD + b"extra")
    with pytest.raises(DataUnavailableError, match=r"keeps failing verification.*size"):
        fetch(remote, opener=opener, progress=False)
    assert opener.calls == download.ATTEMPTS
    assert files_in(cache) == []


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("disk full")])
def test_an_interrupted_download_leaves_no_file(cache, remote, error):
    opener = Opener(PAYLOAD, fail_after=download.CHUNK_BYTES, error=error)
    with pytest.raises(type(error)):
        fetch(remote, opener=opener, progress=False)
    assert files_in(cache) == []


def test_a_connection_lost_mid_stream_is_reported_and_leaves_no_file(cache, remote):
    opener = Opener(PAYLOAD, fail_after=download.CHUNK_BYTES, error=ConnectionResetError("reset"))
    with pytest.raises(DataUnavailableError, match=r"Could not download 'payload'.*reset"):
        fetch(remote, opener=opener, progress=False)
    assert files_in(cache) == []


def test_the_download_is_written_aside_and_renamed_into_place(cache, remote):
    """A run killed mid-download runs no cleanup: the final name must not exist yet."""
    seen = {}

    class Watched(Response):
        def read(self, size=-1):
            if self.tell() == download.CHUNK_BYTES:
                [partial] = files_in(cache)
                seen.update(name=partial, inode=(cache / partial).stat().st_ino)
            return super().read(size)

    path = fetch(remote, opener=lambda url, timeout: Watched(PAYLOAD, None, None), progress=False)
    assert seen["name"] != path.name  # mid-stream, only a temporary file in the same folder
    assert path.stat().st_ino == seen["inode"]  # renamed, not copied or rewritten
    assert files_in(cache) == ["payload.bin"]


def test_an_interrupted_download_keeps_a_good_cached_copy_untouched(cache, remote):
    good = fetch(remote, opener=Opener(PAYLOAD), progress=False)
    with pytest.raises(RuntimeError), download.atomic_write(good) as file:
        file.write(b"half a file")
        raise RuntimeError("interrupted")
    assert good.read_bytes() == PAYLOAD and files_in(cache) == ["payload.bin"]


@pytest.mark.parametrize(
    "error", [urllib.error.URLError("Name or service not known"), OSError("Network is unreachable")]
)
def test_offline_error_names_the_embedded_fallback(cache, remote, error):
    with pytest.raises(DataUnavailableError) as raised:
        fetch(remote, opener=Opener(error=error), progress=False)
    message = str(raised.value)
    assert remote.url in message and str(error.args[0]) in str(raised.value.reason)
    assert "coursekit.data.load('digits', profile)" in message and "'fast' profile" in message
    assert files_in(cache) == []


def test_without_download_a_missing_file_is_reported_without_any_request(cache, remote):
    opener = Opener(error=AssertionError("no request expected"))
    with pytest.raises(
        DataUnavailableError, match=r"'payload' is not in the cache .*download=True"
    ):
        fetch(remote, download=False, opener=opener)
    assert opener.calls == 0


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "mine"))
    assert download.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("COURSEKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert download.cache_dir() == tmp_path / "xdg" / "coursekit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert download.cache_dir() == tmp_path / "home" / ".cache" / "coursekit"


def test_the_cache_folder_is_created_on_first_download(tmp_path, monkeypatch, remote):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "a" / "b"))
    assert fetch(remote, opener=Opener(PAYLOAD), progress=False).parent == tmp_path / "a" / "b"
    assert os.listdir(tmp_path / "a" / "b") == ["payload.bin"]
