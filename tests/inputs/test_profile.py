"""Profile parsing: env expansion, typed errors naming the key, secrets kept out of reprs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import ConformanceError
from conformance.inputs.profile import Secret, load_profile, parse_profile

FULL = """
manifest: manifest.json
credentials: {client_id: acme, client_secret: "${SECRET}"}
channel: acme-wa-1
sandbox: {conversation: c1, sender: s1, recipient: r1}
disposable_channel: acme-tmp
fixtures: {suspended_channel: sus, forbidden_channel: forb}
rate_limit_probe: {requests: 10, seconds: 1}
"""


def test_full_profile(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(FULL)
    profile = load_profile(path, environ={"SECRET": "s3cr3t-value"})
    assert profile.manifest == str(tmp_path / "manifest.json")
    assert profile.credentials.client_secret.reveal() == "s3cr3t-value"
    assert profile.sandbox is not None and profile.sandbox.recipient == "r1"
    assert profile.suspended_channel == "sus" and profile.forbidden_channel == "forb"
    assert profile.rate_limit_probe is not None and profile.rate_limit_probe.requests == 10
    assert "s3cr3t-value" not in repr(profile) and "s3cr3t-value" not in str(profile.redacted())


def test_missing_environment_variable_names_key() -> None:
    with pytest.raises(
        ConformanceError,
        match=r"credentials.client_secret: environment "
        r"variable SECRET is not set",
    ):
        parse_profile(FULL, environ={})


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("chanel: x", "'chanel' (did you mean 'channel'?)"),
        ("sandbx: {conversation: c}", "'sandbx' (did you mean 'sandbox'?)"),
        ("template_suport: true", "did you mean 'template_support'?"),
        ("fixtures: {suspended: x}", "'fixtures.suspended' (did you mean 'suspended_channel'?)"),
    ],
)
def test_unknown_keys_are_errors_with_did_you_mean(typo, suggestion) -> None:
    # a typo'd key would silently drop what it meant (a misspelt sandbox skips the post rules)
    with pytest.raises(ConformanceError, match=re.escape(suggestion)):
        parse_profile(FULL + typo, environ={"SECRET": "x"})


def test_template_support_is_a_boolean() -> None:
    assert parse_profile(FULL, environ={"SECRET": "x"}).template_support is False
    text = FULL + "\ntemplate_support: true"
    assert parse_profile(text, environ={"SECRET": "x"}).template_support is True
    with pytest.raises(ConformanceError, match="template_support: must be true or false"):
        parse_profile(FULL + "\ntemplate_support: yes please", environ={"SECRET": "x"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("manifest: [unclosed", "YAML does not parse at line"),
        ("- a list", "must be a YAML mapping"),
        ("credentials: {client_id: a, client_secret: b}\nchannel: c", "manifest: is required"),
        ("manifest: m\nchannel: c", "credentials: is required"),
        (
            "manifest: m\ncredentials: {client_id: a}\nchannel: c",
            "credentials.client_secret: is required",
        ),
        (
            "manifest: m\ncredentials: {client_id: a, client_secret: b}\nchannel: [1]",
            "channel: must be a string",
        ),
        (
            "manifest: m\ncredentials: {client_id: a, client_secret: b}\nchannel: c\nsandbox: 3",
            "sandbox: must be a mapping",
        ),
    ],
)
def test_bad_profiles_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(ConformanceError, match=message) as info:
        parse_profile(text, source="p.yaml", environ={})
    assert str(info.value).startswith("p.yaml: ") and "\n" not in str(info.value)


def test_secret_never_shows() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}" and secret.reveal() == "hunter2"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary().map(lambda b: b.decode("latin-1")),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        ).map(repr),
    )
)
def test_garbage_only_ever_raises_our_error(text: str) -> None:
    try:
        parse_profile(text, environ={})
    except ConformanceError:
        pass


def test_channels_api_section_keeps_its_token_secret() -> None:
    profile = parse_profile(
        "manifest: https://p.example/m.json\ncredentials: {client_id: a, client_secret: b}\n"
        "channel: c\nchannels_api: {token: '${PD_TOKEN}', rate_limit: 5, port: 8099}\n",
        environ={"PD_TOKEN": "tok-123456"},
    )
    assert profile.channels_api is not None
    assert profile.channels_api.token.reveal() == "tok-123456"
    assert (profile.channels_api.rate_limit, profile.channels_api.port) == (5, 8099)
    assert "tok-123456" not in repr(profile) and "tok-123456" not in str(profile.redacted())


def test_channels_api_needs_a_token() -> None:
    with pytest.raises(ConformanceError, match="channels_api.token: is required"):
        parse_profile(
            "manifest: https://p.example/m.json\ncredentials: {client_id: a, client_secret: b}\n"
            "channel: c\nchannels_api: {port: 8099}\n"
        )
