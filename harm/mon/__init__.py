"""harm.mon."""
