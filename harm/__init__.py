"""harm: a cluster resource manager in the Pacemaker + Heartbeat tradition."""

__version__ = "0.1.0"
