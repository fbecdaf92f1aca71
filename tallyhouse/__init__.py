"""Tallyhouse: the command line and the few settings every component shares."""
