"""Hostile and broken files: loading is bounded (a small file never makes nnscratch allocate
what its header declares) and strict (every file that is not what nnscratch wrote fails with
one ValueError naming the file, the key and what was expected).

The bounded cases run in a child process that prints its peak resident memory
(``ru_maxrss``) before and after loading: an address-space limit would also count the
thread stacks and buffers BLAS reserves, so it cannot tell a large allocation from a
normal start.
"""

from __future__ import annotations

import io as _io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest

import nnscratch as nn
from conftest import write_model
from nnscratch import io

# -- crafting ----------------------------------------------------------------------------------


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    buf = _io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def model_header(layers: list[dict], **extra) -> dict:
    header = {"format": "nnscratch.Sequential", "format_version": 1, "dtype": "float32",
              "input_shape": None, "layers": layers, "loss": None, "optimizer": None,
              "metrics": "auto", "metadata": {}}
    return {**header, **extra}


def spec(cls: str, **config) -> dict:
    return {"class": cls, "config": config}


def deflate_zeros(n: int, prefix: bytes = b"", chunk: int = 1 << 20) -> bytes:
    """A raw deflate stream of ``prefix`` and ``n`` zero bytes, built by repeating one fully
    flushed block (each inflates alone), so a gigabyte costs no compression time."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(n, chunk)
    return head + block * count + c.compress(bytes(rest)) + c.flush()


def write_zip(path, members: list[tuple[str, bytes, int | None]]):
    """A zip of (name, payload, uncompressed size); size None: stored as is, else the
    payload is a raw deflate stream and the directory states that size (CRC left 0)."""
    out, central = bytearray(), bytearray()
    for name, payload, size in members:
        raw, method, crc = name.encode(), 8, 0
        if size is None:
            method, size, crc = 0, len(payload), zlib.crc32(payload)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                           len(payload), size, len(raw), 0) + raw + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0,
                               crc, len(payload), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def meta_member(header: dict) -> tuple[str, bytes, None]:
    return ("__nnscratch__.npy", npy_bytes(np.array(json.dumps(header))), None)


DENSE_2 = model_header([spec("Dense", in_features=2, out_features=2)])
GB12 = 1_200_000_000  # a 1.2 GB bomb: the deflated file is about 1.2 MB


def idx_gzip(path, header: bytes, body: bytes | int):
    """An IDX file in gzip: ``body`` bytes, or that many zeros deflated ~1000:1."""
    stream = (deflate_zeros(body, header) if isinstance(body, int)
              else zlib.compress(header + body, 1)[2:-4])  # the raw deflate inside zlib
    length = len(header) + (body if isinstance(body, int) else len(body))
    crc = 0 if isinstance(body, int) else zlib.crc32(header + body)  # a bomb's is never read
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream
                     + struct.pack("<II", crc, length & 0xFFFFFFFF))
    return path


def cats_files(folder, n_images: int):
    """HDF5 cat files of 2 KB whose images dataset declares ``n_images`` and stores none;
    returns the training file."""
    h5py = pytest.importorskip("h5py")
    folder.mkdir()
    for split, name in (("train", "train_catvnoncat.h5"), ("test", "test_catvnoncat.h5")):
        with h5py.File(folder / name, "w") as h5:
            h5.create_dataset(f"{split}_set_x", shape=(n_images, 64, 64, 3), dtype="u1")
            h5.create_dataset(f"{split}_set_y", shape=(n_images,), dtype="i8")
            h5.create_dataset("list_classes", data=np.array([b"non-cat", b"cat"]))
    return folder / "train_catvnoncat.h5"


def tiny_arrays(**shapes) -> dict[str, np.ndarray]:
    """Zero float32 arrays by key, ``layers_0_W`` standing for ``layers.0.W``."""
    return {k.replace("_", "."): np.zeros(v, np.float32) for k, v in shapes.items()}


# -- bounded: each file loads in a child whose peak memory must stay small --------------------
# (id, make(tmp_path) -> path, the call in the child, words of the ValueError)
BOUNDED = [
    ("dense-20000-header", lambda t: write_model(
        t / "m.npz", model_header([spec("Dense", in_features=20000, out_features=20000)]),
        tiny_arrays(layers_0_W=(2, 2), layers_0_b=2)),
     "nn.load(PATH)", r"layers.0.W has shape \(2, 2\), expected \(20000, 20000\)"),
    ("dense-1e12-units", lambda t: write_model(
        t / "m.npz", model_header([spec("Dense", in_features=1, out_features=10**12)]),
        tiny_arrays(layers_0_W=(1, 2), layers_0_b=2)),
     "nn.load(PATH)", r"expected \(1, 1000000000000\)"),
    ("conv-100000-kernel", lambda t: write_model(
        t / "m.npz", model_header([spec("Conv2D", in_channels=1, out_channels=1,
                                        kernel_size=100000)]),
        tiny_arrays(layers_0_W=(1, 1, 2, 2), layers_0_b=1)),
     "nn.load(PATH)", r"expected \(1, 1, 100000, 100000\)"),
    ("batchnorm-1e12-features", lambda t: write_model(
        t / "m.npz", model_header([spec("BatchNorm1D", num_features=10**12, affine=False)]),
        {"layers.0.state.running_mean": np.zeros(2, np.float32),
         "layers.0.state.running_var": np.ones(2, np.float32),
         "layers.0.state.num_batches_tracked": np.array(0)}),
     "nn.load(PATH)", r"running_mean has shape \(2,\), expected \(1000000000000,\)"),
    ("npz-member-claims-1e12", lambda t: write_zip(t / "m.npz", [
        meta_member(DENSE_2),
        ("layers.0.W.npy", npy_header((10**6, 10**6), "<f8") + bytes(64), None)]),
     "nn.load(PATH)", r"member 'layers.0.W.npy': its header declares shape \(1000000, 1000000\)"
     r".*the zip directory says 192 bytes"),
    ("zip-bomb-1.2GB", lambda t: write_zip(t / "m.npz", [
        meta_member(DENSE_2),
        ("layers.0.W.npy", deflate_zeros(GB12, npy_header((GB12 // 4,))), 128 + GB12)]),
     "nn.load(PATH)", r"is 1200001\d+ bytes, more than the limit max_bytes=1073741824"),
    ("zip-stream-longer-than-directory", lambda t: write_zip(t / "m.npz", [
        meta_member(DENSE_2),
        ("layers.0.W.npy", deflate_zeros(GB12, npy_header((2, 2))), 128 + 16)]),
     "nn.load(PATH)", r"member 'layers.0.W.npy': corrupt \(Bad CRC-32"),
    ("zip-directory-overclaims", lambda t: write_zip(t / "m.npz", [
        meta_member(DENSE_2),
        ("layers.0.W.npy", deflate_zeros(64, npy_header((10**8,))), 128 + 4 * 10**8)]),
     "nn.load(PATH)", r"the directory says 400000128 bytes from \d+ compressed, more than this "
     r"compression method can give \(at most 1032:1\)"),
    ("idx-gzip-bomb-1.2GB", lambda t: idx_gzip(
        t / "x.gz", struct.pack(">4I", 0x803, GB12 // 784 + 1000, 28, 28), GB12),
     "nn.load_idx(PATH)", r"the array of shape \(1531612, 28, 28\) is 12007838\d+ bytes, more "
     r"than the limit max_bytes=1073741824"),
    ("idx-gzip-declares-more-than-it-holds", lambda t: idx_gzip(
        t / "x.gz", struct.pack(">4I", 0x803, 1_300_000, 28, 28),
        np.random.default_rng(0).bytes(1 << 20)),
     "nn.load_idx(PATH, max_bytes=None)", r"expected 1019200016 bytes of data for shape "
     r"\(1300000, 28, 28\), found 1048592 \(truncated"),
    ("cats-1e6-images", lambda t: cats_files(t / "cats", 1_000_000),
     "nn.load_cats(os.path.dirname(PATH))", r"train_catvnoncat.h5: key train_set_x: declares shape "
     r"\(1000000, 64, 64, 3\) of uint8 \(12288000000 bytes\) but the file stores 0 bytes"),
    ("predict-npy-claims-1e12", lambda t: t.joinpath("x.npy").write_bytes(
        npy_header((10**6, 10**6), "<f8") + bytes(64)) and t / "x.npy",
     "predict(PATH)", r"declares shape \(1000000, 1000000\) of float64 \(8000000000000 bytes\), "
     r"the file holds 64 bytes"),
    ("predict-npy-1.2GB", lambda t: sparse_npy(t / "x.npy", GB12),
     "predict(PATH)", r"is 1200000000 bytes, more than the limit max_bytes=1073741824"),
]


def sparse_npy(path, nbytes: int):
    header = npy_header((nbytes // 8,), "<f8")
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(len(header) + nbytes)  # a real 1.2 GB file that takes no disk
    return path


CHILD = """
import contextlib, io, json, os, resource, sys
import numpy as np
import nnscratch as nn
from nnscratch import cli
try:
    import h5py
