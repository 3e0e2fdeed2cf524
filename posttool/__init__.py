"""posttool: a fast, safe PostToolUse hook runner for Claude Code."""

__version__ = "0.1.0"
