"""Management commands of the web workspace."""
