"""`gateway demo`: a deterministic, realistic month of telecom data (spec ingest.md, 4)."""

from gateway.tools.demo.command import run_demo

__all__ = ["run_demo"]
