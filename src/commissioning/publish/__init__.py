"""publish layer of commissioning."""
