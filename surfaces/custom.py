"""The surface of a function the user types (``custom:expr=...``).

Parsing, checking and compiling the text need sympy, which ``surfaces.expression`` holds: it
is imported by the first typed function, so a server that never draws one never loads sympy
(about 40 MB of memory and a second of import). What the catalog, the spec grammar and the
pages need to list this surface is here.
"""

from __future__ import annotations

from functools import cached_property

from spec_strings import Param, SpecError
from surfaces.base import NOISE, Surface, SurfaceInfo
from surfaces.stationary import stationary_points

MAX_LENGTH = 200
# The functions a user may call (surfaces.expression.FUNCTIONS maps each to sympy's).
FUNCTION_NAMES = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "atan", "asin", "acos")
ALLOWED_TEXT = "numbers, x, y, pi, e, + - * / **, unary minus, and the functions " + ", ".join(FUNCTION_NAMES)


class ExpressionError(SpecError):
    """A typed expression that is refused; the message says why and what is allowed."""


def parse_expression(text: str):
    """Check ``text`` against the whitelist and return its sympy expression
    (``surfaces.expression.parse_expression``, loaded on first use)."""
    from surfaces import expression

    return expression.parse_expression(text)


class Custom(Surface):
    info = SurfaceInfo(
        "custom",
        "Your function",
        r"f(x, y) = \text{(typed)}",
        (
            Param("expr", "x**2 + 3*y**2 + sin(3*x)", "f(x, y): " + ALLOWED_TEXT, kind="text", max_length=MAX_LENGTH),
            Param("xmin", -3.0, "left edge of the plotting domain", low=-1000, high=1000),
            Param("xmax", 3.0, "right edge of the plotting domain", low=-1000, high=1000),
            Param("ymin", -3.0, "bottom edge of the plotting domain", low=-1000, high=1000),
            Param("ymax", 3.0, "top edge of the plotting domain", low=-1000, high=1000),
            NOISE,
        ),
        "A function you type. Its gradient is derived symbolically; where it is undefined "
        "(log of a negative number, say) a run is stopped and flagged as diverged.",
    )
    log_levels = False

    def __init__(self, values):
        super().__init__(values)
        v = self.values
        if not (v["xmin"] < v["xmax"] and v["ymin"] < v["ymax"]):
            raise SpecError("surface custom: the domain needs xmin < xmax and ymin < ymax")
        from surfaces import expression as ex  # sympy: loaded by the first typed function

        self.expression = ex.parse_expression(v["expr"])
        if not self.expression.free_symbols <= {ex.X, ex.Y}:
            raise ExpressionError("the expression may only use x and y")
        self.derivatives = (ex.sympy.diff(self.expression, ex.X), ex.sympy.diff(self.expression, ex.Y))
        for name, derivative in zip(("∂f/∂x", "∂f/∂y"), self.derivatives, strict=True):
            ex.check_derivative(derivative, name)
        self._f = ex.compile_expression(self.expression)
        self._fx, self._fy = (ex.compile_expression(d) for d in self.derivatives)
        self.domain = ((v["xmin"], v["xmax"]), (v["ymin"], v["ymax"]))
        wx, wy = v["xmax"] - v["xmin"], v["ymax"] - v["ymin"]
        self.starts = ((v["xmin"] + 0.2 * wx, v["ymax"] - 0.2 * wy),)

    @cached_property
    def _stationary(self):
        return stationary_points(self)

    @property
    def minima(self):
        """The minima in the plotting domain, found from the exact gradient (surfaces.stationary)."""
        return self._stationary[0]

    @property
    def saddles(self):
        return self._stationary[1]

    def __reduce__(self):
        # The compiled closures cannot be pickled (Streamlit's cache pickles results): rebuild
        # from the parameter values instead, which re-runs the checks.
        return (Custom, (self.values,))

    @property
    def latex(self) -> str:
        from surfaces import expression as ex

        return "f(x, y) = " + ex.sympy.latex(self.expression)

    def _value(self, x, y):
        return self._f(x, y)

    def _grad(self, x, y):
        return self._fx(x, y), self._fy(x, y)
