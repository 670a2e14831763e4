"""``harm lab campaign``: random faults on a lab cluster, with audits on what it does.

    catalogue ... the fault kinds: what each does, which clusters it fits, what it explains
    schedule .... the seeded plan: step K of seed S is the same on every run (pure)
    model ....... what one look at the cluster sees, as frozen data (pure)
    audits ...... the safety and liveness checks, pure functions of what was seen
    clients ..... the writer through the service VIP and the per-node write prober
    observe ..... taking a look: every harmd over its own socket, state files, addresses
    power ....... how a node is powered off and on (the lab's crash, or a fence device)
    actions ..... applying and healing one planned fault on the lab
    profiles .... the clusters: the PostgreSQL demo and the Dummy/Stateful cluster
    report ...... violations as JSON lines and text, the per-kind summary
    runner ...... the loop: healthy, fault, watch, heal, settle, audit, repair

See docs/campaign.md.
"""
