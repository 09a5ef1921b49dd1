"""The package from outside the checkout: `pip install .`, the example notebook, `optim-viz`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tools.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "optimizers.ipynb"
# What pyproject.toml builds the package from.
SOURCES = (
    "pyproject.toml", "README.md", "requirements.txt", "app.py", "spec_strings.py", "pages", ".streamlit",
    "optim_core", "surfaces", "ui",
)  # fmt: skip


def install(tmp_path_factory, *options: str) -> dict[str, Path]:
    """A fresh venv with `pip install [options] .` of a copy of the sources in it (setuptools
    writes build/ and *.egg-info beside them). The venv has no pip or packages of its own: a
    .pth file lends it the test venv's (the dependencies, and a setuptools new enough to
    build without a download)."""
    venv, source = tmp_path_factory.mktemp("venv"), tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    scheme = sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})
    site, scripts = Path(scheme["purelib"]), Path(scheme["scripts"])
    (site / "lent-by-the-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = scripts / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", *options, "."],
        cwd=source, check=True, capture_output=True,
    )  # fmt: skip
    return {"prefix": venv, "source": source, "site": site, "bin": scripts, "python": python}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    return install(tmp_path_factory)


def test_an_editable_install_runs_the_sources_in_place(tmp_path_factory, tmp_path):
    editable = install(tmp_path_factory, "-e")
    code = "import optim_core\nfrom ui.launch import app_dir\nprint(optim_core.__file__, app_dir())"
    out = subprocess.run([editable["python"], "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    module, app = out.stdout.split()
    assert Path(module) == editable["source"] / "optim_core" / "__init__.py" and Path(app) == editable["source"]


def run_elsewhere(installed, code: str, cwd: Path) -> str:
    """``code`` run by the fresh venv's Python from ``cwd``, away from the checkout."""
    out = subprocess.run([installed["python"], "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout


def test_the_installed_package_imports_from_another_folder(installed, tmp_path):
    code = (
        "import optim_core, surfaces, ui.figures, spec_strings\n"
        "from ui.launch import app_dir\n"
        "r = optim_core.simulate('booth', ['adam:lr=0.1', 'gd:lr=0.01'], steps=40)\n"
        "print(optim_core.__file__, app_dir(), len(r.figure('contour').data) > 2)"
    )
    module, app, drew = run_elsewhere(installed, code, tmp_path).split()
    assert Path(module).is_relative_to(installed["site"])  # not the checkout's copy
    assert Path(app) == installed["prefix"] / "share" / "optim-viz"
    assert (Path(app) / "pages" / "playground.py").is_file() and (Path(app) / ".streamlit" / "config.toml").is_file()
    assert drew == "True"
    assert (installed["bin"] / "optim-viz").is_file()


def test_the_example_notebook_runs_top_to_bottom(installed, tmp_path):
    notebook = json.loads(NOTEBOOK.read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert notebook["nbformat"] == 4 and len(cells) >= 5
    code = (
        "import ast, json\n"
        f"cells = {cells!r}\n"
        "shown, namespace = [], {}\n"
        "for cell in cells:  # as Jupyter does: the value of a cell's last expression is shown\n"
        "    tree = ast.parse(cell)\n"
        "    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None\n"
        "    exec(compile(tree, 'cell', 'exec'), namespace)\n"
        "    shown.append(eval(compile(ast.Expression(last.value), 'cell', 'eval'), namespace) if last else None)\n"
        "print(json.dumps([type(value).__name__ for value in shown]))\n"
        "figure = namespace['result'].figure('contour')\n"
        "print(sum(1 for t in figure.data if t.name and 'adam' in t.name))"
    )
    kinds, adam_traces = run_elsewhere(installed, code, tmp_path).splitlines()
    kinds = json.loads(kinds)
    assert kinds.count("Figure") >= 5 and "DataFrame" in kinds
    assert int(adam_traces) >= 1


@pytest.mark.browser
def test_the_console_script_serves_the_app(installed, tmp_path, page):
    port = free_port()
    server = subprocess.Popen(
        [str(installed["bin"] / "optim-viz"), "--server.port", str(port), "--server.headless", "true"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "optim-viz did not serve"
            time.sleep(0.5)
        page.goto(url)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.goto(f"{url}/lessons")  # a page's own URL, before it ever ran: routed through app.py
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        server.terminate()
        server.wait(timeout=20)
