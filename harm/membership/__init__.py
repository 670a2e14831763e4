"""Membership: who is alive and on which links, and messages between the nodes.

Layers, from the wire up:

    settings / authkeys ... what the operator wrote (harm.yaml, ha.cf, authkeys)
    packet ................ the signed wire format; decoding fails only with PacketError
    replay ................ per-sender replay window (generation + sequence + link)
    stream ................ reliable, in-order delivery of cluster messages per sender
    quorum ................ votes, two_node, no-quorum-policy
    machine ............... the pure Membership state machine (time and packets in, events out)
    fakenet / clock ....... in-memory network and virtual clock to drive it in tests
    transport ............. real UDP sockets, one per NIC (bcast, mcast, ucast)
"""
