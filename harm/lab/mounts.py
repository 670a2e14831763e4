"""Each lab node's own mount namespace, where its private directories are mounted.

Lab nodes share one filesystem. A directory in the lab's ``private_dirs`` (say
``/var/lib/pgsql``) is, inside node N's mount namespace, a bind mount of
``/run/harm-lab/<lab>/N/private/var/lib/pgsql``: every node sees its own copy at the same
path, as on separate machines. The main namespace's directory is never written to; when
it does not exist, an empty one is created as the mount point (and left in place: another
lab may be using it).

The namespace outlives its processes because its nsfs file is bind-mounted on
``<node_dir>/mntns`` (``unshare --mount=FILE``). The kernel only allows that on a mount
with private propagation, so the lab's run directory is first bind-mounted on itself and
made private. Whatever runs as the node (harmd, ``harm lab exec``) enters the namespace
first: ``nsenter --mount=<node_dir>/mntns ip netns exec <netns> CMD``.

A new mount namespace copies every mount, among them the nsfs mounts under /run/netns that
keep network namespaces alive, other labs' included. Inside the node's namespace every
one of those but the node's own is unmounted, so that another lab's ``down`` frees its
network namespaces at once.

:func:`release` reads /proc/self/mountinfo, not the lab's files, so ``harm lab down``
removes the mounts of a lab whose state was lost in a crash.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import stat
from pathlib import Path

from harm.errors import LabError
from harm.lab.netns import run
from harm.lab.spec import PROTECTED_ROOTS, LabSpec, PrivateDir

OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    return OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def mount_points(mountinfo: str) -> list[str]:
    """The mount points listed in a /proc/<pid>/mountinfo text, in its order."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.append(_unescape(fields[4]))
    return points


def mounts_under(path: Path, mountinfo: str | None = None) -> list[str]:
    """Mount points at or below ``path`` in this process's mount namespace."""
    if mountinfo is None:
        mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
    top = str(path).rstrip("/")
    return [p for p in mount_points(mountinfo) if p == top or p.startswith(top + "/")]


def enter_argv(spec: LabSpec, node: str, cwd: str | None = None) -> list[str]:
    """The prefix that runs a command in ``node``'s mount namespace ([] when it has none)."""
    if not spec.private_dirs:
        return []
    argv = ["nsenter", f"--mount={spec.mount_ns_file(node)}"]
    return argv + ([f"--wd={cwd}"] if cwd else [])


# ---------------------------------------------------------------- creating


def _make_private_mount(run_dir: Path) -> None:
    if str(run_dir) not in mounts_under(run_dir):
        run(["mount", "--bind", str(run_dir), str(run_dir)])
    run(["mount", "--make-private", str(run_dir)])


def _owner_and_mode(private: PrivateDir) -> tuple[int, int, int]:
    """uid, gid and mode of a node's copy (see :class:`~harm.lab.spec.PrivateDir`)."""
    try:
        existing = os.stat(private.path)
        uid, gid, mode = existing.st_uid, existing.st_gid, stat.S_IMODE(existing.st_mode)
    except OSError:
        uid, gid, mode = 0, 0, 0o755
    if private.owner:
        try:
            entry = pwd.getpwnam(private.owner)
        except KeyError:
            raise LabError(f"private directory {private.path}: no user {private.owner!r}") from None
        uid, gid = entry.pw_uid, entry.pw_gid
    return uid, gid, mode


def _mount_point(spec: LabSpec, private: PrivateDir) -> str:
    """The real path ``private.path`` leads to (created empty when missing)."""
    target = Path(private.path)
    if not target.exists():
        target.mkdir(mode=0o755, parents=True)
    real = os.path.realpath(target)
    if not Path(real).is_dir():
        raise LabError(f"private directory {private.path}: not a directory")
    run_root = os.path.realpath(spec.run_root)
    first = real.split("/")[1] if real != "/" else ""
    if real == "/" or first in PROTECTED_ROOTS or (run_root + "/").startswith(real + "/") \
            or real.startswith(run_root + "/"):
        raise LabError(f"private directory {private.path} leads to {real}, which may not be "
                       "hidden")
    return real


def create(spec: LabSpec, node: str) -> None:
    """Give ``node`` its mount namespace with every private directory bound into it."""
    privates = spec.private()
    if not privates:
        return
    _make_private_mount(spec.run_dir)
    ns_file = spec.mount_ns_file(node)
    ns_file.touch(mode=0o600)
    run(["unshare", f"--mount={ns_file}", "--propagation", "private", "true"])
    own = f"/run/netns/{spec.node_ns(node)}"
    lines = [
        "set -e",
        # other network namespaces' files: unmounted here so that they can go away
        "findmnt -rn -o TARGET | grep '^/run/netns/.' | while read -r m; do "
        f'[ "$m" = {shlex.quote(own)} ] || umount -l "$m"; done',
    ]
    for private in privates:
        uid, gid, mode = _owner_and_mode(private)
        source = spec.private_source(node, private.path)
        source.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chown(source, uid, gid)
        os.chmod(source, mode)
        target = _mount_point(spec, private)
        lines.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}")
    run(["nsenter", f"--mount={ns_file}", "sh", "-c", "\n".join(lines)])


# ---------------------------------------------------------------- removing


def release(run_dir: Path) -> list[str]:
    """Unmount everything at or below ``run_dir`` (namespace files first); what went."""
    removed = []
    for point in sorted(mounts_under(run_dir), key=lambda p: p.count("/"), reverse=True):
        if run(["umount", point], check=False).returncode != 0:
            run(["umount", "-l", point], check=False)
        removed.append(point)
    return removed
