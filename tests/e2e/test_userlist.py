"""`userlist` sections (HAProxy manual 3.4) at load time: what `-c` accepts, warns about and
refuses, the same as HAProxy 2.6. Authentication itself (`http_auth`, `http_auth_group`,
`http-request auth`) comes with the rule engine; its unit tests are tests/unit/auth/.

Runs against sluice and, unchanged, against /usr/sbin/haproxy (SLUICE_BIN)."""
from __future__ import annotations

import subprocess

import pytest

from harness import against_haproxy

# crypt("s3cret", ...) for SHA-512, bcrypt and yescrypt (see tests/unit/auth/userlist_test.cc).
SHA512 = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1"
BCRYPT = "$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK"
YESCRYPT = "$y$j9T$abcdefghijklmnop$tySFNIfWVy.ymkBDHEMW6bAQ07dlkLVGalgni.VV4l8"

TAIL = """\
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:1
"""


def check(sluice_bin, tmp_path, text: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "u.cfg"
    cfg.write_text(text)
    return subprocess.run([str(sluice_bin), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)


def test_manual_examples_load(sluice_bin, tmp_path):
    out = check(sluice_bin, tmp_path, f"""\
userlist L1
    group G1 users tiger,scott
    group G2 users xdb,scott
    user tiger password {SHA512}
    user scott insecure-password elgato
    user xdb insecure-password hello
userlist L2
    group G1
    group G2
    user tiger password {BCRYPT} groups G1
    user scott insecure-password elgato groups G1,G2
    user xdb password {YESCRYPT} groups G2
""" + TAIL)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in (out.stdout + out.stderr).lower()


def test_libcrypt_feature_is_advertised(sluice_bin, tmp_path):
    out = check(sluice_bin, tmp_path, ".if feature(LIBCRYPT)\nuserlist L\n    user a password "
                f"{SHA512}\n.else\n.alert \"no libcrypt\"\n.endif\n" + TAIL)
    assert out.returncode == 0, out.stdout + out.stderr


def test_duplicates_are_warnings(sluice_bin, tmp_path):
    out = check(sluice_bin, tmp_path, "userlist L\n    group G\n    group G\n    user a insecure-password x\n"
                "    user a insecure-password y\nuserlist L\n" + TAIL)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    for needle in ("ignoring duplicated group 'G' in userlist 'L'", "ignoring duplicated user 'a' in userlist 'L'",
                   "ignoring duplicated userlist 'L'"):
        assert needle in text


@pytest.mark.parametrize("body,needle", [
    ("    user bob insecure-password x groups G3\n", "no such group 'G3' specified in user 'bob'"),
    ("    group G users nobody\n", "no such user 'nobody' specified in group 'G'"),
    ("    group G foo\n", "'group' only supports 'users' option"),
    ("    user a insecure-password x bogus y\n", "'user' only supports 'password', 'insecure-password' and 'groups'"),
    ("    user\n", "'user' expects <name> as arguments"),
    ("    something else\n", "unknown keyword 'something'"),
])
def test_invalid_userlists_are_refused(sluice_bin, tmp_path, body, needle):
    out = check(sluice_bin, tmp_path, "userlist L\n" + body + TAIL)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert needle in text


def test_userlist_without_name_is_refused(sluice_bin, tmp_path):
    out = check(sluice_bin, tmp_path, "userlist\n" + TAIL)
    assert out.returncode != 0
    assert "'userlist' expects <name> as arguments" in out.stdout + out.stderr


def test_unusable_passwords_warn_in_sluice(sluice_bin, tmp_path):
    """HAProxy loads these silently; the users can never log in, so sluice says so."""
    out = check(sluice_bin, tmp_path, "userlist L\n    user a\n    user b password !locked\n" + TAIL)
    assert out.returncode == 0, out.stdout + out.stderr
    if not against_haproxy():
        text = out.stdout + out.stderr
        assert "user 'a' in userlist 'L' has no password" in text
        assert "user 'b' in userlist 'L': the password is not a crypt(3) hash" in text
