"""Telecom reporting gateway: one JSON-RPC 2.0 endpoint over call and session data."""

__version__ = "0.1.0"
