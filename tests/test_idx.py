"""IDX parsing: round trips, hand-written known answers, every corrupt-file case, fuzzing."""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.data import load_idx, parse_idx
from nnscratch.data.idx import IDX_DTYPES

CODES = {np.dtype(dt).newbyteorder("="): code for code, dt in IDX_DTYPES.items()}


def idx_bytes(arr: np.ndarray) -> bytes:
    """Serialise ``arr`` as IDX: magic, big-endian sizes, big-endian data."""
    arr = np.asarray(arr)
    header = bytes([0, 0, CODES[arr.dtype.newbyteorder("=")], arr.ndim])
    header += struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


# -- round trips and known answers -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (1, 2, 1, 3), (0, 28, 28)])
@pytest.mark.parametrize("gz", [False, True])
def test_round_trip(tmp_path, rng, dtype, shape, gz):
    arr = (rng.standard_normal(shape) * 50).astype(dtype)
    path = write(tmp_path / "a.idx", idx_bytes(arr), gz)
    out = load_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == shape
    np.testing.assert_array_equal(out, arr)
    assert out.flags.writeable


def test_known_answer_int16_big_endian(tmp_path):
    # magic 0x00000B02: int16, 2 dims; sizes 2 and 1; values 0x0102 = 258, 0xFFFE = -2
    raw = bytes.fromhex("00000B02" "00000002" "00000001" "0102" "FFFE")
    out = load_idx(write(tmp_path / "k", raw))
    np.testing.assert_array_equal(out, np.array([[258], [-2]], dtype=np.int16))


def test_known_answer_float64(tmp_path):
    raw = bytes.fromhex("00000E01" "00000001") + struct.pack(">d", 1.5)
    np.testing.assert_array_equal(load_idx(write(tmp_path / "f", raw)), [1.5])


def test_compression_detected_by_content_not_name(tmp_path):
    data = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))
    raw_named_gz = write(tmp_path / "raw.gz", data)
    gz_named_raw = write(tmp_path / "compressed-idx3-ubyte", data, gz=True)
    np.testing.assert_array_equal(load_idx(raw_named_gz), load_idx(gz_named_raw))


def test_expected_ndim_and_dtype_pass(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    assert load_idx(path, ndim=3, dtype=np.uint8).shape == (2, 28, 28)


def test_parse_idx_bytes_and_gzip_bytes():
    data = idx_bytes(np.arange(4, dtype=np.int32))
    np.testing.assert_array_equal(parse_idx(data), np.arange(4))
    np.testing.assert_array_equal(parse_idx(gzip.compress(data)), np.arange(4))


def test_bad_expectation_arguments():
    with pytest.raises(ValueError, match="ndim must be an integer"):
        parse_idx(b"", ndim=0)
    with pytest.raises(ValueError, match="no IDX code"):
        parse_idx(b"", dtype=np.uint16)


# -- corrupt files: each case is a file written to tmp_path ------------------------------------

GOOD = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
GOOD_GZ = gzip.compress(GOOD, mtime=0)


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :]


# (id, file contents, message pattern); every case must raise ValueError naming the file
CORRUPT = [
    ("empty", b"", r"too short.*expected at least 4 bytes, found 0"),
    ("short-magic", b"\x00\x00\x08", r"expected at least 4 bytes, found 3"),
    ("bad-magic", b"\x12\x34\x08\x03" + GOOD[4:], r"bad magic number 0x12340803"),
    ("zero-magic", b"\x00\x00\x00\x00" + GOOD[4:], r"bad dtype code 0x00"),
    ("bad-dtype-code", b"\x00\x00\x0a\x03" + GOOD[4:], r"bad dtype code 0x0A.*expected one of"),
    ("zero-ndim", b"\x00\x00\x08\x00", r"0 dimensions"),
    ("truncated-header", GOOD[:10], r"truncated header: expected 16 bytes .*found 10"),
    ("truncated-data", GOOD[:-1], r"expected 40 bytes of data for shape \(2, 3, 4\), found 39"),
    ("trailing-bytes", GOOD + b"\x00", r"expected 40 bytes.*found 41.*trailing"),
    ("header-disagrees", b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 3, 3) + GOOD[16:],
     r"expected 34 bytes of data for shape \(2, 3, 3\), found 40"),
    ("lying-huge-header", b"\x00\x00\x0e\x03" + b"\xff" * 12 + b"\x00" * 8,
     r"shape \(4294967295, 4294967295, 4294967295\), found 24"),
    ("gz-truncated-stream", GOOD_GZ[:-12], r"corrupt gzip stream"),
    ("gz-garbage-after-magic", b"\x1f\x8b" + b"\x07" * 30, r"corrupt gzip stream"),
    ("gz-bad-crc", _flip(GOOD_GZ, len(GOOD_GZ) - 8), r"corrupt gzip stream"),
    ("gz-bad-length", _flip(GOOD_GZ, len(GOOD_GZ) - 4), r"corrupt gzip stream"),
    ("gz-flipped-deflate", _flip(GOOD_GZ, 12), r"corrupt gzip stream"),
    ("gz-trailing-garbage", GOOD_GZ + b"garbage!", r"corrupt gzip stream"),
    ("gz-truncated-data", gzip.compress(GOOD[:-5]), r"expected 40 bytes.*found 35"),
    ("gz-trailing-data", gzip.compress(GOOD + b"\x01\x02"), r"found 42.*trailing"),
    ("gz-lying-huge-header", gzip.compress(b"\x00\x00\x08\x03" + b"\xff" * 12),
     r"shape \(4294967295, 4294967295, 4294967295\), more than a gzip file of \d+ bytes "
     r"can hold \(deflate inflates at most 1032:1\)"),
    # 1.1 MB of noise: a gzip file that could hold the 1 GiB it declares, but the cap refuses
    ("gz-header-beyond-cap", gzip.compress(b"\x00\x00\x08\x03" + struct.pack(
        ">3I", 1, 1 << 15, 1 << 15) + np.random.default_rng(0).bytes(1_100_000)),
     r"the array of shape \(1, 32768, 32768\) is 1073741840 bytes, more than the limit "
     r"max_bytes=1073741824"),
]


