"""Runtime API map/acl commands (issue 13, "Maps and ACL files") on a configuration without
maps: the answers HAProxy 2.6 gives when nothing matches an identifier. Runs against
SLUICE_BIN=/usr/sbin/haproxy too. Commands on loaded maps are covered by the unit tests
(tests/unit/admin/maps_test.cc) until the rule engine loads map files.
"""

from __future__ import annotations

import os

from harness import socat, wait_until

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
    stats socket {dir}/user.sock mode 640 level user
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend be
backend be
    server s1 127.0.0.1:9
"""

UNKNOWN_MAP = "Unknown map identifier. Please use #<id> or <file>.\n\n"


def test_map_commands_without_maps(sluice):
    lb = sluice(CFG)
    wait_until(lambda: os.path.exists(f"{lb.dir}/admin.sock") and os.path.exists(f"{lb.dir}/user.sock"),
               what="the stats sockets")
    admin = f"{lb.dir}/admin.sock"
    assert socat("show map", admin) == "# id (file) description\n\n"
    assert socat("add map /nosuch.map a b", admin) == UNKNOWN_MAP
    assert socat("show map #42", admin) == UNKNOWN_MAP
    assert socat("prepare map", admin) == UNKNOWN_MAP
    assert socat("clear map", admin) == "Missing map identifier.\n\n"
    assert socat("get map", admin) == "Missing map identifier and/or key.\n\n"
    assert socat("del map", admin) == "This command expects two parameters: map identifier and key.\n\n"
    assert socat("set map x", admin) == "'set map' expects three parameters: map identifier, key and value.\n\n"
    assert socat("commit map x", admin) == "Missing version number.\n\n"
    # Changes need the admin level. sluice checks the level before the identifier; HAProxy 2.6
    # looks the identifier up first and answers "Unknown map identifier" here.
    user = socat("add map /nosuch.map a b", f"{lb.dir}/user.sock")
    if "haproxy" in os.environ.get("SLUICE_BIN", ""):
        assert user == UNKNOWN_MAP
    else:
        assert user == "Permission denied\n\n"
