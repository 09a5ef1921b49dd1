"""Every optimizer's rule, one module each; see :mod:`optim_core.rules.base`.

Adding an optimizer: a module here with ``update`` and ``INFO`` (as ``lion.py``), listed in
``RULES``, and its golden cases regenerated (README, "Adding an optimizer").
"""

from __future__ import annotations

from optim_core.rules import (
    adabelief,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    amsgrad,
    gd,
    lion,
    momentum,
    nadam,
    nag,
    radam,
    rmsprop,
    rprop,
)

# optimizers.md's nine, then the six issue #16 added.
MODULES = (gd, momentum, nag, adagrad, rmsprop, adadelta, adam, adamax, nadam)
MODULES += (adamw, amsgrad, radam, rprop, adabelief, lion)
RULES = {module.INFO.name: module.INFO for module in MODULES}
# The six issue #16 added, with goldens of their own (tests/golden/*_new_rules.json).
ADDED = ("adamw", "amsgrad", "radam", "rprop", "adabelief", "lion")
