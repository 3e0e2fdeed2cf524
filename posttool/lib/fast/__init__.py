"""Start-up stand-ins: drop-ins for json, re, ast and subprocess that cost less to import on
the `posttool run` hot path. Nothing else lives here."""
