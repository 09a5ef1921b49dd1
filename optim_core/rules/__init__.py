"""The rules that bring their own scalar update, one module each; see :mod:`optim_core.rules.base`.

Adding an optimizer: a module here with ``update`` and ``INFO`` (as ``lion.py``), listed in
``RULES``, and its golden cases regenerated.
"""

from __future__ import annotations

from optim_core.rules import (
    adabelief,
    adadelta,
    adam,
    adamax,
    adamw,
    amsgrad,
    gd,
    lion,
    momentum,
    nag,
    radam,
    rmsprop,
    rprop,
)

RULES = {
    module.INFO.name: module.INFO
    for module in (gd, momentum, nag, rmsprop, adadelta, adam, adamax, adamw, amsgrad, radam, rprop, adabelief, lion)
}
# The six issue #16 added, with goldens of their own (tests/golden/*_new_rules.json).
ADDED = ("adamw", "amsgrad", "radam", "rprop", "adabelief", "lion")
