"""The field hub's relay: forms down from upstream, every submission up, exactly once.

A hub is a Jaring on a laptop in a district office. Phones sync to it over the office
Wi-Fi; `Relay` forwards what they sent to the central server (a Jaring or a stock ODK
Central) whenever the uplink lets it, and brings new form versions down. It speaks only
public APIs: towards upstream it is one more phone (OpenRosa through `CollectClient`,
identified by the hub's ``deviceID``; with an app user's token, or as a web user whose
bearer session `CentralClient` opens); towards the hub it is a web user of the hub's
Central REST API. Its own state (settings, outbox, forms mirror) is `RelayState`, in
``relay.db`` in the hub's data directory.

One `cycle` is: mirror the upstream forms and entity lists, find new submissions on the
hub, then offer the outbox upstream in order of arrival (also when the uplink failed
while mirroring: the submissions need nothing from upstream). `watch`
repeats it forever: at once while work remains, on a timer otherwise, sooner when a cheap
poll of the hub shows new submissions, and after an exponential backoff with jitter when
upstream (or the hub) is unreachable.

Exceptions: `UplinkDown` and `HubDown` (both `SyncError`) end a cycle early; nothing is
lost, the next cycle resumes at the same outbox entry.
"""

from __future__ import annotations

import random
import socket
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.central import CentralClient, Credentials
from sync.errors import ServerRefused, SyncError
from sync.openrosa import CollectClient
from sync.relay_backoff import Backoff, RateLimiter
from sync.relay_entities import mirror_entity_lists
from sync.relay_forms import mirror_forms
from sync.relay_state import RelayState
from sync.relay_uploader import HubDown, UplinkDown, UploadReport, discover, is_transient, upload

__all__ = [
    "HubDown",
    "Relay",
    "RelayConfig",
    "UplinkDown",
    "config_from_state",
    "new_device_id",
]

DEFAULT_HUB_URL = "http://127.0.0.1:8080"
UPSTREAM_PASSWORD_ENV = "JARING_UPSTREAM_PASSWORD"
TUNABLES = ("max_rate", "batch_size", "interval", "poll", "backoff_cap")


def new_device_id() -> str:
    """A stable name for this hub, recorded upstream as each submission's deviceID."""
    return f"jaring-hub:{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


@dataclass
class RelayConfig:
    """Everything a relay needs; persisted in ``relay.db`` (passwords of upstream excepted)."""

    hub_url: str
    hub_email: str
    hub_password: str = field(repr=False)
    hub_project: int
    upstream_url: str
    upstream_project: int
    device_id: str
    app_user_token: str | None = field(default=None, repr=False)
    upstream_email: str | None = None
    upstream_password: str | None = field(default=None, repr=False)
    max_rate: int | None = None
    batch_size: int = 50
    interval: float = 60.0
    poll: float = 2.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    timeout: float = 60.0

    def upstream_server_url(self) -> str:
        origin = self.upstream_url.rstrip("/")
        if self.app_user_token:
            return f"{origin}/v1/key/{self.app_user_token}/projects/{self.upstream_project}"
        return f"{origin}/v1/projects/{self.upstream_project}"


class CentralSessionAuth(httpx.Auth):
    """Bearer auth from a `CentralClient` log-in, renewed once when the session expires."""

    requires_request_body = True

    def __init__(self, central: CentralClient) -> None:
        self.central = central
        self.token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.token is None:
            self.token = self.central.log_in()
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = self.central.log_in()
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


@dataclass
class CycleReport:
    ok: bool
    forms: list[str] = field(default_factory=list)
    discovered: int = 0
    upload: UploadReport = field(default_factory=UploadReport)
    error: str | None = None


