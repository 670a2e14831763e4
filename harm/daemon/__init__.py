"""harmd: the node daemon (membership now; coordinator, CIB and executor later).

    main ........ command line, start-up checks, signal handling
    runner ...... the event loop: sockets in, Membership decides, frames and logs out
    control ..... the local control socket (JSON lines; handlers registered by name)
    client ...... the CLI side of the control socket
    generation .. the boot generation persisted in the state directory
    notify ...... systemd readiness without a library
    logs ........ stderr / journald logging
"""
