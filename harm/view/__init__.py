"""Pure text renderers of a cluster state, in crm_simulate / crm_mon 2.1's format.

``render_status(state, title)`` gives the "Node List" and "Full List of Resources" blocks
exactly as Pacemaker prints them (the corpus summaries are the reference); ``harm simulate``
and ``harm_mon`` both use it. Nothing here reads files or clocks.
"""

from harm.view.status import preamble_lines, render_status, status_lines

__all__ = ["preamble_lines", "render_status", "status_lines"]
