"""A deterministic multi-channel, cross-border seller: landing files in real formats plus ground truth.

Only tests, benchmarks and the demo import it (it is the oracle the reconciliation is proven against).
"""

from simulator.run import RunSummary, simulate

__all__ = ["RunSummary", "simulate"]
