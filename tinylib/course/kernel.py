"""Running a learner's notebook for grading: a fresh kernel, one deadline, no network where Linux allows.

The kernel talks to the grader over Unix sockets (ZeroMQ's IPC transport) on POSIX systems:
nothing listens on TCP, so ipykernel's "Kernel is running over TCP without encryption" warning
never appears, and the kernel can run in a network namespace of its own (`unshare -rn`: no
interface but a loopback of its own), where the system allows unprivileged namespaces.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

LOG = logging.getLogger(__name__)  # nbclient's messages; silent unless the application logs
LOG.addHandler(logging.NullHandler())
ISOLATE = ("unshare", "--user", "--map-root-user", "--net")  # = unshare -rn
SETUP = "import tinylib.checks.records  # the grader's channel, taken before the learner's first cell"


@functools.cache
def network_isolation() -> bool:
    """Whether kernels can run without network here (a Linux network namespace via `unshare -rn`)."""
    if os.name != "posix" or shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run([*ISOLATE, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def network_statement() -> str:
    """One line for the instructor: whether the network is off while notebooks are graded."""
    if network_isolation():
        return "network: off while grading (each kernel runs in a network namespace of its own, `unshare -rn`)"
    return (
        "network: NOT blocked while grading (no unprivileged network namespace on this system): grade work "
        "you do not trust in a container without network (docs/teaching.md, Grading)"
    )


def _kernel_manager(folder: Path, isolate: bool):
    """An AsyncKernelManager (what nbclient drives): IPC sockets under `folder` on POSIX, `unshare -rn` if `isolate`."""
    from jupyter_client.manager import AsyncKernelManager

    class GradingKernel(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            return [*ISOLATE, *command] if isolate else command

    if os.name != "posix":
        return GradingKernel(kernel_name="python3")
    return GradingKernel(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))


def run_notebook(document, folder: Path, sockets: Path, timeout: float, env: dict[str, str]) -> str | None:
    """Run every cell of nbformat `document` (in place) in a fresh kernel whose working folder is
    `folder`, after the setup cell that takes the grading channel, with environment `env`;
    `timeout`: seconds for the whole notebook, the kernel's start included; `sockets`: a folder for
    the kernel's sockets.
    Every cell runs even after an error. None, or why the run stopped early (one line)."""
    import nbclient
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    for cell in document.cells:  # saved outputs must never count for a cell that did not run
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    document.cells.insert(0, nbformat.v4.new_code_cell(SETUP))
    deadline = time.monotonic() + timeout
    client = nbclient.NotebookClient(
        document,
        km=_kernel_manager(sockets, network_isolation()),
        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
        shutdown_kernel="immediate",  # a kernel stopped mid-cell would print a traceback on a graceful shutdown
        log=LOG,
    )
    client.owns_km = True  # so nbclient shuts the kernel down after the run (it leaves a kernel it was given running)
    try:
        client.execute(env=env)
    except CellTimeoutError:
        return f"the notebook ran past the {timeout:g} s timeout"
    except DeadKernelError:
        return "the kernel died (the notebook exited Python, crashed or ran out of memory)"
    except Exception as error:  # a kernel that cannot start, a broken connection: this notebook only
        first = (str(error).strip().splitlines() or [""])[0]
        return f"the notebook could not be run ({type(error).__name__}: {first})"
    finally:
        del document.cells[0]
    return None
