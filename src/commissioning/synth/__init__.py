"""synth layer of commissioning."""
