"""The core imports NumPy and nothing heavier."""

from __future__ import annotations

import subprocess
import sys


def test_import_pulls_in_only_numpy():
    code = (
        "import sys, nnscratch\n"
        "heavy = {'matplotlib', 'tqdm', 'h5py', 'sklearn', 'torch', 'scipy', 'pandas',\n"
        "         'onnx', 'onnxruntime'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
