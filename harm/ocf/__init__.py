"""The small library every harm resource agent is written on.

    env.py         the OCF environment of one call: action, OCF_RESKEY_* parameters,
                   meta attributes, the op timeout, the local node name
    metadata.py    an agent's typed description and its ra-api-1.dtd meta-data XML
    deadline.py    blocking until a target state, within the op timeout
    attributes.py  node attribute updates behind one interface (harm, Pacemaker, a directory)
    runner.py      action dispatch, exit codes and ``ocf-exit-reason:`` on stderr
    rc.py          the OCF exit codes (re-exported by harm.cib.status for the history)
    netlink.py     reading links, addresses and routes over rtnetlink (monitors, no pyroute2)

Exit codes are :class:`harm.ocf.rc.OcfRc`. Every probe and monitor is a new process, so
this library and the agents import only the standard library at module level, never the
CIB model, the engine or the daemon; heavy dependencies (pyroute2, psycopg) load inside the
actions that need them, so ``meta-data`` runs on a bare interpreter (``ocf-tester`` calls
it as user ``nobody``). ``tests/agents/test_startup.py`` checks the import sets.
"""
