"""The classic analytic test functions, each with its exact gradient.

Formulas follow surfaces.md; gradients are written out by hand and checked in the tests
against central finite differences and sympy's derivative.
"""

from __future__ import annotations

import math

import numpy as np

from spec_strings import Param
from surfaces.base import NOISE, Minimum, Surface, SurfaceInfo, refine_minimum, refine_saddle

TWO_PI = 2 * math.pi


class Rosenbrock(Surface):
    info = SurfaceInfo(
        "rosenbrock",
        "Rosenbrock",
        r"f(x,y) = (a - x)^2 + b\,(y - x^2)^2",
        (
            Param("a", 1.0, "x of the minimum (a, a²)", low=-1.5, high=1.5),
            Param("b", 100.0, "steepness of the valley walls", low=1, high=1000, log=True),
            NOISE,
        ),
        "A curved, narrow valley: finding it is easy, following it to (a, a²) is slow.",
    )
    domain = ((-2.0, 2.0), (-1.0, 3.0))
    starts = ((-1.2, 1.0), (-1.5, 2.5), (0.5, -0.5))

    def __init__(self, values):
        super().__init__(values)
        self.a, self.b = self.values["a"], self.values["b"]
        self.minima = (Minimum(self.a, self.a * self.a, 0.0),)

    @staticmethod
    def fdf(x, y, p):
        a, b = p[0], p[1]
        r = y - x * x
        return (a - x) ** 2 + b * r * r, -2 * (a - x) - 4 * b * x * r, 2 * b * r

    def formula_params(self):
        return (self.a, self.b)


class Beale(Surface):
    info = SurfaceInfo(
        "beale",
        "Beale",
        r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        (NOISE,),
        "Flat plateaus and steep ridges; the minimum sits in a narrow bent trough.",
    )
    domain = ((-4.5, 4.5), (-4.5, 4.5))
    starts = ((1.0, 1.5), (-2.0, -2.0), (2.5, 2.0))
    minima = (Minimum(3.0, 0.5, 0.0),)

    @staticmethod
    def fdf(x, y, p):
        y2, y3 = y * y, y**3
        t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
        gx = 2 * (t1 * (y - 1) + t2 * (y2 - 1) + t3 * (y3 - 1))
        gy = 2 * x * (t1 + 2 * t2 * y + 3 * t3 * y2)
        return t1 * t1 + t2 * t2 + t3 * t3, gx, gy


class Himmelblau(Surface):
    info = SurfaceInfo(
        "himmelblau",
        "Himmelblau",
        r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        (NOISE,),
        "Four equal minima: where a run ends depends on where it starts.",
    )
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    starts = ((0.0, 0.0), (-1.0, -1.0), (1.0, 4.5))

    @staticmethod
    def fdf(x, y, p):
        a, b = x * x + y - 11, x + y * y - 7
        return a * a + b * b, 4 * x * a + 2 * b, 2 * a + 4 * y * b


Himmelblau.minima = tuple(
    refine_minimum(Himmelblau({}), x, y)
    for x, y in ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))
)
# Between each two neighbouring minima (the fifth stationary point, near (−0.27, −0.92), is a maximum).
Himmelblau.saddles = tuple(
    refine_saddle(Himmelblau({}), x, y)
    for x, y in ((0.086677, 2.884254), (-3.073026, -0.081353), (3.385154, 0.073852), (-0.127961, -1.953715))
)


class Booth(Surface):
    info = SurfaceInfo(
        "booth",
        "Booth",
        r"f(x,y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        (NOISE,),
        "A plain tilted quadratic bowl (condition number 9).",
    )
    domain = ((-10.0, 10.0), (-10.0, 10.0))
    starts = ((-8.0, 8.0), (8.0, -6.0), (-6.0, -8.0))
    minima = (Minimum(1.0, 3.0, 0.0),)

    @staticmethod
    def fdf(x, y, p):
        a, b = x + 2 * y - 7, 2 * x + y - 5
        return a * a + b * b, 2 * a + 4 * b, 4 * a + 2 * b


