"""A function the user types, made safe: parsed, whitelisted, differentiated, vectorized.

This module holds what needs sympy (about 40 MB of a server's memory and a second of import),
loaded by the first typed function (``surfaces.custom.Custom``), not by the app's start.

The text is never passed to eval or exec (nor to sympify, which uses eval, nor to lambdify,
which uses exec). Instead:

1. ``ast.parse`` reads it (after a length check) and every node is checked against a
   whitelist: numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, unary minus and plus, and
   calls of the functions in :data:`FUNCTIONS` with one argument. Anything else is refused
   with a message that names it.
2. The checked tree is translated node by node into a sympy expression; constant powers are
   bounded so that ``9**9**9`` is refused instead of computed.
3. sympy differentiates it, and :func:`compile_expression` turns each expression into nested
   NumPy closures (an interpreter over the sympy tree, no generated code).

The function is real-valued, and so is everything derived from it:

- a part that is constant must be a finite real number: ``sqrt(-1)``, ``log(-1)``, ``acos(2)``,
  ``(-8)**(1/3)`` (sympy's principal root is complex), ``log(0)``, ``tan(pi/2)`` and a literal
  that underflows to 0 in a divisor are refused before any run, with the part named; so is a
  constant negative base raised to a power that depends on x or y (``(-1)**x``), which is not
  real at almost every point;
- a part that depends on x and y and leaves the reals at some points (``sqrt(x)``, ``log(x)``,
  ``asin(x)`` for |x| > 1) is undefined there: it evaluates to NaN, and a run that reaches such a
  point is stopped and flagged as diverged;
- ``abs`` is the real absolute value, whose derivative is ``sign`` (sympy's complex ``Abs`` would
  bring ``re``, ``im`` and ``arg`` into the gradient, and double its size at every nesting).

The work is bounded by the size of the text, of its tree and of the derivatives (each at most
:data:`MAX_DERIVATIVE_NODES` nodes), so every expression is accepted or refused in a few
milliseconds to tens of milliseconds.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable

import numpy as np
import sympy

from surfaces.custom import ALLOWED_TEXT, FUNCTION_NAMES, MAX_LENGTH, ExpressionError

MAX_DEPTH = 24
MAX_NODES = 160
MAX_EXPONENT = 16
MAX_LITERAL = 1e9
MAX_CONSTANT = 1e300
MAX_DERIVATIVE_NODES = 3000

X, Y = sympy.symbols("x y", real=True)


class real_abs(sympy.Function):  # sympy names its functions in lower case
    """|u| for real u: its derivative is sign(u) u' (sympy's Abs assumes u may be complex)."""

    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_number:
            return sympy.Abs(arg)
        return None

    def fdiff(self, argindex: int = 1):
        return sympy.sign(self.args[0])

    def _latex(self, printer) -> str:
        return rf"\left|{printer._print(self.args[0])}\right|"

    def _sympystr(self, printer) -> str:
        return f"abs({printer._print(self.args[0])})"


# The functions a user may call: typed name -> sympy function.
FUNCTIONS: dict[str, Callable] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": real_abs,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "atan": sympy.atan,
    "asin": sympy.asin,
    "acos": sympy.acos,
}
NAMES = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

# What a refused node is called in the message.
_DESCRIBE = {
    ast.Attribute: "attribute access (.)",
    ast.Subscript: "subscripts ([...])",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.NamedExpr: "the walrus operator (:=)",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}

assert tuple(FUNCTIONS) == FUNCTION_NAMES  # the names the page lists are the ones parsed


def parse_expression(text: str) -> sympy.Expr:
    """Check ``text`` against the whitelist and return its sympy expression."""
    if not isinstance(text, str):
        raise ExpressionError("the expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise ExpressionError(f"the expression is empty; write f(x, y) using {ALLOWED_TEXT}")
    if text.count("(") > MAX_DEPTH:
        raise ExpressionError(f"the expression has more than {MAX_DEPTH} parentheses")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(
            f"could not parse the expression near column {error.offset}: write f(x, y) with explicit * "
            f"(e.g. 2*x, not 2x); allowed: {ALLOWED_TEXT}"
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("could not parse the expression") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"the expression has {nodes} parts; at most {MAX_NODES} are allowed")
    for node in ast.walk(tree):  # each part's own text, for the messages
        node.source = ast.get_source_segment(text.strip(), node)
    return _translate(tree.body, 1)


def _translate(node: ast.AST, depth: int) -> sympy.Expr:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(
                f"{type(value).__name__} constants ({value!r:.20}) are not allowed; allowed: {ALLOWED_TEXT}"
            )
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            raise ExpressionError(f"the number {value:.6g} is too large; numbers up to {MAX_LITERAL:.0e} are allowed")
        if value == 0 and re.search(r"[1-9]", re.split(r"[eE]", _part(node))[0]):
            raise ExpressionError(
                f"the number {_part(node)} is too small: it is 0 in floating point (smallest: about 1e-308)"
            )
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if isinstance(node, ast.Name):
        if node.id in NAMES:
            return NAMES[node.id]
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it as {node.id}(...)")
        raise ExpressionError(f"unknown name {node.id!r:.40}{_lookalike_hint(node.id)}; allowed names: x, y, pi, e")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return -_translate(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return _translate(node.operand, depth + 1)
        raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed; allowed: {ALLOWED_TEXT}")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ExpressionError("'^' is not a power here: write powers as ** (e.g. x**2)")
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed; allowed: {ALLOWED_TEXT}")
        left = _translate(node.left, depth + 1)
        right = _translate(node.right, depth + 1)
        return _combine(node, left, right)
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            raise ExpressionError(f"only the named functions {', '.join(FUNCTIONS)} may be called")
        if func.id not in FUNCTIONS:
            raise ExpressionError(
                f"the function {func.id!r:.40} is not allowed; allowed functions: {', '.join(FUNCTIONS)}"
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{func.id} takes exactly one argument")
        argument = _translate(node.args[0], depth + 1)
        result = FUNCTIONS[func.id](argument)
        _check_constant(result, node)
        return result
    description = _DESCRIBE.get(type(node), type(node).__name__)
    raise ExpressionError(f"{description} is not allowed; allowed: {ALLOWED_TEXT}")


def _part(node: ast.AST, limit: int = 40) -> str:
    """The part of the typed text a node stands for, as the user would write it (shortened)."""
    text = getattr(node, "source", None) or ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Letters that look like Latin x, y or e (Cyrillic, Greek), named when one of them is typed.
_LOOKALIKES = {"х": "x", "Х": "x", "у": "y", "У": "y", "е": "e", "Е": "e", "χ": "x", "γ": "y", "ε": "e"}


def _lookalike_hint(name: str) -> str:
    foreign = [(ch, _LOOKALIKES[ch]) for ch in name if ch in _LOOKALIKES]
    if not foreign:
        return ""
    ch, latin = foreign[0]
    return f" ({ch!r} is U+{ord(ch):04X}, not the Latin letter {latin!r}: retype it)"


def _combine(node: ast.BinOp, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    op = type(node.op)
    if op is ast.Pow:
        if right.is_number:
            exponent = complex(right)
            if exponent.imag or abs(exponent.real) > MAX_EXPONENT:
                raise ExpressionError(
                    f"the exponent {sympy.sstr(right)[:20]} is too large; exponents up to {MAX_EXPONENT} are allowed"
                )
        if left.is_number and right.is_number:
            # Fold constants in floating point first, so a huge power is refused, not computed.
            try:
                magnitude = abs(float(left)) ** float(right)
            except (OverflowError, ZeroDivisionError, TypeError, ValueError):
                magnitude = math.inf
            if not magnitude < MAX_CONSTANT:
                raise ExpressionError(f"the constant {sympy.sstr(left)[:20]}**{sympy.sstr(right)[:20]} is too large")
        elif left.is_number and left.is_extended_negative:
            raise ExpressionError(
                f"{_part(node)}: a negative number to a power that depends on x or y is not a real number "
                "at almost every point; use a positive base"
            )
        result = left**right
    elif op is ast.Add:
        result = left + right
    elif op is ast.Sub:
        result = left - right
    elif op is ast.Mult:
        result = left * right
    else:
        if right.is_number and right.is_zero:
            raise ExpressionError(f"{_part(node)}: division by the constant 0")
        result = left / right
    _check_constant(result, node)
    return result


def _check_constant(expr: sympy.Expr, node: ast.AST | None = None, where: str = "") -> None:
    """A constant part must be a finite real number (``node``: the typed part, for the message)."""
    if not expr.is_number:
        return
    shown = _part(node) if node is not None else sympy.sstr(expr)[:40]
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(f"{where}{shown} is undefined (it has no finite value)")
    try:
        value = complex(expr)
    except (TypeError, ValueError, OverflowError):
        raise ExpressionError(f"{where}{shown} cannot be evaluated as a number") from None
    if math.isnan(value.real) or math.isnan(value.imag):
        raise ExpressionError(f"{where}{shown} is undefined (it has no finite value)")
    if value.imag != 0:
        raise ExpressionError(
            f"{where}{shown} is not a real number (it is {sympy.sstr(expr)[:30]} ≈ {value:.4g}); "
            "the function must be real-valued"
        )
    if not abs(value) < MAX_CONSTANT:
        raise ExpressionError(f"{where}{shown} is too large (above {MAX_CONSTANT:.0e})")


def check_derivative(expr: sympy.Expr, name: str) -> None:
    """A derivative must be small enough to evaluate each step, and real where it is constant."""
    walk = sympy.preorder_traversal(expr)
    for count, part in enumerate(walk, start=1):
        if count > MAX_DERIVATIVE_NODES:
            raise ExpressionError(
                f"the derivative {name} has more than {MAX_DERIVATIVE_NODES} parts (nested functions multiply "
                "its size); write a simpler function"
            )
        if part.is_number:
            _check_constant(part, where=f"the derivative {name} holds a part that ")
            walk.skip()


# ----- vectorized evaluation without generated code ------------------------------------------
Evaluator = Callable[[np.ndarray, np.ndarray], np.ndarray]

_UNARY_NUMPY = {
    sympy.sin: np.sin,
    sympy.cos: np.cos,
    sympy.tan: np.tan,
    sympy.exp: np.exp,
    sympy.log: np.log,
    sympy.Abs: np.abs,
    real_abs: np.abs,
    sympy.sign: np.sign,
    sympy.tanh: np.tanh,
    sympy.sinh: np.sinh,
    sympy.cosh: np.cosh,
    sympy.atan: np.arctan,
    sympy.asin: np.arcsin,
    sympy.acos: np.arccos,
}


def compile_expression(expr: sympy.Expr) -> Evaluator:
    """Turn a sympy expression in x, y into a NumPy function of two arrays."""
    if expr == X:
        return lambda x, y: x
    if expr == Y:
        return lambda x, y: y
    if expr.is_number:
        value = float(expr)
        return lambda x, y: np.full(np.broadcast(x, y).shape, value)
    if isinstance(expr, sympy.Add):
        parts = [compile_expression(arg) for arg in expr.args]

        def add(x, y):
            total = parts[0](x, y)
            for part in parts[1:]:
                total = total + part(x, y)
            return total

        return add
    if isinstance(expr, sympy.Mul):
        parts = [compile_expression(arg) for arg in expr.args]

        def multiply(x, y):
            total = parts[0](x, y)
            for part in parts[1:]:
                total = total * part(x, y)
            return total

        return multiply
    if isinstance(expr, sympy.Pow):
        base = compile_expression(expr.args[0])
        exponent = expr.args[1]
        if exponent.is_number:
            if exponent == sympy.Rational(1, 2):
                return lambda x, y: np.sqrt(base(x, y))
            if exponent.is_integer:
                power = int(exponent)
                return lambda x, y: np.power(base(x, y), float(power))
            real = float(exponent)
            return lambda x, y: np.power(base(x, y), real)
        power_of = compile_expression(exponent)
        return lambda x, y: np.power(base(x, y), power_of(x, y))
    function = _UNARY_NUMPY.get(expr.func)
    if function is not None and len(expr.args) == 1:
        inner = compile_expression(expr.args[0])
        return lambda x, y: function(inner(x, y))
    raise ExpressionError(f"the expression uses {expr.func}, which cannot be evaluated here")