@pytest.mark.parametrize(("contents", "pattern"), [c[1:] for c in CORRUPT],
                         ids=[c[0] for c in CORRUPT])
def test_corrupt_file_raises_value_error_naming_it(tmp_path, contents, pattern):
    path = write(tmp_path / "bad-images-idx3-ubyte.gz", contents)
    with pytest.raises(ValueError, match=pattern) as info:
        load_idx(path)
    assert str(info.value).startswith("bad-images-idx3-ubyte.gz: ")


# (id, contents, expected ndim, expected dtype, pattern): a valid file of the wrong kind
WRONG_KIND = [
    ("labels-as-images", idx_bytes(np.zeros(3, np.uint8)), 3, np.uint8,
     r"bad magic number 0x00000801, expected 0x00000803$"),
    ("int16-as-uint8", idx_bytes(np.zeros((1, 2, 2), np.int16)), 3, np.uint8,
     r"bad magic number 0x00000B03, expected 0x00000803$"),
    ("zero-magic-as-images", b"\x00" * 16, 3, np.uint8,
     r"bad magic number 0x00000000, expected 0x00000803$"),
]


@pytest.mark.parametrize(("contents", "ndim", "dtype", "pattern"), [c[1:] for c in WRONG_KIND],
                         ids=[c[0] for c in WRONG_KIND])
def test_wrong_kind_of_idx_file(tmp_path, contents, ndim, dtype, pattern):
    path = write(tmp_path / "t10k-images-idx3-ubyte.gz", contents, gz=True)
    with pytest.raises(ValueError, match=pattern) as info:
        load_idx(path, ndim=ndim, dtype=dtype)
    assert str(info.value).startswith("t10k-images-idx3-ubyte.gz: ")


def test_issue_examples_verbatim(tmp_path):
    path = write(tmp_path / "t10k-images-idx3-ubyte.gz", b"\x00" * 16, gz=True)
    with pytest.raises(ValueError, match=r"^t10k-images-idx3-ubyte\.gz: bad magic number "
                       r"0x00000000, expected 0x00000803$"):
        load_idx(path, ndim=3, dtype=np.uint8)
    header = bytes.fromhex("00000803") + struct.pack(">3I", 10000, 28, 28)
    path = write(tmp_path / "t10k-images-idx3-ubyte", header + b"\x00" * (1000 - 16))
    with pytest.raises(ValueError, match=r"expected 7840016 bytes of data for shape "
                       r"\(10000, 28, 28\), found 1000"):
        load_idx(path)


def test_max_bytes_caps_what_a_header_may_declare(tmp_path):
    data = np.arange(24, dtype=np.int32).reshape(2, 3, 4)  # 96 bytes + a 16-byte header
    for gz in (False, True):
        path = write(tmp_path / f"x{gz}", idx_bytes(data), gz=gz)
        with pytest.raises(ValueError, match=r"is 112 bytes, more than the limit max_bytes=111"):
            load_idx(path, max_bytes=111)
        np.testing.assert_array_equal(load_idx(path, max_bytes=112), data)
        np.testing.assert_array_equal(load_idx(path, max_bytes=None), data)
    with pytest.raises(ValueError, match="max_bytes must be an integer >= 0 or None"):
        load_idx(path, max_bytes=-1)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope-idx1-ubyte"):
        load_idx(tmp_path / "nope-idx1-ubyte")