class Rastrigin(Surface):
    info = SurfaceInfo(
        "rastrigin",
        "Rastrigin",
        r"f(x,y) = 2A + \sum_{i} \left(x_i^2 - A\cos 2\pi x_i\right)",
        (Param("A", 10.0, "height of the ripples", low=0, high=50), NOISE),
        "A bowl covered in ripples: many local minima trap gradient methods.",
    )
    domain = ((-5.12, 5.12), (-5.12, 5.12))
    starts = ((3.3, -2.7), (-4.2, 4.4), (0.6, 0.4))
    minima = (Minimum(0.0, 0.0, 0.0),)
    log_levels = False

    def __init__(self, values):
        super().__init__(values)
        self.A = self.values["A"]

    @staticmethod
    def fdf(x, y, p):
        A = p[0]
        k = TWO_PI * A
        f = 2 * A + x * x - A * np.cos(TWO_PI * x) + y * y - A * np.cos(TWO_PI * y)
        return f, 2 * x + k * np.sin(TWO_PI * x), 2 * y + k * np.sin(TWO_PI * y)

    def formula_params(self):
        return (self.A,)


class Ackley(Surface):
    info = SurfaceInfo(
        "ackley",
        "Ackley",
        r"f(x,y) = -20 e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        (NOISE,),
        "A nearly flat outer region with ripples and a deep funnel at the origin, where the "
        "gradient is undefined (taken as 0 there).",
    )
    domain = ((-5.0, 5.0), (-5.0, 5.0))
    starts = ((3.0, 3.5), (-2.2, 1.1), (0.6, -0.4))
    minima = (Minimum(0.0, 0.0, 0.0),)
    log_levels = False

    @staticmethod
    def fdf(x, y, p):
        r = np.sqrt((x * x + y * y) / 2)
        decay = np.exp(-0.2 * r)
        c = np.exp((np.cos(TWO_PI * x) + np.cos(TWO_PI * y)) / 2)
        f = -20 * decay - c + math.e + 20
        # d/dx of -20 e^{-0.2 r} is 2 x e^{-0.2 r} / r: undefined at r = 0, where we return 0.
        radial = np.where(r > 0, 2 * decay / r, 0.0)
        return f, radial * x + math.pi * c * np.sin(TWO_PI * x), radial * y + math.pi * c * np.sin(TWO_PI * y)


class GoldsteinPrice(Surface):
    info = SurfaceInfo(
        "goldstein_price",
        "Goldstein–Price",
        r"f(x,y) = \left[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
        (NOISE,),
        "Values spanning six decades and several local minima around the global one at (0, −1).",
    )
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    starts = ((-1.2, 1.5), (1.5, 1.5), (-0.6, -0.3))
    minima = (Minimum(0.0, -1.0, 3.0),)

    @staticmethod
    def fdf(x, y, params):
        s, d = x + y + 1, 2 * x - 3 * y
        p = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
        q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        first, second = 1 + s * s * p, 30 + d * d * q
        # d(first) = 2 s p ds + s² dp with ds = (1, 1); d(second) = 2 d q dd + d² dq with dd = (2, −3).
        first_x = 2 * s * p + s * s * (-14 + 6 * x + 6 * y)
        first_y = 2 * s * p + s * s * (-14 + 6 * x + 6 * y)
        second_x = 4 * d * q + d * d * (-32 + 24 * x - 36 * y)
        second_y = -6 * d * q + d * d * (48 - 36 * x + 54 * y)
        return first * second, first_x * second + first * second_x, first_y * second + first * second_y


class ThreeHumpCamel(Surface):
    info = SurfaceInfo(
        "three_hump_camel",
        "Three-hump camel",
        r"f(x,y) = 2x^2 - 1.05x^4 + \frac{x^6}{6} + xy + y^2",
        (NOISE,),
        "One global minimum at the origin between two shallower local minima.",
    )
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    starts = ((-1.5, 1.8), (1.9, -1.0), (-0.8, -1.5))

    @staticmethod
    def fdf(x, y, p):
        x2 = x * x
        f = 2 * x2 - 1.05 * x2 * x2 + x2**3 / 6 + x * y + y * y
        return f, 4 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2 * y