class Relay:
    """Forms down, submissions up; see the module docstring."""

    def __init__(
        self,
        config: RelayConfig,
        state: RelayState,
        *,
        rng: random.Random | None = None,
        log: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.config = config
        self.state = state
        self.log = log
        self.limiter = RateLimiter(config.max_rate)
        self.backoff = Backoff(base=config.backoff_base, cap=config.backoff_cap, rng=rng)
        self.hub = CentralClient(
            Credentials(config.hub_url.rstrip("/"), config.hub_email, config.hub_password),
            timeout=config.timeout,
        )
        http = httpx.Client(timeout=config.timeout)
        if not config.app_user_token:
            if not config.upstream_email or config.upstream_password is None:
                raise SyncError("an upstream app-user token, or an email and password, is needed")
            login = CentralClient(
                Credentials(
                    config.upstream_url.rstrip("/"),
                    config.upstream_email,
                    config.upstream_password,
                ),
                timeout=config.timeout,
            )
            http.auth = CentralSessionAuth(login)
        self.upstream = CollectClient(
            config.upstream_server_url(), client=http, device_id=config.device_id
        )
        self._http = http

    def close(self) -> None:
        self.hub.close()
        self._http.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # One cycle -------------------------------------------------------------------------

    def cycle(self) -> CycleReport:
        """Forms down, then new hub submissions into the outbox, then one batch up.

        A failure of the uplink while bringing forms down does not hold the batch back:
        submissions need nothing from upstream, and on a flaky link the several requests
        of the forms step (form list, manifests, entity lists) would otherwise rarely all
        succeed before the upload. The cycle still counts as failed (and backs off)."""
        report = CycleReport(ok=True)
        try:
            forms_down: UplinkDown | None = None
            try:
                report.forms = self._forms_down()
            except UplinkDown as error:
                forms_down = error
            report.discovered = discover(
                self.hub,
                project_id=self.config.hub_project,
                state=self.state,
                limit=self.config.batch_size,
            )
            report.upload = upload(
                self.upstream,
                self.hub,
                project_id=self.config.hub_project,
                state=self.state,
                limiter=self.limiter,
                batch_size=self.config.batch_size,
            )
            if report.upload.offered:
                self._uplink_seen()
            if report.discovered >= self.config.batch_size:
                report.upload.more = True  # more may be waiting on the hub
            if forms_down is not None:
                raise forms_down
        except UplinkDown as error:
            report.ok, report.error = False, f"uplink: {error}"
            self.state.put(uplink_error=str(error), uplink_error_at=time.time())
        except HubDown as error:
            report.ok, report.error = False, f"hub: {error}"
        except ServerRefused as refused:  # a lasting refusal: credentials, project, form list
            report.ok, report.error = False, f"refused: {refused}"
        return report

    def _forms_down(self) -> list[str]:
        try:
            changed = mirror_forms(
                self.upstream,
                self.hub,
                project_id=self.config.hub_project,
                state=self.state,
                limiter=self.limiter,
            )
        except HubDown:
            raise
        except (httpx.HTTPError, SyncError) as error:
            if isinstance(error, ServerRefused) and not is_transient(error):
                raise
            raise UplinkDown(f"{type(error).__name__}: {error}") from error
        try:
            lists = mirror_entity_lists(
                self.upstream,
                self.hub,
                project_id=self.config.hub_project,
                state=self.state,
                limiter=self.limiter,
            )
        except HubDown:
            raise
        except (httpx.HTTPError, SyncError) as error:
            if isinstance(error, ServerRefused) and not is_transient(error):
                raise
            raise UplinkDown(f"{type(error).__name__}: {error}") from error
        self._uplink_seen()
        return changed + [f"{name}.csv" for name in lists]

    def _uplink_seen(self) -> None:
        self.state.put(uplink_seen=time.time(), uplink_error=None, uplink_error_at=None)

    def poll_hub(self) -> int:
        """The cheap check between cycles: new submissions on the hub go into the outbox."""
        return discover(
            self.hub,
            project_id=self.config.hub_project,
            state=self.state,
            limit=self.config.batch_size,
        )

    # Forever ---------------------------------------------------------------------------

    def run_once(self) -> CycleReport:
        """Cycles until the outbox has nothing left to offer (or the uplink fails)."""
        while True:
            report = self.cycle()
            self._log_cycle(report)
            if not report.ok or not report.upload.more:
                return report

    def watch(
        self,
        *,
        stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        next_cycle = 0.0
        while not stop():
            now = time.monotonic()
            if now >= next_cycle:
                report = self.cycle()
                self._log_cycle(report)
                if report.ok:
                    self.backoff.reset()
                    next_cycle = now if report.upload.more else now + self.config.interval
                else:
                    delay = self.backoff.next_delay()
                    self.log(f"retrying in {delay:.1f}s")
                    next_cycle = time.monotonic() + delay
                continue
            sleep(max(0.0, min(self.config.poll, next_cycle - now)))
            if self.backoff.failures == 0:
                try:
                    if self.poll_hub():
                        next_cycle = 0.0
                except (SyncError, httpx.HTTPError):
                    pass

    def _log_cycle(self, report: CycleReport) -> None:
        if not report.ok:
            self.log(f"cycle stopped: {report.error}")
            return
        up = report.upload
        if report.forms or report.discovered or up.offered or up.failed:
            parts = [f"{report.discovered} new on the hub", f"{up.confirmed} confirmed upstream"]
            if report.forms:
                parts.insert(0, f"forms updated: {', '.join(report.forms)}")
            if up.failed:
                parts.append(f"{up.failed} refused")
            if up.waiting:
                parts.append(f"{up.waiting} waiting for attachments")
            self.log("; ".join(parts))


def config_from_state(state: RelayState, *, upstream_password: str | None) -> RelayConfig:
    """The configuration ``jaring relay`` saved in ``relay.db`` (the upstream password aside)."""
    if state.get("upstream_url") is None or state.get("hub_email") is None:
        raise SyncError(f"no relay is configured in {state.path.parent}: run jaring relay first")
    optional: dict[str, Any] = {
        name: state.get(name) for name in TUNABLES if state.get(name) is not None
    }
    return RelayConfig(
        hub_url=state.get("hub_url", DEFAULT_HUB_URL),
        hub_email=state.get("hub_email"),
        hub_password=state.get("hub_password"),
        hub_project=int(state.get("hub_project", 0)),
        upstream_url=state.get("upstream_url"),
        upstream_project=int(state.get("upstream_project")),
        device_id=state.get("device_id"),
        app_user_token=state.get("app_user_token"),
        upstream_email=state.get("upstream_email"),
        upstream_password=upstream_password,
        **optional,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.relay [--once|--watch] --data-dir DIR``: resume a configured relay.

    The same work as ``jaring relay --watch`` once configured, without loading the server
    (it starts in a fraction of the time, which suits a service manager restarting it).
    """
    import argparse
    import os
    import signal
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m sync.relay")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("JARING_DATA_DIR", "jaring-data"))
    )
    parser.add_argument("--watch", action="store_true")
    args = parser.parse_args(argv)
    state = RelayState.in_data_dir(args.data_dir)
    config = config_from_state(state, upstream_password=os.environ.get(UPSTREAM_PASSWORD_ENV))
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    with Relay(config, state, log=lambda line: print(line, flush=True)) as relay:  # noqa: T201
        if not args.watch:
            return 0 if relay.run_once().ok else 2
        relay.watch(stop=lambda: bool(stopping))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
