"""harm.engine."""