ThreeHumpCamel.minima = (
    Minimum(0.0, 0.0, 0.0),
    *tuple(
        Minimum(m.x, m.y, m.value, is_global=False)
        for m in (refine_minimum(ThreeHumpCamel({}), sx * 1.7476, -sx * 0.8738) for sx in (1, -1))
    ),
)


class SixHumpCamel(Surface):
    info = SurfaceInfo(
        "six_hump_camel",
        "Six-hump camel",
        r"f(x,y) = \left(4 - 2.1x^2 + \frac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
        (NOISE,),
        "Two global minima and four local ones in a small box.",
    )
    domain = ((-2.0, 2.0), (-1.2, 1.2))
    starts = ((-1.5, -0.8), (1.2, 0.9), (0.0, 0.0))

    @staticmethod
    def fdf(x, y, p):
        x2, y2 = x * x, y * y
        f = (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2
        return f, 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x - 8 * y + 16 * y * y * y


SixHumpCamel.minima = tuple(refine_minimum(SixHumpCamel({}), sx * 0.0898, -sx * 0.7126) for sx in (1, -1)) + tuple(
    Minimum(m.x, m.y, m.value, is_global=False)
    for m in (refine_minimum(SixHumpCamel({}), sx * 1.7036, -sx * 0.7961) for sx in (1, -1))
)


class Saddle(Surface):
    info = SurfaceInfo(
        "saddle",
        "Saddle",
        r"f(x,y) = x^2 - y^2",
        (NOISE,),
        "Unbounded below: a run started near y = 0 first slows down at the saddle point, then "
        "escapes along y and leaves the domain. That is the lesson, and such runs are flagged.",
    )
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    starts = ((-1.5, 0.01), (1.8, -0.001), (-1.0, 0.5))
    saddles = ((0.0, 0.0),)
    log_levels = False

    @staticmethod
    def fdf(x, y, p):
        return x * x - y * y, 2 * x, -2 * y


class MonkeySaddle(Surface):
    info = SurfaceInfo(
        "monkey_saddle",
        "Monkey saddle",
        r"f(x,y) = x^3 - 3xy^2",
        (NOISE,),
        "A degenerate saddle: the gradient and the curvature both vanish at the origin.",
    )
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    starts = ((1.0, 0.05), (1.5, -1.0), (0.5, 1.5))
    saddles = ((0.0, 0.0),)
    log_levels = False

    @staticmethod
    def fdf(x, y, p):
        return x**3 - 3 * x * y * y, 3 * x * x - 3 * y * y, -6 * x * y


class Valley(Surface):
    info = SurfaceInfo(
        "valley",
        "Elongated valley",
        r"f(x,y) = \tfrac12\left(x'^2 + \kappa\,y'^2\right),\ "
        r"\begin{pmatrix}x'\\y'\end{pmatrix} = R(-\alpha)\begin{pmatrix}x\\y\end{pmatrix}",
        (
            Param("kappa", 25.0, "condition number: curvature across / along the valley", low=1, high=1000, log=True),
            Param("angle", 0.0, "rotation of the valley, in degrees", low=-90, high=90),
            NOISE,
        ),
        "An ill-conditioned quadratic. Rotating it shows that per-coordinate adaptivity only "
        "helps when the curvature is aligned with the axes.",
    )
    domain = ((-10.0, 10.0), (-10.0, 10.0))
    starts = ((-9.0, 3.0), (8.0, 6.0), (-4.0, -8.0))
    minima = (Minimum(0.0, 0.0, 0.0),)

    def __init__(self, values):
        super().__init__(values)
        self.kappa = self.values["kappa"]
        alpha = math.radians(self.values["angle"])
        self.cos, self.sin = math.cos(alpha), math.sin(alpha)

    @staticmethod
    def fdf(x, y, p):
        kappa, cos, sin = p[0], p[1], p[2]
        xr, yr = cos * x + sin * y, -sin * x + cos * y
        kyr = kappa * yr
        return 0.5 * (xr * xr + kappa * yr * yr), cos * xr - sin * kyr, sin * xr + cos * kyr

    def formula_params(self):
        return (self.kappa, self.cos, self.sin)
