"""A real IMAP server for the tests: Debian's Dovecot, started on a free port with a
throw-away mailbox (apt-get install dovecot-imapd). Without it the IMAP tests are
skipped with that message, except under CI, where they fail."""
from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bot.ops.processes import free_port

USER, PASSWORD = "support@grouptrack.example", "imap-test-password"
CONFIG = """base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def imap_server():
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(dovecot):
        message = "the IMAP test needs Debian's Dovecot (apt-get install dovecot-imapd)"
        if os.environ.get("REQUIRE_IMAP"):
            pytest.fail(message)
        pytest.skip(message)
    # Not pytest's tmp_path: Dovecot's own users must be able to reach the folder.
    root = Path(tempfile.mkdtemp(prefix="gt-imap-"))
    root.chmod(0o755)
    for folder in ("run", "state", "home"):
        (root / folder).mkdir()
    (root / "home").chmod(0o777)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    process = subprocess.Popen([dovecot, "-c", str(root / "dovecot.conf"), "-F"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            imaplib.IMAP4("127.0.0.1", port).logout()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"Dovecot did not start: {(root / 'dovecot.log').read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield {"host": "127.0.0.1", "port": port, "user": USER, "password": PASSWORD}
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def mailbox(server) -> imaplib.IMAP4:
    imap = imaplib.IMAP4(server["host"], server["port"])
    imap.login(server["user"], server["password"])
    return imap