def test_directory_is_os_error(tmp_path):
    with pytest.raises(OSError):
        load_idx(tmp_path)


def test_lying_header_allocates_nothing_big(tmp_path):
    # claims 2**32 - 1 images of 65535 x 65535 doubles; the file has 8 bytes of data
    path = write(tmp_path / "liar", b"\x00\x00\x0e\x03" + b"\xff\xff\xff\xff\x00\x00\xff\xff"
                 b"\x00\x00\xff\xff" + b"\x00" * 8, gz=True)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"more than a gzip file of \d+ bytes can hold"):
            load_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


# -- fuzzing: random damage never raises anything but ValueError / OSError, and never hangs ---


def _seeds() -> list[bytes]:
    gen = np.random.default_rng(1)
    arrays = [
        np.arange(60, dtype=np.uint8).reshape(3, 4, 5),
        (gen.standard_normal((4, 3)) * 100).astype(np.int16),
        gen.standard_normal(7).astype(np.float32),
        np.arange(6, dtype=np.int32).reshape(1, 6),
    ]
    raw = [idx_bytes(a) for a in arrays]
    return raw + [gzip.compress(r, mtime=0) for r in raw]


def _mutate(data: bytes, gen: np.random.Generator) -> bytes:
    buf = bytearray(data)
    kind = gen.integers(5)
    if kind == 0 and buf:  # flip random bytes
        for i in gen.integers(0, len(buf), size=gen.integers(1, 4)):
            buf[i] = int(gen.integers(256))
    elif kind == 1:  # truncate
        del buf[gen.integers(0, len(buf) + 1):]
    elif kind == 2:  # insert junk
        i = int(gen.integers(0, len(buf) + 1))
        buf[i:i] = gen.integers(0, 256, size=gen.integers(1, 8)).astype(np.uint8).tobytes()
    elif kind == 3 and len(buf) >= 8:  # rewrite a header word (sizes, often)
        i = int(gen.integers(0, min(len(buf) - 4, 16) + 1))
        buf[i:i + 4] = gen.integers(0, 256, size=4).astype(np.uint8).tobytes()
    else:  # delete a slice
        i = int(gen.integers(0, len(buf) + 1))
        del buf[i:i + int(gen.integers(1, 9))]
    return bytes(buf)


def _check_one(data: bytes, name: str = "fuzz") -> str:
    start = time.perf_counter()
    try:
        out = parse_idx(data, name)
        assert isinstance(out, np.ndarray)
        result = "ok"
    except (ValueError, OSError) as err:
        assert name in str(err)
        result = type(err).__name__
    assert time.perf_counter() - start < 1.0, "parse took too long"
    return result


def test_fuzz_mutated_and_truncated_bytes():
    gen = np.random.default_rng(12345)
    seeds = _seeds()
    outcomes: dict[str, int] = {}
    for _ in range(600):
        data = seeds[gen.integers(len(seeds))]
        for _ in range(int(gen.integers(1, 4))):
            data = _mutate(data, gen)
        result = _check_one(data)
        outcomes[result] = outcomes.get(result, 0) + 1
    assert outcomes.get("ValueError", 0) > 100  # the fuzzer does hit the error paths


def test_fuzz_every_truncation_of_a_gzip_file():
    data = _seeds()[4]
    for n in range(len(data)):
        assert _check_one(data[:n]) == "ValueError"


def test_fuzz_files_on_disk(tmp_path):
    gen = np.random.default_rng(7)
    seeds = _seeds()
    path = tmp_path / "fuzz-idx"
    for _ in range(100):
        path.write_bytes(_mutate(seeds[gen.integers(len(seeds))], gen))
        try:
            load_idx(path)
        except (ValueError, OSError) as err:
            assert "fuzz-idx" in str(err)


@settings(max_examples=200, deadline=1000, derandomize=True, database=None)
@given(st.binary(max_size=64))
def test_fuzz_arbitrary_bytes(data):
    _check_one(data)
    _check_one(b"\x00\x00" + data)  # past the first magic check more often


@settings(max_examples=100, deadline=1000, derandomize=True, database=None)
@given(st.binary(max_size=48))
def test_fuzz_arbitrary_gzip_payload(data):
    _check_one(gzip.compress(b"\x00\x00\x08\x02" + data, mtime=0))
