"""Extractive question answering over Chinese budget-performance self-evaluation reports."""

__version__ = "0.1.0"
