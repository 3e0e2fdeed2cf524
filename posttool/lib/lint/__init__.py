"""quality_scanner's lint: ruff and radon on a written file, their cache, and the report."""
