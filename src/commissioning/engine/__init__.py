"""engine layer of commissioning."""
