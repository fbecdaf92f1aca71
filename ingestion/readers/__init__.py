"""Readers: bytes of one file to a RawTable of text values with 1-based row numbers, per format."""

from ingestion.readers.base import ROW, BrokenRow, RawTable, UnreadableFile

__all__ = ["ROW", "BrokenRow", "RawTable", "UnreadableFile"]
