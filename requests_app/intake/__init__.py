"""Bulk intake of request records from CSV (``manage.py import_requests`` and the admin's import
page) and of historical published figures (``manage.py import_figures``).

A platform adopting Transparency arrives with years of requests in spreadsheets and exports of its
old case tool. ``import_requests`` reads such a file in one streaming pass (a file with errors may
take two: see ``run``), checks every row against the model's rules and writes the rows inside
**one transaction**: any error, an exception or a killed process leaves the database exactly as
it was. The modules, in the order a row meets them:

- ``columns``: the format (column names, choices, the checked row as COPY reads it), the header;
- ``reading``: decoding and the chunked CSV reader;
- ``fast``: the short cut for rows of values full checks already passed, a column at a time;
- ``checks``: the full check of one row; ``authorities``: the authorities rows name;
  ``memory``: what both remember between rows;
- ``batches``: the row loop and its batches; ``writers`` and ``bulkload``: how rows reach the
  table; ``updates``: ``--update`` through the services;
- ``run``: the entry point; ``export``: the same format out; ``figures``: historical figures.
"""

from .bands import is_banded, parse_bands
from .columns import COLUMNS, DESIGN_COLUMNS, REQUIRED_COLUMNS
from .export import export_csv, export_rows, records_csv
from .figures import FiguresFile, FiguresFileInvalid, ManagedCodes, decode, parse_figures
from .results import ImportResult, RowError
from .run import BATCH_SIZE, MAX_ERRORS, import_requests

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "DESIGN_COLUMNS",
    "MAX_ERRORS",
    "REQUIRED_COLUMNS",
    "FiguresFile",
    "FiguresFileInvalid",
    "ImportResult",
    "ManagedCodes",
    "RowError",
    "decode",
    "is_banded",
    "export_csv",
    "export_rows",
    "import_requests",
    "parse_bands",
    "parse_figures",
    "records_csv",
]
