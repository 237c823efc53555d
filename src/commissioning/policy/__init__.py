"""policy layer of commissioning."""
