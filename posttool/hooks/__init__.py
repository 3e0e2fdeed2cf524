"""The built-in hooks, one module per family (cache, state, quality, tracking)."""
