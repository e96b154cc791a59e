"""The relay's parts on their own: backoff, bandwidth bound, the outbox's persistence and
order, reading file names out of submission XML, and the upstream web-user log-in."""

from __future__ import annotations

import random
from pathlib import Path

import httpx

from sync.central import CentralClient, Credentials
from sync.errors import ServerRefused
from sync.relay import CentralSessionAuth
from sync.relay_backoff import Backoff, RateLimiter
from sync.relay_state import RelayState
from sync.relay_uploader import binary_values, is_transient


def test_backoff_grows_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_rate_limiter_sleeps_to_keep_the_average() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(1000, clock=lambda: now[0], sleep=sleep)
    limiter.spend(500)
    limiter.spend(1500)
    assert now[0] == 2.0 and slept == [0.5, 1.5]
    RateLimiter(None, sleep=lambda _: slept.append(99)).spend(10**9)
    assert 99 not in slept


def test_outbox_keeps_order_ignores_repeats_and_survives_reopening(tmp_path: Path) -> None:
    state = RelayState.in_data_dir(tmp_path)
    assert state.enqueue([("f", "a", "a", b"<a/>"), ("f", "b", "b", b"<b/>")]) == 2
    assert state.enqueue([("f", "a", "a", b"<a/>"), ("f", "a", "c", b"<c/>")]) == 1
    first = state.due(10)[0]
    state.mark_attempt(first.seq)
    state.mark_progress(first.seq, {"x.jpg"})
    state.close()

    reopened = RelayState.in_data_dir(tmp_path)
    due = reopened.due(10)
    assert [e.instance_id for e in due] == ["a", "b", "c"]
    assert due[0].state == "sent" and due[0].xml_confirmed and due[0].attachments_sent == {"x.jpg"}
    reopened.mark_confirmed(due[0].seq)
    reopened.mark_failed(due[1].seq, "409.1 conflict")
    [row] = reopened.status()
    assert row.counts == {"pending": 1, "sent": 0, "confirmed": 1, "failed": 1}
    assert row.failures == [("b", "409.1 conflict")]
    assert [e.instance_id for e in reopened.due(10)] == ["c"]
    assert reopened.requeue_failed() == 1
    assert [e.instance_id for e in reopened.due(10)] == ["b", "c"]


def test_binary_values_reads_file_names_at_field_paths() -> None:
    xml = (
        b'<data xmlns="http://example.org/x" id="f"><g><photo>a.jpg</photo></g>'
        b"<!-- a comment --><sound/><meta><instanceID>uuid:1</instanceID></meta></data>"
    )
    assert binary_values(xml, ["/g/photo", "/sound", "/missing"]) == ["a.jpg"]


def test_which_refusals_are_the_link_and_which_are_the_submission() -> None:
    assert is_transient(httpx.ConnectError("down"))
    assert is_transient(ServerRefused(503, "busy")) and is_transient(ServerRefused(401, "who"))
    assert not is_transient(ServerRefused(409, "conflict"))
    assert not is_transient(ServerRefused(404, "unknown version"))


def test_web_user_session_is_renewed_once_when_it_expires() -> None:
    tokens = iter(["first", "second"])
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sessions":
            return httpx.Response(200, json={"token": next(tokens)})
        seen.append(request.headers.get("authorization"))
        return httpx.Response(401 if len(seen) == 1 else 201)

    transport = httpx.MockTransport(handler)
    login = CentralClient(
        Credentials("http://central", "a@b.c", "pw"), client=httpx.Client(transport=transport)
    )
    with httpx.Client(transport=transport, auth=CentralSessionAuth(login)) as http:
        assert http.post("http://central/v1/projects/1/submission").status_code == 201
    assert seen == ["Bearer first", "Bearer second"]
