"""Operator actions as pure CIB transformations (what harm resource/node/attribute change)."""
