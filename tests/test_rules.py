"""Every update rule against an independent scalar transcription of optimizers.md.

The references below are written from the spec's table, one coordinate at a time in plain
Python floats, and share no code with the engine (not even the gradient: Rosenbrock's and the
rotated valley's gradients are written out again here).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optim_core import simulate

STEPS = 120


def rosenbrock_grad(x, y, a=1.0, b=100.0):
    return (-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x))


def valley_grad(x, y, kappa=25.0, angle=30.0):
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    xr, yr = c * x + s * y, -s * x + c * y
    return (c * xr - s * kappa * yr, s * xr + c * kappa * yr)


SURFACES = {
    "rosenbrock": (rosenbrock_grad, (-1.2, 1.0)),
    "valley:kappa=25,angle=30": (valley_grad, (-9.0, 3.0)),
}


def reference(name, convention, grad, start, steps, lr_at, **hp):
    """Positions θ_0 … θ_steps of one run, coordinate by coordinate, from the spec's table."""
    theta = list(start)
    path = [tuple(theta)]
    u = [0.0, 0.0]
    v = [0.0, 0.0]
    m = [0.0, 0.0]
    prod = 1.0  # Π_k of torch's NAdam
    for t in range(steps):
        k = t + 1
        eta = lr_at(t)
        lecture = convention == "lecture"
        if name == "nag" and lecture:
            g = grad(theta[0] - hp["beta"] * u[0], theta[1] - hp["beta"] * u[1])
        else:
            g = grad(*theta)
        if name == "nadam" and not lecture:
            psi = hp.get("momentum_decay", 0.004)
            mu = hp["beta1"] * (1 - 0.5 * 0.96 ** (k * psi))
            mu_next = hp["beta1"] * (1 - 0.5 * 0.96 ** ((k + 1) * psi))
            prod *= mu
        for i in range(2):
            gi = g[i]
            if name == "gd":
                theta[i] -= eta * gi
            elif name in ("momentum", "nag") and lecture:
                u[i] = hp["beta"] * u[i] + eta * gi
                theta[i] -= u[i]
            elif name == "momentum":
                u[i] = hp["beta"] * u[i] + gi
                theta[i] -= eta * u[i]
            elif name == "nag":
                u[i] = hp["beta"] * u[i] + gi
                theta[i] -= eta * (gi + hp["beta"] * u[i])
            elif name == "adagrad":
                v[i] += gi * gi
                denom = math.sqrt(v[i] + hp["eps"]) if lecture else math.sqrt(v[i]) + hp["eps"]
                theta[i] -= eta * gi / denom
            elif name == "rmsprop":
                v[i] = hp["beta"] * v[i] + (1 - hp["beta"]) * gi * gi
                denom = math.sqrt(v[i] + hp["eps"]) if lecture else math.sqrt(v[i]) + hp["eps"]
                theta[i] -= eta * gi / denom
            elif name == "adadelta":
                v[i] = hp["beta"] * v[i] + (1 - hp["beta"]) * gi * gi
                delta = -math.sqrt(u[i] + hp["eps"]) / math.sqrt(v[i] + hp["eps"]) * gi
                u[i] = hp["beta"] * u[i] + (1 - hp["beta"]) * delta * delta
                theta[i] += eta * delta
            elif name == "adam":
                m[i] = hp["beta1"] * m[i] + (1 - hp["beta1"]) * gi
                v[i] = hp["beta2"] * v[i] + (1 - hp["beta2"]) * gi * gi
                if hp.get("bias_correction", True):
                    m_hat, v_hat = m[i] / (1 - hp["beta1"] ** k), v[i] / (1 - hp["beta2"] ** k)
                else:
                    m_hat, v_hat = m[i], v[i]
                theta[i] -= eta * m_hat / (math.sqrt(v_hat) + hp["eps"])
            elif name == "adamax":
                m[i] = hp["beta1"] * m[i] + (1 - hp["beta1"]) * gi
                u[i] = max(hp["beta2"] * u[i], abs(gi) + hp["eps"])
                theta[i] -= eta / (1 - hp["beta1"] ** k) * m[i] / u[i]
            elif name == "nadam":
                m[i] = hp["beta1"] * m[i] + (1 - hp["beta1"]) * gi
                v[i] = hp["beta2"] * v[i] + (1 - hp["beta2"]) * gi * gi
                v_hat = v[i] / (1 - hp["beta2"] ** k)
                denom = math.sqrt(v_hat) + hp["eps"]
                if lecture:
                    b1 = hp["beta1"]
                    m_bar = b1 * m[i] / (1 - b1 ** (k + 1)) + (1 - b1) * gi / (1 - b1**k)
                    theta[i] -= eta * m_bar / denom
                else:
                    theta[i] -= eta * (1 - mu) / (1 - prod) * gi / denom
                    theta[i] -= eta * mu_next / (1 - prod * mu_next) * m[i] / denom
        path.append(tuple(theta))
    return np.array(path)


