"""Choose the optimizers' colour set, and measure it: ``python -m tools.palette``.

Candidates are the colours of Paul Tol's qualitative schemes (bright, vibrant, muted, dark,
medium- and high-contrast) and Okabe & Ito's, the two sets designed for colour-blind readers.
Kept are those with a contrast of 3:1 or more against white (the page and the light end of the
contour); from them a greedy search picks, one at a time, the colour farthest (CIELAB ΔE) from
those already picked, as seen with normal vision and as simulated for protanopia, deuteranopia
and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1). The set printed here is the one
in ``ui.style.PALETTE``; a test checks its contrast and its smallest distance.
"""

from __future__ import annotations

import numpy as np

from ui.style import linear_rgb

TOL_AND_OKABE_ITO = (
    # Tol bright, vibrant, muted, dark, medium contrast, high contrast; Okabe-Ito
    "#4477AA", "#228833", "#EE6677", "#AA3377", "#CCBB44", "#66CCEE", "#0077BB", "#009988",
    "#CC3311", "#EE3377", "#EE7733", "#33BBEE", "#332288", "#117733", "#44AA99", "#999933",
    "#CC6677", "#882255", "#AA4499", "#88CCEE", "#DDCC77", "#222255", "#225555", "#225522",
    "#666633", "#663333", "#555555", "#6699CC", "#004488", "#997700", "#994455", "#EECC66",
    "#EE99AA", "#BB5566", "#DDAA33", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2",
    "#D55E00", "#CC79A7", "#000000",
)  # fmt: skip

# Not for optimizers: greys (the contour is grey), black (start marks) and the red of divergence.
RESERVED = ("#555555", "#000000", "#CC3311")

SIMULATIONS = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
}  # fmt: skip


def lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour: str, vision: str) -> np.ndarray:
    return lab(np.clip(SIMULATIONS[vision] @ linear_rgb(colour), 0, 1))


def distance(a: str, b: str) -> float:
    """The smallest CIELAB ΔE between two colours over the four kinds of vision."""
    return min(float(np.linalg.norm(seen(a, v) - seen(b, v))) for v in SIMULATIONS)


def smallest_distance(colours: list[str]) -> float:
    return min(distance(a, b) for i, a in enumerate(colours) for b in colours[i + 1 :])


def choose(count: int, minimum_contrast: float = 3.0, maximum_contrast: float = 12.0) -> list[str]:
    from ui.style import contrast

    pool = [
        c
        for c in dict.fromkeys(TOL_AND_OKABE_ITO)
        if minimum_contrast <= contrast(c, "#FFFFFF") <= maximum_contrast and c not in RESERVED
    ]
    picked = ["#0077BB"]  # Tol's vibrant blue: the first optimizer (plain GD)
    while len(picked) < count and len(picked) < len(pool):
        rest = [c for c in pool if c not in picked]
        picked.append(max(rest, key=lambda c: min(distance(c, p) for p in picked)))
    return picked


if __name__ == "__main__":
    from ui.style import PALETTE, contrast

    chosen = choose(16)
    print("chosen:", " ".join(chosen))
    for n in (9, 12, 16):
        print(f"first {n}: smallest ΔE over four visions {smallest_distance(chosen[:n]):.1f}")
    print("in ui.style:", "same" if list(PALETTE) == chosen else "DIFFERENT")
    print("contrast against white:", ", ".join(f"{c} {contrast(c, '#FFFFFF'):.1f}" for c in chosen))
