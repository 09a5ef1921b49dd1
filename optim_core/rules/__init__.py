"""The rules that bring their own scalar update, one module each; see :mod:`optim_core.rules.base`.

Adding an optimizer: a module here with ``update`` and ``INFO`` (as ``lion.py``), listed in
``RULES``, and its golden cases regenerated.
"""

from __future__ import annotations

from optim_core.rules import adabelief, adamw, amsgrad, lion, radam, rprop

RULES = {module.INFO.name: module.INFO for module in (adamw, amsgrad, radam, rprop, adabelief, lion)}
