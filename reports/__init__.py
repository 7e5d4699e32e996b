"""Exports: spreadsheet-safe cells and Excel/CSV writers shared by every download."""
