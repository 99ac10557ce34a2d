"""Reports: one module per output format, each a plain function of a Report."""

from __future__ import annotations

from linkcheck.report.json import SCHEMA_VERSION, render_json, report_to_dict

__all__ = ["SCHEMA_VERSION", "render_json", "report_to_dict"]
