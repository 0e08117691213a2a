"""Sphinx configuration of the adjudicate documentation.

Build with warnings as errors (what CI does)::

    pip install ".[docs]" && python -m sphinx -W -b html docs docs/_build/html

The API reference is generated from the docstrings (numpydoc, autosummary) of every public
name in ``adjudicate.__all__`` and ``adjudicate.report``; the figure gallery is built by
sphinx-gallery from the scripts in ``docs/examples/``; the tutorials are the Markdown pages
of ``docs/`` (myst-parser).
"""

import inspect
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document this checkout, installed or not

import matplotlib

matplotlib.use("Agg")

import adjudicate
import adjudicate.report

project = "adjudicate"
author = "the adjudicate authors"
copyright = "the adjudicate authors; MIT license"
release = version = adjudicate.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "api/generated/*.examples", "examples/GALLERY_HEADER.rst",
                    "**/README.md"]
root_doc = "index"
html_theme = "alabaster"
html_theme_options = {"description": "Label adjudication and reader agreement",
                      "page_width": "1100px", "sidebar_width": "220px"}
html_static_path = []

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

intersphinx_mapping = {}  # no network at build time


# --------------------------------------------------------------------------- gallery
sys.path.insert(0, str(HERE))  # sg_scraper: figures made without pyplot

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": ("sg_scraper",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "min_reported_time": 1e9,
}


# --------------------------------------------------------------------------- API page
def _public(module, names):
    out = {"Functions": [], "Classes": []}
    for name in names:
        obj = getattr(module, name, None)
        if inspect.isclass(obj):
            out["Classes"].append(name)
        elif inspect.isfunction(obj):
            out["Functions"].append(name)
    return out


def _write_api_page():
    """docs/api.rst from ``__all__``: every public function and class, nothing listed by hand."""
    lines = ["API reference", "=============", "",
             "Every public function and class, generated from its docstring. Import the package as",
             "``import adjudicate as adj``; figures and paper tables live in",
             "``adjudicate.report``.", ""]
    sections = [("adjudicate", adjudicate, adjudicate.__all__),
                ("adjudicate.report", adjudicate.report, adjudicate.report.__all__),
                ("adjudicate.report.html", adjudicate.report.html,
                 [n for n in adjudicate.report.html.__all__ if n != "DEFAULT_RESAMPLES"])]
    for title, module, names in sections:
        lines += [title, "-" * len(title), "", f".. currentmodule:: {module.__name__}", ""]
        for kind, items in _public(module, sorted(names)).items():
            if not items:
                continue
            lines += [kind, "~" * len(kind), "", ".. autosummary::", "   :toctree: generated",
                      "   :nosignatures:", ""]
            lines += [f"   {n}" for n in items] + [""]
    text = "\n".join(lines)
    path = HERE / "api.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


import adjudicate.report.html

_write_api_page()

# --------------------------------------------------------------------------- tutorials
# Tutorials written on other branches: listed in the toctree when the page exists, left out
# (with a message, not a warning) until it is merged.
OPTIONAL_PAGES = ("evaluate", "own-study")


def _drop_missing_pages(app, docname, source):
    """The index's toctrees: pages written on other branches enter when they exist, and any
    Markdown page of docs/ not listed yet is added under "More" (never left out of the site,
    never a build warning)."""
    if docname != "index":
        return
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    text = source[0]
    for page in OPTIONAL_PAGES:
        if not (HERE / f"{page}.md").exists():
            text = "\n".join(line for line in text.splitlines() if line.strip() != page)
            log.info(f"docs/{page}.md not present: not in the toctree")
    listed = {line.strip() for line in text.splitlines()}
    extra = sorted(p.stem for p in HERE.glob("*.md")
                   if p.stem != "index" and p.stem not in listed)
    if extra:
        text += "\n## More\n\n```{toctree}\n:maxdepth: 1\n\n" + "\n".join(extra) + "\n```\n"
    source[0] = text


# --------------------------------------------------------------------------- docstrings
# Two habits of the package's docstrings that docutils misreads; fixed as they are read, so
# the API pages build with warnings as errors:
# - ``shape (n_units, *stat_shape)`` in a parameter's type: a Python star, not emphasis;
# - ``[1]_`` citing the *module's* References section from a function's docstring: no target
#   there, so it is shown as plain "[1]".
_STAR = re.compile(r"(?<![\\*`])\*(?=[A-Za-z_])")
_CITE = re.compile(r"\[(\w+)\]_")


def _fix_docstring(app, what, name, obj, options, lines):
    text = "\n".join(lines)
    targets = set(re.findall(r"^\s*\.\. \[(\w+)\]", text, flags=re.MULTILINE))
    for i, line in enumerate(lines):
        if "shape" in line and "*" in line and "``" not in line:
            line = _STAR.sub(r"\\*", line)
        lines[i] = _CITE.sub(lambda m: m.group(0) if m.group(1) in targets
                             else f"[{m.group(1)}]", line)


def setup(app):
    app.connect("source-read", _drop_missing_pages)
    app.connect("autodoc-process-docstring", _fix_docstring, priority=400)
