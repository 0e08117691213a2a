"""Parsers at the edge: files in, :class:`~adjudicate.Ratings` and label tables out.

The NIH reader and label files (fixed columns, detected from the header) and any reader
study in the long or wide layout (:func:`read_ratings`: CSV, Parquet or a DataFrame).

The only code in the package that knows CSV column names (and it learns them from the
schemas in the top-level ``data_schemas/``).
"""

from .generic import LAYOUTS, infer_categories, read_ratings
from .labels import PublishedLabels, format_labels, read_labels, write_labels
from .readers import DUPLICATE_POLICIES, ParseReport, ratings_from_table, read_readers
from .schemas import Schema, Table, detect_schema, load_schema, read_table, read_text, schema_names

__all__ = [
    "DUPLICATE_POLICIES",
    "LAYOUTS",
    "ParseReport",
    "PublishedLabels",
    "Schema",
    "Table",
    "detect_schema",
    "format_labels",
    "infer_categories",
    "load_schema",
    "ratings_from_table",
    "read_labels",
    "read_ratings",
    "read_readers",
    "read_table",
    "read_text",
    "schema_names",
    "write_labels",
]
