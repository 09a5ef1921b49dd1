"""``python -m optim_core``: run optimizers side by side and write the tidy table.

Bad input exits with status 2 and one line on stderr saying what is wrong (no traceback).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TextIO

from optim_core import schedules
from optim_core.api import Scenario
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from spec_strings import Param, SpecError, echo
from surfaces import CATALOG, make_surface
from ui.export import SIZES, VIEWS, require_browser

OUTPUTS = ("csv", "json", "scenario")
# Figure files: drawn by ui.figures and ui.export (plotly and kaleido, loaded only when asked).
ANIMATIONS = ("gif", "mp4")
FIGURE_FILES = {"png": "PNG (3x the slide's pixels)", "svg": "SVG", "pdf": "PDF"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit status 2
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def _describe(params: Sequence[Param]) -> str:
    if not params:
        return "no keys"
    return "; ".join(f"{p.name}={p.default} ({p.allowed()})" for p in params)


def _epilog() -> str:
    lines = ["Names and keys (spec strings are name or name:key=value,key=value):", "", "optimizers:"]
    for name, info in OPTIMIZERS.items():
        lines.append(f"  {name}: {_describe(info.params)}; label=<text>")
    lines += ["", "surfaces:"]
    for name, cls in CATALOG.items():
        lines.append(f"  {name}: {_describe(cls.info.params)}")
    lines += ["", "schedules:"]
    for name, info in schedules.SCHEDULES.items():
        lines.append(f"  {name}: {_describe(info.params)}")
    lines += [
        "",
        "example:",
        "  python -m optim_core --surface rosenbrock --optimizer adam:lr=0.05 --optimizer gd:lr=0.001 \\",
        "      --start=-1.2,1 --steps 500 --schedule cosine --csv run.csv",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m optim_core",
        description="Run optimizers side by side on a 2D surface and write the tidy table (CSV or JSON).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--surface", default="rosenbrock", help="surface spec (default: rosenbrock)")
    parser.add_argument(
        "--optimizer", action="append", dest="optimizers", help="optimizer spec; repeat for several (default: gd, adam)"
    )
    parser.add_argument("--start", help="start point X,Y (write --start=-1.2,1 for a negative x)")
    parser.add_argument("--steps", type=int, default=500, help="number of updates (default 500)")
    parser.add_argument("--schedule", default="constant", help="schedule spec (default: constant)")
    parser.add_argument("--convention", default="lecture", choices=CONVENTIONS, help="update rules to follow")
    parser.add_argument("--seed", type=int, default=0, help="seed for gradient noise and mini-batches")
    parser.add_argument(
        "--tolerance", type=float, default=1e-6, help="loss gap to the minimum that counts as converged"
    )
    parser.add_argument("--csv", metavar="PATH", help="write the tidy table as CSV (- for stdout)")
    parser.add_argument("--json", metavar="PATH", help="write the tidy table as JSON records (- for stdout)")
    parser.add_argument("--scenario", metavar="PATH", help="write the scenario (all inputs) as JSON")
    for fmt, what in FIGURE_FILES.items():
        parser.add_argument(f"--{fmt}", metavar="PATH", help=f"write the figure of --view as {what}")
    parser.add_argument(
        "--view", default="contour", choices=VIEWS, help="the figure --png/--svg/--pdf write (default: contour)"
    )
    parser.add_argument("--size", default="1280x720", choices=list(SIZES), help="the slide size of a figure file")
    parser.add_argument("--gif", metavar="PATH", help="write the race (the paths drawn step by step) as a GIF")
    parser.add_argument("--mp4", metavar="PATH", help="write the race as an MP4 (H.264)")
    parser.add_argument("--frames", type=int, default=60, help="frames of --gif/--mp4 (10 to 300, default 60)")
    parser.add_argument("--fps", type=int, default=15, help="frames per second of --gif/--mp4 (2 to 60, default 15)")
    return parser


def _join_negative_values(argv: list[str]) -> list[str]:
    # argparse takes "-1.2,1" for an option; accept "--start -1.2,1" as "--start=-1.2,1".
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--start" and i + 1 < len(argv) and re.fullmatch(r"-[\d.].*", argv[i + 1]):
            out.append(f"--start={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _parse_start(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise SpecError(f"--start {echo(text)} is not X,Y (two numbers separated by a comma)") from None


def _open_output(option: str, path: str | None, stack: ExitStack, binary: bool = False) -> TextIO | None:
    """The stream an output option writes to, opened before the run so a bad path costs nothing."""
    if path is None:
        return None
    if path == "-":
        return sys.stdout.buffer if binary else sys.stdout
    try:
        if binary:
            return stack.enter_context(open(path, "wb"))
        return stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SpecError(f"{option} {echo(path, 80)}: cannot write there ({reason})") from None


def _progress_line(what: str):
    """A progress line on stderr, rewritten in place on a terminal (and written once at the end otherwise)."""
    terminal = sys.stderr.isatty()

    def report(done: float) -> None:
        if terminal or done >= 1.0:
            sys.stderr.write(f"\r{what}: {done:4.0%}" + ("\n" if done >= 1.0 else ""))
            sys.stderr.flush()

    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        run(args)
    except SpecError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except OSError as error:  # a disk that fills up, or a stream that fails while written or closed
        sys.stderr.write(f"error: could not write the output ({error.strerror or type(error).__name__})\n")
        return 2
    return 0


def run(args: argparse.Namespace) -> None:
    scenario = Scenario(
        surface=args.surface,
        optimizers=args.optimizers or ["gd", "adam"],
        start=_parse_start(args.start),
        steps=args.steps,
        schedule=args.schedule,
        convention=args.convention,
        seed=args.seed,
        tolerance=args.tolerance,
    ).validate()
    figures = {fmt: getattr(args, fmt) for fmt in FIGURE_FILES if getattr(args, fmt)}
    animations = {fmt: getattr(args, fmt) for fmt in ANIMATIONS if getattr(args, fmt)}
    if figures or animations:
        require_browser()
    if figures and args.view == "distance" and not make_surface(args.surface).minima:  # before any file is opened
        raise SpecError(f"--view distance: {echo(args.surface)} has no known minimum, so no distance to draw")
    if animations:
        from ui.animation import check_animation

        for fmt in animations:
            check_animation(fmt, args.size, args.frames, args.fps)
    with ExitStack() as stack:
        outputs = {option: _open_output(f"--{option}", getattr(args, option), stack) for option in OUTPUTS}
        files = {fmt: _open_output(f"--{fmt}", path, stack, binary=True) for fmt, path in figures.items()}
        races = {fmt: _open_output(f"--{fmt}", path, stack, binary=True) for fmt, path in animations.items()}
        result = scenario.run()
        if files:
            from ui.export import figure_file

            figure = result.figure(args.view)
            for fmt, stream in files.items():
                stream.write(figure_file(figure, fmt, args.size))
        for fmt, stream in races.items():
            from ui.animation import race_file

            stream.write(race_file(result, fmt, args.size, args.frames, args.fps, _progress_line(f"--{fmt}")))
        summary = result.summary().drop(columns=["run"])
        sys.stderr.write(summary.to_string(index=False, float_format=lambda v: f"{v:.6g}") + "\n")
        table = result.to_frame() if outputs["csv"] or outputs["json"] else None
        if outputs["csv"]:
            table.to_csv(outputs["csv"], index=False)
        if outputs["json"]:
            outputs["json"].write(table.to_json(orient="records", indent=None) + "\n")
        if outputs["scenario"]:
            outputs["scenario"].write(scenario.to_json())
        for stream in (*outputs.values(), *files.values(), *races.values()):
            if stream is not None:
                stream.flush()  # write errors surface here, inside the try of main