except ImportError:
    pass
PATH, MODEL = sys.argv[1], sys.argv[2]

def predict(path):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = cli.main(["predict", MODEL, path])
    raise ValueError(f"exit {rc}: {err.getvalue()}")

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

base = peak()
try:
    CALL
    out = {"error": None, "message": ""}
except Exception as err:
    out = {"error": type(err).__name__, "message": str(err)}
out.update(baseline_kib=base, peak_kib=peak())
print(json.dumps(out))
"""

#: Peak memory a crafted file may add in the child, well above the few MB measured.
LIMIT_MB = 300


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB: Linux")
@pytest.mark.parametrize(("make", "call", "pattern"), [c[1:] for c in BOUNDED],
                         ids=[c[0] for c in BOUNDED])
def test_crafted_files_are_refused_with_little_memory(tmp_path, make, call, pattern):
    path = make(tmp_path)
    model = tmp_path / "model.npz"
    nn.Sequential(nn.Dense(4, 2)).use("mse").save(model)
    proc = subprocess.run([sys.executable, "-c", CHILD.replace("CALL", call), str(path),
                           str(model)], capture_output=True, text=True, timeout=120,
                          env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                               "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["error"] == "ValueError", out
    assert str(path.name) in out["message"]
    assert re.search(pattern, out["message"]), out["message"]
    grown_mb = (out["peak_kib"] - out["baseline_kib"]) / 1024
    assert grown_mb < LIMIT_MB, f"loading took {grown_mb:.0f} MB"


# -- strict: files that must not load ----------------------------------------------------------


def small_model() -> nn.Sequential:
    return nn.Sequential(nn.Dense(2, 3, rng=0), nn.BatchNorm1D(3), nn.ReLU(),
                         nn.Dropout(0.2, rng=1), nn.Dense(3, 2, rng=2), nn.Softmax()
                         ).use("cross_entropy", nn.Adam(0.01))


def saved_parts(tmp_path, checkpoint: bool = False) -> tuple[dict, dict[str, np.ndarray]]:
    """The raw header and arrays of a real saved model (or checkpoint after one epoch)."""
    model, path = small_model(), tmp_path / "real.npz"
    if checkpoint:
        x = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
        model.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
        model.save_checkpoint(path)
    else:
        model.save(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads(str(arrays.pop("__nnscratch__"))), arrays


def setter(path: str, value) -> callable:
    """A mutation that sets (or, for DELETE, removes) ``header[a][b]...`` at a dotted path."""
    def mutate(header, arrays):
        *parents, last = path.split(".")
        obj = header
        for key in parents:
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]
        if value is DELETE:
            del obj[last]
        else:
            obj[last] = value
    return mutate


def with_array(key: str, value) -> callable:
    def mutate(header, arrays):
        arrays[key] = value
    return mutate


DELETE = object()
W0 = np.zeros((2, 3))
OBJECTS = np.empty((2, 3), dtype=object)

# (id, mutation of (header, arrays), words of the ValueError); the file is re-saved and loaded
STRICT = [
    ("object-weights-pickled", with_array("layers.0.W", OBJECTS),
     r"member 'layers.0.W.npy': dtype object holds Python objects \(pickled data\)"),
    ("pickled-header", with_array("__nnscratch__", np.array([{"format": 1}], dtype=object)),
     r"'__nnscratch__.npy': dtype object holds Python objects \(pickled data\)"),
    ("integer-weights", with_array("layers.0.W", W0.astype(np.int32)),
     r"layers.0.W has dtype int32, expected a floating array"),
    ("complex-weights", with_array("layers.0.W", W0.astype(np.complex64)),
     r"layers.0.W has dtype complex64, expected a floating array"),
    ("bool-weights", with_array("layers.0.W", W0.astype(bool)), r"dtype bool, expected a floating"),
    ("complex-running-stats", with_array("layers.1.state.running_mean", np.zeros(3, complex)),
     r"layers.1.state.running_mean has dtype complex128, expected a floating array"),
    ("float-batch-count", with_array("layers.1.state.num_batches_tracked", np.array(1.5)),
     r"num_batches_tracked has dtype float64, expected an integer array"),
    ("rng-state-not-json", with_array("layers.3.state.rng_state", np.array("{oops")),
     r"layer 3 \(Dropout\(p=0.2\)\): bad saved state"),
    ("rng-state-not-text", with_array("layers.3.state.rng_state", np.zeros(())),
     r"rng_state has dtype float64, expected a text array"),
    ("version-missing", setter("format_version", DELETE),
     r"'format_version' must be an integer, got None; this nnscratch reads versions 1 to"),
    ("version-negative", setter("format_version", -1), r"format version -1 was never written"),
    ("version-zero", setter("format_version", 0), r"format version 0 was never written"),
    ("version-string", setter("format_version", "1"), r"must be an integer, got '1'"),
    ("version-bool", setter("format_version", True), r"must be an integer, got True"),
    ("version-float", setter("format_version", 1.0), r"must be an integer, got 1.0"),
    ("version-newer", setter("format_version", 99),
     r"format version 99 is newer than this nnscratch reads \(\d+\); upgrade"),
    ("unknown-loss", setter("loss.class", "Mystery"), r"unknown loss class 'Mystery'"),
    ("unknown-optimizer", setter("optimizer.class", "Mystery"), r"unknown optimizer class"),
    ("loss-without-optimizer", setter("optimizer", None),
     r"'loss' and 'optimizer' must both be set or both be null"),
    ("optimizer-extra-key", setter("optimizer.config.momentum_x", 0.9),
     r"optimizer \(nnscratch.Adam\): unexpected config key 'momentum_x'"),
    ("leftover-array", with_array("junk", np.zeros(3)),
     r"array 'junk' is read by no layer of the 6 in the header"),
    ("leftover-in-a-layer", with_array("layers.0.V", np.zeros(3, np.float32)),
     r"layer 0 \(nnscratch.Dense\): array 'layers.0.V' is read by no layer"),
    ("leftover-past-the-layers", with_array("layers.6.W", np.zeros(3, np.float32)),
     r"array 'layers.6.W' is read by no layer of the 6"),
    ("leftover-odd-index", with_array("layers.00.W", np.zeros(3, np.float32)),
     r"array 'layers.00.W' is read by no layer"),
    ("missing-weights", lambda h, a: a.pop("layers.4.W"),
     r"layer 4 \(nnscratch.Dense\): missing array 'layers.4.W' \(expected shape \(3, 2\)\)"),
    ("config-extra-key", setter("layers.0.config.units", 3),
     r"layer 0 \(nnscratch.Dense\): unexpected config key 'units'; Dense takes \["),
    ("config-missing-key", setter("layers.0.config.out_features", DELETE),
     r"layer 0 \(nnscratch.Dense\): missing config key 'out_features', which Dense requires"),
    ("config-bad-value", setter("layers.0.config.in_features", "2"),
     r"layer 0 \(nnscratch.Dense\): bad config .*in_features must be a positive integer"),
    ("config-bad-type", setter("layers.1.config.momentum", "fast"),
     r"layer 1 \(nnscratch.BatchNorm1D\): bad config .*momentum must be a number"),
    ("config-not-a-dict", setter("layers.0.config", [2, 3]),
     r"layer 0: key 'config' must be a dict"),
    ("class-not-a-string", setter("layers.0.class", 7), r"layer 0: key 'class' must be a class"),
    ("unknown-layer-class", setter("layers.0.class", "os.system"),
     r"layer 0 has unknown class 'os.system'"),
    ("layers-not-a-list", setter("layers", {"0": 1}), r"key 'layers' must be a list"),
    ("model-dtype", setter("dtype", "complex64"), r"key 'dtype' must be one of \['float32'"),
    ("input-shape", setter("input_shape", [-2]), r"key 'input_shape' must be null or a list"),
    ("metrics", setter("metrics", 3), r"key 'metrics' must be a name or a list of names"),
    ("metadata", setter("metadata", [1]), r"key 'metadata' must be a dict"),
    ("header-not-a-dict", with_array("__nnscratch__", np.array("[1]")),
     r"not an nnscratch model file \(format \[1\]\)"),
    ("header-too-deep", with_array("__nnscratch__", np.array("[" * 100_000 + "]" * 100_000)),
     r"corrupt model header"),
    ("header-not-text", with_array("__nnscratch__", np.zeros(3)),
     r"corrupt model header: __nnscratch__ is an array of float64 of shape \(3,\)"),
]


@pytest.mark.parametrize(("mutate", "pattern"), [c[1:] for c in STRICT],
                         ids=[c[0] for c in STRICT])
def test_files_that_must_not_load(tmp_path, mutate, pattern):
    header, arrays = saved_parts(tmp_path)
    mutate(header, arrays)
    path = write_model(tmp_path / "bad.npz", header, arrays)
    with pytest.raises(ValueError, match=pattern) as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_zip_members_that_are_not_arrays(tmp_path):
    header, arrays = saved_parts(tmp_path)
    path = write_model(tmp_path / "m.npz", header, arrays)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match=r"m.npz: member 'notes.txt': expected only .npy arrays"):
        nn.load(path)


# (id, mutation of the checkpoint's header and arrays, words of the ValueError)
CHECKPOINTS = [
    ("no-optimizer", setter("training.optimizer", DELETE),
     r"training state: missing key 'optimizer'; expected a dict"),
    ("iteration-not-int", setter("training.iteration", "3x"),
     r"training state: key 'iteration' must be a non-negative integer, got '3x'"),
    ("epoch-negative", setter("training.epoch", -1),
     r"training state: key 'epoch' must be a non-negative integer, got -1"),
    ("optimizer-iterations-missing", setter("training.optimizer.state.iterations", DELETE),
     r"training state: optimizer state: missing key 'iterations'"),
    ("optimizer-slots-not-dicts", setter("training.optimizer.state.state", [1, 2]),
     r"optimizer state: key 'state' must be a list of dicts"),
    ("history-missing", setter("training.history", DELETE), r"missing key 'history'"),
    ("history-not-numbers", setter("training.history.history", {"loss": ["a"]}),
     r"training state: history: key 'loss' must be a list of numbers"),
    ("callbacks-not-a-list", setter("training.callbacks", "x"), r"key 'callbacks' must be a list"),
    ("rng-not-a-dict", setter("training.rng", 5), r"key 'rng' must be a generator state"),
    ("unread-optimizer-array", with_array("training.optimizer.extra", np.zeros(2)),
     r"array 'training.optimizer.extra' is read by no layer"),
    ("missing-optimizer-array", lambda h, a: a.pop("training.optimizer.state.state.0.exp_avg"),
     r"the header refers to array 'training.optimizer.state.state.0.exp_avg', which the file "
     r"does not hold"),
]


@pytest.mark.parametrize(("mutate", "pattern"), [c[1:] for c in CHECKPOINTS],
                         ids=[c[0] for c in CHECKPOINTS])
def test_malformed_checkpoints(tmp_path, mutate, pattern):
    header, arrays = saved_parts(tmp_path, checkpoint=True)
    mutate(header, arrays)
    path = write_model(tmp_path / "bad.npz", header, arrays)
    with pytest.raises(ValueError, match=pattern) as info:
        io.read_checkpoint(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("mutate", "pattern"), [
    (with_array("training.optimizer.state.state.0.exp_avg", np.zeros((5, 5))),
     r"training state key 'optimizer': .*saved 'exp_avg' for parameter 0 \(W\) has shape"),
    (lambda h, a: [setter("training.optimizer.state.state", [])(h, a)] + [
        a.pop(k) for k in list(a) if k.startswith("training.optimizer.")],
     r"training state key 'optimizer': .*saved state is for 0 parameters, 6 are bound"),
    (setter("training.rng", {"bit_generator": "PCG64", "state": "x"}),
     r"training state key 'rng'"),
], ids=["moment-shape", "moment-count", "rng-garbage"])
def test_resuming_from_a_malformed_checkpoint_names_the_file_and_key(tmp_path, mutate, pattern):
    header, arrays = saved_parts(tmp_path, checkpoint=True)
    mutate(header, arrays)
    path = write_model(tmp_path / "bad.npz", header, arrays)
    x = np.zeros((8, 2), np.float32)
    with pytest.raises(ValueError, match=pattern) as info:
        small_model().fit(x, np.arange(8) % 2, epochs=2, verbose=0, resume_from=path)
    assert str(path) in str(info.value)

