"""The steps of :func:`harm.engine.unpack.unpack`, one module per thing unpacked."""
