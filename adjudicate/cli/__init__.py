"""The ``adjudicate`` command: a thin layer over the public API.

One module per command (``audit``, ``reproduce``, ``agreement``, ``compare``,
``compare_nlp``, ...), each
with a ``register(subparsers)`` that adds its parser and sets ``run``; shared options and
output helpers live in :mod:`adjudicate.cli._common`. Every error the user can cause (a bad
file, an unknown reader, a bad option) ends as one readable line on stderr and exit status 2;
no traceback.
"""

from __future__ import annotations

import argparse

from . import agreement, audit, compare, compare_nlp, reproduce, sensitivity
from ._common import fail

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (audit, reproduce, agreement, compare, compare_nlp, sensitivity)
"""The command modules, in the order ``adjudicate --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``adjudicate`` command (one subparser per command)."""
    from .. import __version__

    p = argparse.ArgumentParser(
        prog="adjudicate",
        description="Label adjudication and reader-agreement statistics "
                    "(bundled: NIH ChestX-ray14 expert labels).")
    p.add_argument("--version", action="version", version=f"adjudicate {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv=None) -> int:
    """Entry point of the ``adjudicate`` console script."""
    from .._errors import InputError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except InputError as e:
        return fail(str(e))
    except (ValueError, KeyError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        if isinstance(e, OSError) and e.filename:
            msg = f"{e.filename}: {e.strerror}"
        return fail(msg)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
