"""The baseline the benchmarks compare against: each run stepped alone in plain Python floats.

This is how one would write the nine lecture-convention rules without NumPy: one function per
rule, called once per run per step, recording the path. It is a yardstick for speed only; the
tests check the engine against their own independent references.
"""

from __future__ import annotations

import math


def rosenbrock(x: float, y: float) -> float:
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def run_plain(
    name: str, hp: dict, start: tuple[float, float], steps: int, grad=rosenbrock_grad, loss=rosenbrock, record=True
) -> dict:
    """Step one run of ``name`` for ``steps`` updates.

    With ``record`` it keeps what the engine's full recording keeps: position and loss per
    row; gradient, η_t, effective rate per coordinate and optimizer state per update.
    """
    x, y = start
    path = [(x, y)]
    losses = [loss(x, y)]
    gradients, rates, effective, states = [], [], [], []
    ux = uy = vx = vy = mx = my = 0.0
    lr, eps = hp.get("lr", 0.001), hp.get("eps", 1e-8)
    beta, beta1, beta2 = hp.get("beta", 0.9), hp.get("beta1", 0.9), hp.get("beta2", 0.999)
    for t in range(steps):
        k = t + 1
        if name == "nag":
            gx, gy = grad(x - beta * ux, y - beta * uy)
        else:
            gx, gy = grad(x, y)
        ex = ey = lr
        if name == "gd":
            x -= lr * gx
            y -= lr * gy
        elif name in ("momentum", "nag"):
            ux = beta * ux + lr * gx
            uy = beta * uy + lr * gy
            x -= ux
            y -= uy
        elif name == "adagrad":
            vx += gx * gx
            vy += gy * gy
            ex, ey = lr / math.sqrt(vx + eps), lr / math.sqrt(vy + eps)
            x -= ex * gx
            y -= ey * gy
        elif name == "rmsprop":
            vx = beta * vx + (1 - beta) * gx * gx
            vy = beta * vy + (1 - beta) * gy * gy
            ex, ey = lr / math.sqrt(vx + eps), lr / math.sqrt(vy + eps)
            x -= ex * gx
            y -= ey * gy
        elif name == "adadelta":
            vx = beta * vx + (1 - beta) * gx * gx
            vy = beta * vy + (1 - beta) * gy * gy
            ex = lr * math.sqrt(ux + eps) / math.sqrt(vx + eps)
            ey = lr * math.sqrt(uy + eps) / math.sqrt(vy + eps)
            dx = -math.sqrt(ux + eps) / math.sqrt(vx + eps) * gx
            dy = -math.sqrt(uy + eps) / math.sqrt(vy + eps) * gy
            ux = beta * ux + (1 - beta) * dx * dx
            uy = beta * uy + (1 - beta) * dy * dy
            x += lr * dx
            y += lr * dy
        else:
            mx = beta1 * mx + (1 - beta1) * gx
            my = beta1 * my + (1 - beta1) * gy
            c1 = 1 - beta1**k
            if name == "adamax":
                ux = max(beta2 * ux, abs(gx) + eps)
                uy = max(beta2 * uy, abs(gy) + eps)
                ex, ey = lr / (c1 * ux), lr / (c1 * uy)
                x -= lr / c1 * mx / ux
                y -= lr / c1 * my / uy
            else:
                vx = beta2 * vx + (1 - beta2) * gx * gx
                vy = beta2 * vy + (1 - beta2) * gy * gy
                c2 = 1 - beta2**k
                dx_ = math.sqrt(vx / c2) + eps
                dy_ = math.sqrt(vy / c2) + eps
                ex, ey = lr / dx_, lr / dy_
                if name == "adam":
                    x -= lr * (mx / c1) / dx_
                    y -= lr * (my / c1) / dy_
                else:  # nadam (Dozat, constant β1)
                    c1_next = 1 - beta1 ** (k + 1)
                    x -= lr * (beta1 * mx / c1_next + (1 - beta1) * gx / c1) / dx_
                    y -= lr * (beta1 * my / c1_next + (1 - beta1) * gy / c1) / dy_
        path.append((x, y))
        if record:
            losses.append(loss(x, y))
            gradients.append((gx, gy))
            rates.append(lr)
            effective.append((ex, ey))
            states.append((mx, my, vx, vy, ux, uy))
    return {"path": path, "loss": losses, "grad": gradients, "lr": rates, "eff": effective, "state": states}
