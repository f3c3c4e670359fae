"""Start and stop a private icecast2 on loopback (for tests and benchmarks, or a hall PC).

The Debian package is not started by itself; as root it needs `changeowner` to the icecast2
user, and its log folder must be writable by that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

CONFIG = """<icecast>
  <location>hall</location>
  <admin>admin@localhost</admin>
  <limits>
    <clients>{clients}</clients>
    <sources>4</sources>
    <queue-size>524288</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout>
    <burst-on-connect>0</burst-on-connect>
    <burst-size>0</burst-size>
  </limits>
  <authentication>
    <source-password>{password}</source-password>
    <relay-password>{password}</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>{password}</admin-password>
  </authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket>
    <port>{port}</port>
    <bind-address>127.0.0.1</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>/usr/share/icecast2</basedir>
    <logdir>{logdir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
    <pidfile>{logdir}/icecast.pid</pidfile>
    <alias source="/" destination="/status.xsl"/>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>3</loglevel>
    <logsize>100000</logsize>
  </logging>
  <security>
    <chroot>0</chroot>
{changeowner}  </security>
</icecast>
"""


class LocalIcecast:
    def __init__(self, port: int, password: str, *, clients: int = 5000) -> None:
        # its own folder under /tmp: the icecast2 user must be able to reach it
        self.workdir = Path(tempfile.mkdtemp(prefix="doithoai-icecast-"))
        self.port = port
        self.password = password
        self.clients = clients
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def source_url(self, mount: str) -> str:
        return f"icecast://source:{self.password}@127.0.0.1:{self.port}/{mount.lstrip('/')}"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("icecast2")
        if binary is None:
            raise RuntimeError("icecast2 is not installed (apt-get install icecast2)")
        logdir = self.workdir / "icecast-log"
        logdir.mkdir(parents=True, exist_ok=True)
        changeowner = ""
        if os.geteuid() == 0:
            user = pwd.getpwnam("icecast2")
            os.chown(logdir, user.pw_uid, user.pw_gid)
            os.chmod(self.workdir, 0o755)
            changeowner = ("    <changeowner>\n      <user>icecast2</user>\n"
                           "      <group>icecast</group>\n    </changeowner>\n")
        conf = self.workdir / "icecast.xml"
        conf.write_text(CONFIG.format(clients=self.clients, password=escape(self.password),
                                      port=self.port, logdir=logdir, changeowner=changeowner))
        subprocess.run([binary, "-b", "-c", str(conf)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
        end = time.monotonic() + timeout
        pidfile = logdir / "icecast.pid"
        while time.monotonic() < end:
            if pidfile.exists() and _port_open(self.port):
                with contextlib.suppress(ValueError):
                    self.pid = int(pidfile.read_text().strip())
                    return
            time.sleep(0.05)
        raise RuntimeError(f"icecast2 did not start on port {self.port}; see {logdir}/error.log")

    def stop(self) -> None:
        if self.pid is None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
