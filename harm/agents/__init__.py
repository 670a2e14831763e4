"""harm's OCF resource agents, importable and typed; ``agents/<Name>`` launches them.

    dummy.py      Dummy: a state file, nothing else (scheduler and daemon tests)
    stateful.py   Stateful: Dummy with promotion and promotion scores
    ipaddr2.py    IPaddr2: a virtual IPv4/IPv6 address with pyroute2 (announce.py sends
                  gratuitous ARP / unsolicited neighbour advertisements)
    ping.py       ping / pingd: reachable hosts x multiplier as a node attribute
    pgsql/        pgsql: PostgreSQL streaming replication, primary and standbys
"""
