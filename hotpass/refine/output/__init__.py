"""Refine's outputs: the workbook, CSV and Parquet writers, the quality report, the archive,
and the locked staging folder published with one atomic switch."""
