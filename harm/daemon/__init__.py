"""harm.daemon."""
