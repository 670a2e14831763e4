"""Fencing: fence devices driven by the stock fence agents (see docs/fencing.md).

    device ........ a stonith: primitive and Pacemaker's pcmk_* parameters, as typed data
    plan .......... what fencing a node means: the levels, the delays, the node that runs
                    them (pure; verify uses it too)
    priority ...... each node's resource priority, for priority-fencing-delay
    agent ......... running a fence agent by the fence-agents API (stdin key=value)
    fencer ........ walking a plan's levels; the worker threads harmd runs plans in
    resource ...... a stonith: resource's start/stop/monitor in the executor
    coordination .. the DC's side: unclean nodes, operations, the replicated history
"""
