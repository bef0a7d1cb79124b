"""Hotpass: messy spreadsheet collections in, one governed dataset out.

Importing the package stays cheap (no pandas, no Prefect): the CLI's --help and the
Invoke task list depend on that.
"""

__version__ = "0.1.0"
