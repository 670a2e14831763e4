"""harm.lab."""
