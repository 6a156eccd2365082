"""Casebook: a searchable knowledge base of postal and express-delivery complaint cases."""

__version__ = "0.1.0"
