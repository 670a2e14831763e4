"""The cluster information base: typed, immutable configuration and status."""
