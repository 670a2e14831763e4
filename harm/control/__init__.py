"""The coordinator side of harmd: election, attributes, CIB replication (pure state machines)."""
