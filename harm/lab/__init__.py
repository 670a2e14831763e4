"""``harm lab``: a real multi-node cluster on one machine, in network namespaces.

    spec ...... what a lab is made of (names, addresses, timing), pure and persisted as JSON
    netns ..... running ``ip`` and finding a lab's namespaces and processes
    files ..... each node's harm.yaml, authkeys and state directories
    mounts .... each node's mount namespace and its private directories (/var/lib/pgsql)
    lab ....... building, starting and tearing down (also after a crash)
    faults .... fail and heal: links, harmd, the postmaster, whole nodes, partitions
    postgres .. PostgreSQL per node: initdb a primary, seed a standby, SQL, the postmaster
    status .... what every node's harmd sees, as a table

Topology of a lab named ``harm`` with nodes A, B and two links::

    harm-sw   (switch namespace)   br0 ── A:eth0, B:eth0, gateway:eth0     (192.168.10.0/24)
                                   br1 ── A:eth1, B:eth1                   (192.168.11.0/24)
    harm-n-A, harm-n-B             one namespace per node: lo, eth0, eth1
    harm-gw                        the gateway, 192.168.10.254 (or --gateway), the ping target

The main namespace gets no address, no route, no bridge. State lives in
``/run/harm-lab/<lab>/``; every namespace name starts with ``<lab>-``, which is how
``harm lab down`` finds leftovers.
"""