# optimizer -> (spec keys used by both the engine and the reference)
CASES = {
    "gd": {"lr": 1e-3},
    "momentum": {"lr": 1e-3, "beta": 0.9},
    "nag": {"lr": 1e-3, "beta": 0.85},
    "adagrad": {"lr": 0.3, "eps": 1e-8},
    "rmsprop": {"lr": 0.01, "beta": 0.9, "eps": 1e-8},
    "adadelta": {"lr": 1.0, "beta": 0.9, "eps": 1e-6},
    "adam": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "adamax": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "nadam": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


def spec_of(name, hp):
    return name + ":" + ",".join(f"{k}={v!r}" for k, v in hp.items())


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
@pytest.mark.parametrize("name", list(CASES))
def test_rule_matches_scalar_reference(name, convention, surface):
    grad, start = SURFACES[surface]
    hp = CASES[name]
    result = simulate(surface, [spec_of(name, hp)], start=start, steps=STEPS, convention=convention)
    expected = reference(name, convention, grad, start, STEPS, lambda t: hp["lr"], **hp)
    np.testing.assert_allclose(result.positions[0], expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
@pytest.mark.parametrize("name", list(CASES))
def test_rule_under_a_schedule_matches_reference(name, convention):
    """With a step schedule η_t changes mid-run; lecture and torch momentum then differ."""
    grad, start = SURFACES["valley:kappa=25,angle=30"]
    hp = CASES[name]
    result = simulate(
        "valley:kappa=25,angle=30",
        [spec_of(name, hp)],
        start=start,
        steps=STEPS,
        schedule="step:step_size=30,gamma=0.5",
        convention=convention,
    )
    expected = reference(name, convention, grad, start, STEPS, lambda t: hp["lr"] * 0.5 ** (t // 30), **hp)
    np.testing.assert_allclose(result.positions[0], expected, rtol=1e-11, atol=1e-13)


def test_all_nine_in_one_mixed_batch_equal_each_alone():
    """A run's numbers do not depend on its neighbours."""
    specs = [spec_of(name, hp) for name, hp in CASES.items()]
    together = simulate("rosenbrock", specs, steps=STEPS)
    for i, spec in enumerate(specs):
        alone = simulate("rosenbrock", [spec], steps=STEPS)
        np.testing.assert_array_equal(together.positions[i], alone.positions[0])


def test_adam_without_bias_correction_matches_reference():
    grad, start = SURFACES["rosenbrock"]
    hp = {**CASES["adam"], "bias_correction": False}
    result = simulate("rosenbrock", [spec_of("adam", hp)], start=start, steps=STEPS)
    expected = reference("adam", "lecture", grad, start, STEPS, lambda t: hp["lr"], **hp)
    np.testing.assert_allclose(result.positions[0], expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", ["momentum", "nag"])
def test_beta_zero_is_gradient_descent(name):
    for convention in ("lecture", "pytorch"):
        a = simulate("rosenbrock", [f"{name}:lr=0.001,beta=0"], steps=200, convention=convention)
        b = simulate("rosenbrock", ["gd:lr=0.001"], steps=200, convention=convention)
        np.testing.assert_allclose(a.positions, b.positions, rtol=1e-14, atol=0)


def test_adam_without_first_moment_or_bias_correction_is_torch_rmsprop():
    a = simulate("rosenbrock", ["adam:lr=0.01,beta1=0,beta2=0.9,bias_correction=false"], steps=300)
    b = simulate("rosenbrock", ["rmsprop:lr=0.01,beta=0.9"], steps=300, convention="pytorch")
    # The same numbers until update 164; then a few ulps: torch's RMSprop fuses v·β + ((1−β)g)·g
    # into one multiply-add (optim_core/rules/rmsprop.py), this project's Adam does not.
    np.testing.assert_array_equal(a.positions[:, :164], b.positions[:, :164])
    np.testing.assert_allclose(a.positions, b.positions, rtol=1e-13, atol=1e-14)


def test_lecture_momentum_equals_torch_momentum_at_constant_rate_only():
    const = [simulate("booth", ["momentum:lr=0.01,beta=0.9"], steps=200, convention=c) for c in ("lecture", "pytorch")]
    np.testing.assert_allclose(const[0].positions, const[1].positions, rtol=1e-12, atol=1e-12)
    scheduled = [
        simulate("booth", ["momentum:lr=0.01,beta=0.9"], steps=200, schedule="step:step_size=20", convention=c)
        for c in ("lecture", "pytorch")
    ]
    assert np.max(np.abs(scheduled[0].positions - scheduled[1].positions)) > 1e-3


def test_torch_nag_iterate_is_the_lecture_look_ahead_point():
    """optimizers.md: torch's NAG iterate is the lecture's look-ahead point θ − βu (constant η)."""
    beta, lr = 0.9, 0.01
    lecture = simulate("booth", [f"nag:lr={lr},beta={beta}"], steps=100)
    torch_like = simulate("booth", [f"nag:lr={lr},beta={beta}"], steps=100, convention="pytorch")
    velocity = lecture.state(0)["u"]
    look_ahead = lecture.positions[0] - beta * velocity
    # torch's iterate after k updates = lecture's θ_k − β u_k (both start at the same point).
    np.testing.assert_allclose(torch_like.positions[0][1:], look_ahead[1:], rtol=1e-10, atol=1e-10)


def test_effective_learning_rate_follows_the_spec():
    result = simulate(
        "rosenbrock",
        ["adagrad:lr=0.3,eps=1e-8", "adamax:lr=0.05", "adadelta", "gd:lr=0.001"],
        steps=50,
        schedule="exponential:decay=0.01",
    )
    eta = 0.3 * np.exp(-0.01 * np.arange(50))
    grads = result.gradients[0]
    v = np.cumsum(grads**2, axis=0)
    np.testing.assert_allclose(result.effective_lr[0], eta[:, None] / np.sqrt(v + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(result.effective_lr[3], 0.001 * np.exp(-0.01 * np.arange(50))[:, None] * [1, 1])
    u = result.state(1)["u"][1:]
    k = np.arange(1, 51)[:, None]
    expected = 0.05 * np.exp(-0.01 * (k - 1)) / ((1 - 0.9**k) * u)
    np.testing.assert_allclose(result.effective_lr[1], expected, rtol=1e-12)
    # Realised step ratio: |Δθ| / |g| equals the effective rate for AdaGrad (its step is eff · g).
    np.testing.assert_allclose(result.step_ratio[0], result.effective_lr[0], rtol=1e-9)
