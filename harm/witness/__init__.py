"""The witness: a tie-breaker that gives one extra quorum vote to one partition at a time.

    lease.py    the witness's rules (pure): grant, renew, narrow, widen, refuse
    wire.py     the signed ask and answer datagrams (the cluster's authkeys)
    client.py   a node's side (pure): when to ask, until when a grant counts
    service.py  ``harm witness``: the UDP service around the arbiter

See docs/quorum.md.
"""
