"""Kernels: the few operations whose fast form needs a trick, each with its plain
reference beside it.

A layer's ``forward`` and ``backward`` say its math; where a measurement showed that the
plain NumPy of a step costs real time, the layer calls a kernel named after what it
computes (``relu_forward``, ``maxpool2d_backward``, ``im2col``, ``sgd_update``, ...).
Every kernel ``k`` has ``k_reference`` right above it (or the reference inline), the
version to read, with a one-line statement of what both compute; the tests compare the two
over many shapes and both float dtypes.

The reference switch runs the whole library on the references, with no caches, layout
changes or fused passes: ``NNSCRATCH_REFERENCE=1`` in the environment at import, or
:func:`set_reference` / :func:`reference_mode` at run time.

Examples
--------
>>> import numpy as np
>>> import nnscratch as nn
>>> x = np.array([[-1.0, 2.0]])
>>> with nn.kernels.reference_mode():
...     nn.kernels.relu_forward(x)
array([[0., 2.]])
"""

from ._mode import is_reference, reference_mode, set_reference
from .activations import (
    log_softmax,
    relu_forward,
    relu_forward_reference,
    softmax,
)
from .conv import (
    bias_matmul,
    bias_matmul_grads,
    bias_matmul_grads_reference,
    bias_matmul_reference,
    col2im,
    col2im_reference,
    cols_to_images,
    im2col,
    im2col_reference,
    images_to_cols,
)
from .grads import (
    matmul_into_grad,
    matmul_into_grad_reference,
    sum_into_grad,
    sum_into_grad_reference,
)
from .losses import (
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_backward_reference,
    softmax_cross_entropy_reference,
)
from .optim import sgd_update, sgd_update_reference
from .pool import (
    avgpool2d_backward,
    avgpool2d_backward_reference,
    avgpool2d_forward,
    avgpool2d_forward_reference,
    global_avgpool2d_backward,
    maxpool2d_backward,
    maxpool2d_backward_reference,
    maxpool2d_forward,
    maxpool2d_forward_reference,
)

__all__ = [
    "avgpool2d_backward",
    "avgpool2d_backward_reference",
    "avgpool2d_forward",
    "avgpool2d_forward_reference",
    "bias_matmul",
    "bias_matmul_grads",
    "bias_matmul_grads_reference",
    "bias_matmul_reference",
    "col2im",
    "col2im_reference",
    "cols_to_images",
    "global_avgpool2d_backward",
    "im2col",
    "im2col_reference",
    "images_to_cols",
    "is_reference",
    "log_softmax",
    "matmul_into_grad",
    "matmul_into_grad_reference",
    "maxpool2d_backward",
    "maxpool2d_backward_reference",
    "maxpool2d_forward",
    "maxpool2d_forward_reference",
    "reference_mode",
    "relu_forward",
    "relu_forward_reference",
    "set_reference",
    "sgd_update",
    "sgd_update_reference",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_backward_reference",
    "softmax_cross_entropy_reference",
    "sum_into_grad",
    "sum_into_grad_reference",
]
