"""`tally serve` as a subprocess for the benchmarks: a free 127.0.0.1 port, a log file, its CPU time."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TALLY = str(Path(sys.executable).parent / "tally")


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Server:
    """`tally serve` as a subprocess on a free 127.0.0.1 port; its output goes to a log file."""

    def __init__(self, url: str, logdir: Path, name: str = "", args: tuple[str, ...] = (), *, app: str | None = None) -> None:
        """`app` ("module:attribute" in scripts/): run that ASGI app under uvicorn instead of Tally."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = logdir / f"serve-{name + '-' if name else ''}{self.port}.log"
        self.log_file = self.log_path.open("w")
        where = ("--host", "127.0.0.1", "--port", str(self.port))
        command = ([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), app, *where, "--log-level", "warning"]
                   if app else [TALLY, "serve", *where, *args])  # fmt: skip
        self.proc = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url}, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)  # fmt: skip

    async def ready(self, timeout_s: float = 120) -> None:
        # Generous: start-up runs `PRAGMA optimize`, an ANALYZE of a freshly bulk-loaded 1M-change log on a busy machine.
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.base) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server did not start:\n{self.log_path.read_text()}")

    def pids(self) -> list[int]:
        """The server process and its descendants (an ASGI server may run its app in worker processes)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        return found

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server's processes have used so far (Linux /proc; exited ones not counted)."""
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total if total else float("nan")

    def rss_mb(self) -> float:
        """Resident memory of the server's processes now, in MiB (Linux /proc)."""
        total_kb = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        return total_kb / 1024

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)
        self.log_file.close()
