"""Side-by-side timings of nnscratch, PyTorch CPU and scikit-learn: ``python -m benchmarks``.

See ``benchmarks/RESULTS.md`` for the latest numbers and :mod:`benchmarks.run` for the
method.
"""
