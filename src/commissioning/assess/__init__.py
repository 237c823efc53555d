"""assess layer of commissioning."""
