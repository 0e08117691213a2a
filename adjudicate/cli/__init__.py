"""The ``adjudicate`` command: a thin layer over the public API.

One module per command (``audit``, ``reproduce``, ``vote``, ``agreement``, ``compare``,
``compare_nlp``, ...), each
with a ``register(subparsers)`` that adds its parser and sets ``run``; shared options and
output helpers live in :mod:`adjudicate.cli._common`. Every error the user can cause (a bad
file, an unknown reader, a bad option) ends as one readable line on stderr and exit status 2;
no traceback.
"""

from __future__ import annotations

import argparse

from . import (
    agreement,
    audit,
    compare,
    compare_nlp,
    evaluate,
    report,
    reproduce,
    sensitivity,
    vote,
)
from ._common import fail

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (audit, reproduce, vote, agreement, compare, compare_nlp, evaluate, sensitivity,
            report)
"""The command modules, in the order ``adjudicate --help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``adjudicate agreement: error: argument --seed: ...``."""

    def error(self, message):
        from ._common import printable

        self.exit(2, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``adjudicate`` command (one subparser per command)."""
    from .. import __version__

    p = _Parser(
        prog="adjudicate",
        description="Label adjudication and reader-agreement statistics "
                    "(bundled: NIH ChestX-ray14 expert labels).")
    p.add_argument("--version", action="version", version=f"adjudicate {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p


_OPTION_OF = {"n_resamples": "--bootstrap", "confidence_level": "--level", "seed": "--seed",
              "clusters": "--cluster"}
"""Library argument -> command-line option, so a library message names the option typed."""


def _with_option(msg: str) -> str:
    for arg, opt in _OPTION_OF.items():
        if msg.startswith(arg) and not msg[len(arg):len(arg) + 1].isalnum():
            return f"{opt}: {msg}"
    return msg


def main(argv=None) -> int:
    """Entry point of the ``adjudicate`` console script.

    Exit status: 0 success, 1 a comparison found differences (``reproduce --compare``),
    2 a user error (bad file, option or value; one line on stderr, no traceback),
    130 interrupted (Ctrl-C), 1 an internal error (one line; ``ADJUDICATE_TRACEBACK=1``
    shows the traceback). No output file is left half-written in any case.
    """
    import os
    import sys
    import warnings

    from .._errors import InputError

    said: set[str] = set()

    def one_line(message, category, filename, lineno, file=None, line=None):
        from ._common import printable
        text = printable(message)
        if text not in said:  # once per run, whichever code path warned
            said.add(text)
            print(f"adjudicate: warning: {text}", file=sys.stderr)

    shown = warnings.showwarning
    warnings.showwarning = one_line  # a warning is one line for a command-line user, too
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except SystemExit as e:  # argparse: --help, --version, or a bad option (one line)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except KeyboardInterrupt:
        print("adjudicate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except InputError as e:
        return fail(str(e))
    except MemoryError:
        return fail("out of memory; use a smaller --bootstrap, fewer readers/findings, or a "
                    "smaller file")
    except (ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        return fail(_with_option(str(msg)))
    except OSError as e:
        msg = f"{e.filename}: {e.strerror}" if e.filename else (e.strerror or str(e))
        return fail(msg)
    except Exception as e:  # a bug, not the user's fault: one line, status 1
        if os.environ.get("ADJUDICATE_TRACEBACK"):
            raise
        return fail(f"internal error (please report it; set ADJUDICATE_TRACEBACK=1 to see "
                    f"where): {type(e).__name__}: {e}", 1)
    finally:
        warnings.showwarning = shown
