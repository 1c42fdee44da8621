"""Where a case connects: the :class:`Target`, and the :class:`Client` that opens
connections to it (the opening handshake, valid or not, and refusals).

Every request a :class:`Client` builds has the profile applied: valid
credentials when ``[auth]`` is declared, an allowed Origin when ``[origin]``
is, a subprotocol when one is required. :meth:`Client.open` hands back a
:class:`~wsspec.dsl.connection.Connection` only after a correct 101.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from wsspec import credentials
from wsspec.driver import get_runtime
from wsspec.driver.base import ConnectFailed, Driver, StreamEnd, TLSOptions
from wsspec.dsl.connection import Connection
from wsspec.dsl.render import describe_statuses
from wsspec.profile import TargetAddress, TargetProfile
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.deflate import (
    DeflateOffer,
    DeflateParams,
    build_offer_header,
    check_deflate_response,
)
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.frames import Opcode, encode_frame
from wsspec.protocol.handshake import (
    BODY_GRACE,
    HandshakeRequest,
    HandshakeResponse,
    ResponseParser,
    build_request,
    check_response,
)
from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError, Verdict

__all__ = ["Client", "HandshakeResult", "Target"]

_DEFAULT = object()

#: seconds for which a valid handshake accepted by a target (a case's own, or a
#: sibling check's) answers the sibling check of a refusal that follows.
SIBLING_FRESH = 2.0
#: when each target (by URL) last accepted a valid opening handshake (time.monotonic:
#: one clock across the cases' event loops, trio's included).
_ACCEPTED_AT: dict[str, float] = {}

#: what no refusal may show a client: a stack trace, an exception, a source path.
_INTERNALS_RE = re.compile(
    r"Traceback \(most recent call last\)|Exception|File \"[^\"]+\", line \d+"
    r"|goroutine \d+ \[|(?:[\w.-]*/)+[\w.-]+\.(?:py|go|js|ts|java|rb|php|rs|cs):\d+"
)


@dataclass(frozen=True)
class Target:
    """Where the target is and what may be assumed about it."""

    url: str
    profile: TargetProfile = field(default_factory=TargetProfile)
    driver: str = "asyncio"
    tls: TLSOptions | None = None
    timeout: float = 5.0
    #: seconds of slack on the target's timers (heartbeat, handshake deadline).
    heartbeat_tolerance: float = 0.5

    @property
    def address(self) -> TargetAddress:
        return TargetAddress.from_url(self.url)


@dataclass
class HandshakeResult:
    """What came back for one opening handshake request."""

    request: HandshakeRequest
    response: HandshakeResponse | None
    end: StreamEnd | None = None
    timed_out: bool = False
    trailing: bytes = b""
    error: str | None = None

    def describe(self) -> str:
        """One line for failure messages: the status, or how the server ended."""
        if self.response is not None:
            r = self.response
            return f"HTTP/{r.http_version} {r.status} {r.reason}".rstrip()
        if self.error:
            return f"an invalid HTTP response ({self.error})"
        if self.timed_out:
            return "no response before the deadline"
        if self.end is StreamEnd.RESET:
            return "the connection reset without a response"
        return "the connection closed without a response"


class Client:
    """Opens connections to the target for one case, recording in its wire log."""

    def __init__(self, target: Target, record: CaseRecord) -> None:
        self.target = target
        self.record = record
        self._drivers: list[Driver] = []
        #: handshakes of the case that were not accepted, for :meth:`check_refusals`
        self._refusals: list[str] = []
        self._checking = False

    @property
    def profile(self) -> TargetProfile:
        return self.target.profile

    @property
    def timeout(self) -> float:
        return self.target.timeout

    @property
    def url(self) -> str:
        return self.target.url

    # -- building requests -------------------------------------------------

    def request(
        self,
        *,
        resource: str | None = None,
        subprotocols: Sequence[str] | None = None,
        extensions: Sequence[str] = (),
        origin: str | object | None = _DEFAULT,
        authenticate: bool = True,
        key: str | None = None,
        scheme: str | None = None,
    ) -> HandshakeRequest:
        """A valid opening handshake with the profile applied.

        ``origin`` defaults to the first allowed origin when the profile has an
        ``[origin]`` table (pass None to send none); ``subprotocols`` defaults to
        the first declared one when the profile requires a subprotocol;
        ``authenticate=False`` leaves credentials out (for auth cases); ``scheme``
        presents them in another declared scheme than the first.
        """
        address = self.target.address
        profile = self.profile
        if origin is _DEFAULT:
            allowed = profile.origin.allowed if profile.origin else ()
            origin = allowed[0] if allowed else None
        if subprotocols is None:
            subprotocols = profile.subprotocols[:1] if profile.subprotocol_required else ()
        host = address.netloc.rsplit("@", 1)[-1]
        request = build_request(
            host,
            resource or address.resource,
            key=key,
            subprotocols=subprotocols,
            extensions=extensions,
            origin=origin if isinstance(origin, str) else None,
        )
        auth = profile.auth
        if authenticate and auth is not None:
            token = credentials.valid_token(auth)
            request = credentials.present(request, scheme or auth.schemes[0], token, auth.param)
        return request

    # -- raw connections ---------------------------------------------------

    async def connect(self) -> Driver:
        """A TCP (or TLS) connection to the target, no handshake yet."""
        address = self.target.address
        driver = get_runtime(self.target.driver).connection(self.record.wirelog)
        tls = (self.target.tls or TLSOptions()) if address.secure else None
        try:
            await driver.connect(address.host, address.port, tls=tls, timeout=self.timeout)
        except ConnectFailed as exc:
            raise HarnessError(f"cannot connect to {self.target.url}: {exc}") from None
        self._drivers.append(driver)
        return driver

    async def handshake(
        self,
        request: HandshakeRequest | bytes | None = None,
        *,
        chunks: Sequence[int] | None = None,
        pause: float = 0.0,
        driver: Driver | None = None,
        timeout: float | None = None,
    ) -> tuple[Driver, HandshakeResult]:
        """Send an opening handshake (any bytes) and read the response."""
        if request is None:
            request = self.request()
        raw = request if isinstance(request, bytes) else request.encode()
        parsed = request if isinstance(request, HandshakeRequest) else HandshakeRequest(
            method="?", target="?", headers=[])
        driver = driver or await self.connect()
        wait = self.timeout if timeout is None else timeout
        end = await driver.send(raw, chunks=chunks, pause=pause, timeout=wait)
        result = HandshakeResult(parsed, None, end=end)
        parser = ResponseParser(request_method=parsed.method if parsed.method != "?" else "GET")
        deadline = driver.clock() + wait
        while True:
            remaining = deadline - driver.clock()
            if remaining <= 0 and parser.head_complete:
                # The head settles the handshake; a body that has not ended
                # within the grace (no Content-Length: it ends at close) is
                # not waited for.
                result.response = parser.settle()
                return self._noted(driver, result)
            if remaining <= 0:
                result.timed_out = True
                driver.wirelog.event(f"no handshake response within {wait:g} s")
                return self._noted(driver, result)
            data = await driver.receive(remaining)
            try:
                if data is None:
                    continue
                if isinstance(data, StreamEnd):
                    result.end = data
                    response = parser.feed_eof()
                    result.response = response
                    return self._noted(driver, result)
                response = parser.feed(data)
            except HandshakeViolation as exc:
                result.error = str(exc)
                return self._noted(driver, result)
            if response is None and parser.head_complete:
                deadline = min(deadline, driver.clock() + BODY_GRACE)
            if response is not None:
                result.response = response
                result.trailing = parser.trailing
                return self._noted(driver, result)

    def _noted(self, driver: Driver, result: HandshakeResult) -> tuple[Driver, HandshakeResult]:
        """``(driver, result)``, a refusal among them noted for :meth:`check_refusals`."""
        response = result.response
        if not result.timed_out and (response is None or response.status != 101):
            self.note_refusal(result.describe())
        return driver, result

    def note_refusal(self, description: str) -> None:
        """Note a handshake of the case that was not accepted (for a case reading
        the answer its own way), so :meth:`check_refusals` runs after the case."""
        if not self._checking:
            self._refusals.append(description)

    async def open(
        self,
        request: HandshakeRequest | None = None,
        *,
        deflate: Sequence[DeflateOffer] = (),
        chunks: Sequence[int] | None = None,
    ) -> Connection:
        """Complete a valid opening handshake; anything but a correct 101 fails."""
        if request is None:
            request = self.request()
        if deflate:
            request = request.with_header("Sec-WebSocket-Extensions", build_offer_header(deflate))
        driver, result = await self.handshake(request, chunks=chunks)
        response = result.response
        if response is None or response.status != 101:
            raise self._fail(
                "101 Switching Protocols for a valid opening handshake (RFC6455 4.2.2)",
                result.describe(),
            )
        key = request.get("Sec-WebSocket-Key")
        offered_protocols = _split(request.get("Sec-WebSocket-Protocol"))
        offered_extensions = [e.split(";")[0].strip() for e in _split(
            request.get("Sec-WebSocket-Extensions"))]
        problems = check_response(
            response,
            key=key[0] if key else "",
            subprotocols=offered_protocols,
            extensions_offered=offered_extensions,
        )
        params: DeflateParams | None = None
        if deflate:
            params, deflate_problems = check_deflate_response(response.extensions, deflate)
            problems.extend(deflate_problems)
        if problems:
            raise self._fail(
                "a 101 response that follows RFC 6455 4.2.2" + (" and RFC 7692" if deflate else ""),
                "; ".join(problems),
            )
        _ACCEPTED_AT[self.target.url] = time.monotonic()
        connection = Connection(self, driver, response, params)
        if result.trailing:
            connection.feed(result.trailing)
        return connection

    async def expect_refused(
        self,
        request: HandshakeRequest | bytes,
        *,
        statuses: Sequence[int] | range = range(400, 500),
        rule: str = "RFC6455 4.2.1",
        chunks: Sequence[int] | None = None,
        header: tuple[str, str] | None = None,
        policy: bool = False,
        preferred: Sequence[int] | None = None,
        secrets: Sequence[str] = (),
    ) -> HandshakeResult:
        """The server must refuse ``request`` with one of ``statuses`` and no 101.

        A dropped connection without any HTTP response is allowed but not
        preferred (RFC 6455 10.7 SHOULD return an HTTP status): non-strict.
        ``header`` names a header the refusal must carry (e.g. the 426's
        ``Sec-WebSocket-Version: 13``).

        ``policy`` marks a refusal of a well-formed request by the target's
        policy (credentials, Origin, subprotocol): no WebSocket byte may follow
        the response (RFC 6455 4.2.2: the handshake is aborted), and a refusal
        that shows a client a stack trace, an exception or a source path is
        non-strict. Non-strict too: a status outside ``preferred`` (e.g. 403
        for a refused Origin, RFC 6455 10.2 SHOULD), and a refusal that echoes
        one of ``secrets`` (the credential presented).
        """
        wanted = describe_statuses(statuses)
        expected = (f"refusal with {wanted}, no 101 and nothing after it ({rule})" if policy
                    else f"refusal with {wanted} ({rule})")
        driver, result = await self.handshake(request, chunks=chunks)
        response = result.response
        self.record.observe(expected, result.describe())
        if response is None:
            if result.timed_out or result.error:
                raise self._fail(expected, result.describe())
            self.record.downgrade(
                Verdict.NON_STRICT,
                "connection dropped without an HTTP status (RFC6455 10.7 SHOULD answer with one)",
            )
            return result
        if response.status not in statuses:
            raise self._fail(expected, result.describe())
        if header is not None:
            name, value = header
            values = [v.strip().lower() for v in _split(response.get(name))]
            if value.lower() not in values:
                raise self._fail(f"{response.status} carrying {name}: {value} ({rule})",
                                 f"{name}: {', '.join(response.get(name)) or '(absent)'}")
        if policy:
            await self._check_aborted(driver, result, expected)
        if preferred is not None and response.status not in preferred:
            self.record.downgrade(
                Verdict.NON_STRICT,
                f"refused with {response.status}; {describe_statuses(preferred)} is the status "
                f"to use ({rule})",
            )
        shown = response.body.decode("utf-8", "replace") + "\n" + "\n".join(
            value for _, value in response.headers)
        if any(len(s) >= 8 and s in shown for s in secrets):
            self.record.downgrade(
                Verdict.NON_STRICT,
                "the refusal echoes the credential the client presented (RFC6750 5.3: bearer "
                "tokens must not be disclosed)",
            )
        internals = _INTERNALS_RE.search(shown) if policy else None
        if internals:
            self.record.downgrade(
                Verdict.NON_STRICT,
                f"the refusal shows the server's internals ({internals.group(0)[:40]!r}; CWE-209)",
            )
        return result

    async def check_refusals(self) -> None:
        """The sibling check of a case that saw a handshake refused and did not
        fail: a valid opening handshake, sent right after (or accepted within the
        last :data:`SIBLING_FRESH` seconds), must be accepted. A target that
        refuses that too refuses everything, and its refusal says nothing about
        the request the case sent: :class:`HarnessError` (``error``)."""
        if not self._refusals:
            return
        refusal, self._refusals = self._refusals[0], []
        accepted = _ACCEPTED_AT.get(self.target.url)
        if accepted is not None and time.monotonic() - accepted < SIBLING_FRESH:
            return  # the target accepted a valid handshake moments ago
        # credentials in every declared scheme: a server may refuse one of them
        # (a fault the auth cases catch) and still not refuse everything
        auth = self.profile.auth
        schemes: Sequence[str | None] = auth.schemes if auth is not None else (None,)
        self._checking = True
        try:
            for scheme in schemes:
                result = await self._valid_handshake(scheme)
                if result.response is not None and result.response.status == 101:
                    _ACCEPTED_AT[self.target.url] = time.monotonic()
                    return
        finally:
            self._checking = False
        raise HarnessError(
            f"the target answered {refusal} to the case's request, but also "
            f"{result.describe()} to a valid opening handshake sent right after: a refusal "
            "cannot be told apart from refusing everything (check the URL, the path and the "
            "profile's credentials)")

    async def _valid_handshake(self, scheme: str | None) -> HandshakeResult:
        """A valid opening handshake on a connection of its own, closed at once
        (with a close frame when it was accepted)."""
        driver, result = await self.handshake(self.request(scheme=scheme))
        response = result.response
        if response is not None and response.status == 101 and result.end is None:
            close = encode_frame(Opcode.CLOSE, encode_close_payload(1000), mask_key=os.urandom(4))
            await driver.send(close, timeout=self.timeout)
        await driver.aclose()
        self._drivers.remove(driver)
        return result

    async def _check_aborted(self, driver: Driver, result: HandshakeResult,
                             expected: str) -> None:
        """Nothing may follow a refusal: the handshake is aborted (RFC 6455 4.2.2)."""
        after = result.trailing
        if not after and result.end is None:
            more = await driver.receive(0)
            after = more if isinstance(more, bytes) else b""
        if after:
            raise self._fail(expected, f"{result.describe()}, then {len(after)} more bytes "
                             f"{after[:16].hex()}")

    def _fail(self, expected: str, observed: str) -> CaseFailed:
        return CaseFailed(expected, observed, self.record.wirelog.tail())

    async def aclose(self) -> None:
        for driver in self._drivers:
            await driver.aclose()
        self._drivers.clear()


def _split(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
