"""Plots people would rather look at than read: cost curves and training histories, and
pictures of what a network learned.

matplotlib is an optional extra (``pip install nnscratch[plot]``), imported only when a
plot is drawn, with the non-interactive Agg backend so plots work on servers. Every
function returns the matplotlib Figure; given ``path`` it saves it as a PNG and closes it
in pyplot (the returned figure stays usable); those that draw on one set of axes also
take ``ax=`` to draw into a figure of yours.

- :func:`plot_cost`, :func:`plot_history`, :func:`plot_histories`: curves over training
- :func:`plot_decision_boundary`: class regions of a model on 2-D inputs
- :func:`plot_confusion_matrix`, :func:`plot_samples`: how a classifier does
- :func:`plot_weights`, :func:`plot_feature_maps`: weights and convolution outputs as images
- :func:`plot_model`: the architecture as a drawing
"""

from __future__ import annotations

from .architecture import plot_model
from .boundary import plot_decision_boundary
from .classification import plot_confusion_matrix, plot_samples
from .curves import plot_cost, plot_histories, plot_history
from .inside import plot_feature_maps, plot_weights

__all__ = [
    "plot_confusion_matrix", "plot_cost", "plot_decision_boundary", "plot_feature_maps",
    "plot_histories", "plot_history", "plot_model", "plot_samples", "plot_weights",
]
