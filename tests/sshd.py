"""A throwaway OpenSSH server on a loopback port, for the ``hotpass net`` tests.

``start(tmp)`` makes a temp host key and client key, authorises the client key, runs
``sshd -D -f <config> -p PORT`` (StrictModes off: the keys live under pytest's temp
folder) and returns its port, the client key, a known_hosts file pinning the host key and
the ssh options a client needs. ``stop`` ends it. Debian package: openssh-server (.ci/run
installs it).
"""

from __future__ import annotations

import contextlib
import getpass
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.programs import find

SSHD = find("sshd") or "/usr/sbin/sshd"
MISSING = ("needs the system programs sshd, ssh and ssh-keygen (Debian packages "
           "openssh-server, openssh-client; see README, System programs)")


def available() -> bool:
    return all(find(name) for name in ("sshd", "ssh", "ssh-keygen"))


@dataclass
class Sshd:
    process: subprocess.Popen
    port: int
    user: str
    identity_file: Path
    known_hosts: Path
    log: Path

    @property
    def options(self) -> tuple[str, ...]:
        return (f"UserKnownHostsFile={self.known_hosts}", "StrictHostKeyChecking=yes",
                "IdentitiesOnly=yes")

    def net_args(self) -> list[str]:
        """The ``hotpass net up|lease`` flags that reach this server."""
        args = ["--host", "127.0.0.1", "--ssh-port", str(self.port), "--user", self.user,
                "--identity-file", str(self.identity_file)]
        for option in self.options:
            args += ["--ssh-option", option]
        return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(tmp: Path) -> Sshd:
    tmp.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege-separation dir sshd insists on
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / name)],
                       check=True)
    (tmp / "authorized_keys").write_text((tmp / "client_key.pub").read_text())
    port = _free_port()
    config = tmp / "sshd_config"
    config.write_text("\n".join([
        "ListenAddress 127.0.0.1", f"HostKey {tmp / 'host_key'}",
        f"AuthorizedKeysFile {tmp / 'authorized_keys'}", "PubkeyAuthentication yes",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
        "StrictModes no", "AllowTcpForwarding yes", "PermitRootLogin prohibit-password",
        f"PidFile {tmp / 'sshd.pid'}", "LogLevel VERBOSE", ""]))
    host_key = (tmp / "host_key.pub").read_text().split()
    known = tmp / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    log = tmp / "sshd.log"
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config), "-p", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"sshd did not start: {log.read_text()[-600:]}")
        time.sleep(0.1)
    return Sshd(process, port, getpass.getuser(), tmp / "client_key", known, log)


def stop(server: Sshd) -> None:
    server.process.terminate()
    try:
        server.process.wait(5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
