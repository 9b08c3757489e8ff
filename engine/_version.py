"""The version of pmpath (one place; the package face and the audit log read it)."""

__version__ = "1.0.0"
