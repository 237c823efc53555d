"""schema layer of commissioning."""
