"""Developer tools (translation workflow)."""
