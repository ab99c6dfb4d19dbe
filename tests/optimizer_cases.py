"""The one table of optimizer test cases.

Each row is an optimizer class and the arguments to build it with. The unit tests
(test_optimizers.py) run every row; the PyTorch comparisons (test_torch_optim.py) build
the equal ``torch.optim`` optimizer from the row's ``get_config()`` through
:func:`torch_optimizer`. test_optimizers.py checks that every built-in optimizer has a
row: adding an optimizer means adding its class, a row here and its torch name below.
"""

from __future__ import annotations

from typing import Any

from nnscratch.optimizers import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp

OPTIMIZER_CASES: list[tuple[type[Optimizer], dict[str, Any]]] = [
    (SGD, {"learning_rate": 0.1}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.9}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.5, "dampening": 0.5}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1,
           "exclude_bias_and_norm": True}),
    (AdaGrad, {"learning_rate": 0.1}),
    (AdaGrad, {"learning_rate": 0.5, "lr_decay": 0.01, "weight_decay": 0.01}),
    (AdaGrad, {"learning_rate": 0.1, "eps": 1e-6, "initial_accumulator_value": 0.1,
               "lr_decay": 0.01, "weight_decay": 0.05}),
    (AdaGrad, {"learning_rate": 0.1, "weight_decay": 0.05, "exclude_bias_and_norm": True}),
    (RMSProp, {"learning_rate": 0.01}),
    (RMSProp, {"learning_rate": 0.01, "rho": 0.99}),  # torch's RMSprop defaults
    (RMSProp, {"learning_rate": 0.01, "momentum": 0.9}),
    (RMSProp, {"learning_rate": 0.01, "centered": True, "eps": 1e-6}),
    (RMSProp, {"learning_rate": 0.01, "momentum": 0.9, "centered": True,
               "weight_decay": 0.01}),
    (RMSProp, {"learning_rate": 0.01, "rho": 0.95, "momentum": 0.5, "centered": True,
               "weight_decay": 0.05}),
    (RMSProp, {"learning_rate": 0.01, "weight_decay": 0.05, "exclude_bias_and_norm": True}),
    (Adam, {"learning_rate": 0.05}),
    (Adam, {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6}),
    (Adam, {"learning_rate": 0.05, "amsgrad": True}),
    (Adam, {"learning_rate": 0.05, "weight_decay": 0.1}),
    (Adam, {"learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    (Adam, {"learning_rate": 0.05, "weight_decay": 0.1, "exclude_bias_and_norm": True}),
    (AdamW, {"learning_rate": 0.05}),
    (AdamW, {"learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.3}),
    (AdamW, {"learning_rate": 0.05, "amsgrad": True, "clipnorm": 1.0, "clipvalue": 0.5}),
    (AdamW, {"learning_rate": 0.05, "weight_decay": 0.3, "exclude_bias_and_norm": True}),
]
CASE_IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
            for cls, kw in OPTIMIZER_CASES]

#: Our class -> the torch.optim class computing the same update.
TORCH_NAMES = {SGD: "SGD", AdaGrad: "Adagrad", RMSProp: "RMSprop", Adam: "Adam",
               AdamW: "AdamW"}


def torch_optimizer(torch: Any, ours: Optimizer, groups: Any) -> Any:
    """The ``torch.optim`` optimizer equal to ``ours``, over parameter ``groups``.

    Clipping is left to the caller (torch clips with separate functions), and
    ``exclude_bias_and_norm`` to the groups (torch's bias group has ``weight_decay=0``).
    """
    config = ours.get_config()
    for key in ("clipnorm", "clipvalue", "exclude_bias_and_norm"):
        config.pop(key, None)
    kwargs: dict[str, Any] = {"lr": config.pop("learning_rate"), "foreach": False}
    if "beta1" in config:
        kwargs["betas"] = (config.pop("beta1"), config.pop("beta2"))
    if "rho" in config:
        kwargs["alpha"] = config.pop("rho")
    kwargs.update(config)  # the other names are torch's own
    return getattr(torch.optim, TORCH_NAMES[type(ours)])(groups, **kwargs)
