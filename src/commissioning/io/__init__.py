"""io layer of commissioning."""
