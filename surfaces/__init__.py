"""Test surfaces: vectorized functions, exact gradients and metadata (surfaces.md).

``make_surface("rosenbrock:a=1,b=100")`` returns a bound :class:`Surface`; ``CATALOG`` maps
each name to its class, whose ``info`` holds the metadata and declared parameters.
"""

from __future__ import annotations

from dataclasses import replace

from spec_strings import Spec, SpecError, build_spec, parse_spec, resolved
from surfaces.base import Minimum, Surface, SurfaceInfo
from surfaces.classic import (
    Ackley,
    Beale,
    Booth,
    GoldsteinPrice,
    Himmelblau,
    MonkeySaddle,
    Rastrigin,
    Rosenbrock,
    Saddle,
    SixHumpCamel,
    ThreeHumpCamel,
    Valley,
)
from surfaces.custom import Custom, ExpressionError, parse_expression
from surfaces.sparse import SparseDense
from surfaces.suggested import SUGGESTED

CATALOG: dict[str, type[Surface]] = {
    cls.info.name: cls
    for cls in (
        Rosenbrock,
        Beale,
        Himmelblau,
        Booth,
        Rastrigin,
        Ackley,
        GoldsteinPrice,
        ThreeHumpCamel,
        SixHumpCamel,
        Saddle,
        MonkeySaddle,
        Valley,
        SparseDense,
        Custom,
    )
}
PARAMS = {name: cls.info.params for name, cls in CATALOG.items()}
for _name, _cls in CATALOG.items():
    _cls.info = replace(_cls.info, suggested=SUGGESTED.get(_name, {}))


def parse_surface_spec(text: str) -> Spec:
    """Parse and check a surface spec string (raises SpecError with a clear message)."""
    return parse_spec(text, "surface", PARAMS)


def make_surface(spec: str | Spec, **values) -> Surface:
    """A bound surface from a spec string or Spec, with optional keyword overrides."""
    if isinstance(spec, str):
        spec = parse_surface_spec(spec)
    if values:
        merged = {**spec.values, **values}
        spec = build_spec(spec.name, merged, "surface", PARAMS[spec.name])
    cls = CATALOG[spec.name]
    return cls(resolved(spec, cls.info.params))


__all__ = [
    "CATALOG",
    "PARAMS",
    "Custom",
    "ExpressionError",
    "Minimum",
    "SpecError",
    "Surface",
    "SurfaceInfo",
    "make_surface",
    "parse_expression",
    "parse_surface_spec",
]
