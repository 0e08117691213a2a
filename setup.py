"""Package list for setuptools: every ``adjudicate*`` package, plus the schemas.

Everything else is in ``pyproject.toml``. The Table Schemas live at the top of the repository
(``data_schemas/``, see DESIGN.md) and install as the package data ``adjudicate.data_schemas``
(``[tool.setuptools.package-dir]`` in pyproject.toml). ``pyproject.toml`` alone cannot add a
mapped package to an automatic package search, and a fixed list would drop any new subpackage.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["adjudicate", "adjudicate.*"])
      + ["adjudicate.data_schemas"])
