"""commissioning: evidence-based commissioning of offender services.

The package follows the commissioning cycle of the NOMS Strategic Commissioning Round:
assess need and demand, weigh the evidence, plan, secure, review and publish.
"""

__version__ = "0.1.0"
