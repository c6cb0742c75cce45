"""Tools from Debian's packages that the deployment tests run (installed when missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from tests.conftest import service_missing


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """A fixed command (apt-get or a tool by full path), never shell input."""
    return subprocess.run(  # noqa: S603 - fixed commands, full paths
        command, capture_output=True, text=True, timeout=600, check=False, **options
    )


def debian_tool(name: str, package: str) -> str:
    """The path of `name`, installing Debian's `package` when missing (as root, as in CI).

    Fails in CI (skips elsewhere) when it cannot be had.
    """
    found = shutil.which(name)
    apt = shutil.which("apt-get")
    if found is None and apt is not None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "-qq", "--no-install-recommends", package]
        if run(install, env=env).returncode:
            run([apt, "update", "-qq"], env=env)
            run(install, env=env)
        found = shutil.which(name)
    if found is None:
        service_missing(name, FileNotFoundError(f"apt-get install {package}"))
    assert found is not None
    return found
