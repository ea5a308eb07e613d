"""The Bluesky login: an app password from the environment, a session kept on disk.

`createSession` is rate limited (30 per 5 minutes, 300 a day per account), so the session is
stored in `data_dir/bluesky-session.txt` (created with mode 0600: it holds tokens) and reused
by every poll and every later process. The atproto client refreshes the access token by
itself shortly before it expires (it reads `exp` from the JWT); when the server still rejects
a token, `renew()` refreshes it explicitly and, failing that, logs in again. Only a login the
user must fix (wrong handle or password) raises `SourceError`; one that may pass (network,
5xx, rate limit) raises `LoginUnavailable`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from atproto import Client, Request, Session, SessionEvent, get_jwt_payload, models
from atproto_client.exceptions import (
    BadRequestError, InvokeTimeoutError, NetworkError, RateLimitExceededError, RequestErrorBase,
    UnauthorizedError,
)
from atproto_core.exceptions import AtProtocolError

from backchannel.errors import SourceError
from backchannel.names import BLUESKY_APP_PASSWORD as PASSWORD_VAR
from backchannel.names import BLUESKY_HANDLE as HANDLE_VAR
from backchannel.sanitize import clean_text
from backchannel.collectors.retry import Clock

SESSION_FILE = "bluesky-session.txt"
TOKEN_ERRORS = {"ExpiredToken", "InvalidToken"}


class LoginUnavailable(Exception):
    """Logging in failed for now (network, server error, rate limit); try again next round."""


def xrpc_error(exc: BaseException) -> tuple[int | None, str]:
    """(HTTP status, XRPC error name) of an atproto request error."""
    response = getattr(exc, "response", None)
    if response is None:
        return None, ""
    content = response.content
    return response.status_code, str(getattr(content, "error", "") or "")


def describe(exc: BaseException, timeout: float | None = None) -> str:
    """One line saying what went wrong with a request, from the server's own words."""
    if isinstance(exc, InvokeTimeoutError):
        return f"no answer within {timeout:g} s (timeout)" if timeout else "timed out"
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        content = exc.response.content
        error = getattr(content, "error", None)
        message = getattr(content, "message", None)
        detail = ": ".join(str(p) for p in (error, message) if p)
        detail = clean_text(detail, 200)
        return f"HTTP {exc.response.status_code}" + (f" ({detail})" if detail else "")
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        return "network error: " + (clean_text(str(cause), 200) or type(cause).__name__)
    return clean_text(str(exc), 200) or type(exc).__name__


class BlueskySession:
    """A logged-in atproto `Client` whose session lives in a 0600 file in the data dir."""

    def __init__(self, service: str, handle: str, password: str, data_dir: Path, timeout: float,
                 clock: Clock | None = None):
        self.service = service
        self.handle = handle
        self.password = password
        self.path = Path(data_dir) / SESSION_FILE
        self.timeout = timeout
        self.clock = clock or Clock()  # decides whether a stored session can still refresh
        self.requests = 0  # HTTP requests made for logging in and refreshing
        self.warnings: list[str] = []  # e.g. the session file could not be written
        self._client: Client | None = None
        self._saved: str | None = None

    # public --------------------------------------------------------------------------------
    def client(self) -> Client:
        """The logged-in client: the stored session if there is a usable one, else a new login."""
        if self._client is None:
            stored = self._load()
            if stored:
                client = self._new_client()
                client.login(session_string=stored, fetch_bsky_profile=False)  # no request
                self._client = client
            else:
                self._create()
        return self._client

    def renew(self) -> None:
        """The server rejected our access token: refresh the session, or else log in again."""
        client = self.client()
        current = Session.decode(client.export_session_string())
        try:
            self.requests += 1
            fresh = client.com.atproto.server.refresh_session(
                headers={"Authorization": f"Bearer {current.refresh_jwt}"}, ignore_session_check=True)
        except (BadRequestError, UnauthorizedError):
            self._create()  # the refresh token is expired or revoked too
            return
        except AtProtocolError as exc:
            raise LoginUnavailable(self.redact(f"refreshing the session at {self.service} failed: "
                                               f"{describe(exc, self.timeout)}")) from None
        self._adopt(client, fresh, current.pds_endpoint)

    def secrets(self) -> list[str]:
        """Strings that must never appear in a message: the password and the tokens."""
        out = [self.password]
        if self._client is not None:
            try:
                s = Session.decode(self._client.export_session_string())
                out += [s.access_jwt, s.refresh_jwt]
            except AtProtocolError:
                pass
        return [s for s in out if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    # logging in ----------------------------------------------------------------------------
    def _new_client(self) -> Client:
        client = Client(base_url=self.service, request=Request(timeout=self.timeout))
        client.on_session_change(self._changed)
        return client

    def _create(self) -> None:
        if not self.handle or not self.password:
            raise SourceError(f"Bluesky needs a login: set {HANDLE_VAR} (your handle) and {PASSWORD_VAR} "
                              "(an app password from Settings → Privacy and security → App passwords)")
        client = self._new_client()  # a fresh client logs in at the configured service
        self.requests += 1
        try:
            client.login(self.handle, self.password, fetch_bsky_profile=False)
        except RateLimitExceededError as exc:
            raise LoginUnavailable(f"Bluesky login at {self.service} is rate limited "
                                   f"(createSession allows 30 per 5 minutes); {describe(exc)}") from None
        except (UnauthorizedError, BadRequestError) as exc:
            raise SourceError(self._login_refused(exc)) from None
        except AtProtocolError as exc:
            raise LoginUnavailable(self.redact(f"Bluesky login at {self.service} failed: "
                                               f"{describe(exc, self.timeout)}")) from None
        if self._client is not None:
            self._client.request.close()  # the old session's connections
        self._client = client

    def _login_refused(self, exc: AtProtocolError) -> str:
        status, error = xrpc_error(exc)
        where = f"Bluesky login as {clean_text(self.handle, 253)!r} at {self.service}"
        if error == "AuthFactorTokenRequired":
            hint = "the account asks for an email sign-in code: use an app password instead"
        elif error in ("AccountTakedown", "AccountDeactivated"):
            hint = f"the account cannot log in ({error})"
        elif status == 401:
            hint = (f"wrong handle or app password: check {HANDLE_VAR} and {PASSWORD_VAR} "
                    "(create an app password in Settings → Privacy and security → App passwords)")
        else:
            hint = f"refused: {describe(exc)}"
        return self.redact(f"{where} failed: {hint}")

    def _adopt(self, client: Client, fresh: models.ComAtprotoServerRefreshSession.Response,
               pds: str | None) -> None:
        session = Session(handle=fresh.handle, did=fresh.did, access_jwt=fresh.access_jwt,
                          refresh_jwt=fresh.refresh_jwt, pds_endpoint=pds)
        client.login(session_string=session.encode(), fetch_bsky_profile=False)  # saves it

    def _changed(self, event: SessionEvent, session: Session) -> None:
        if event == SessionEvent.REFRESH:
            self.requests += 1  # the client refreshed by itself inside a call
        self._save(session.encode())

    # the session file ----------------------------------------------------------------------
    def _load(self) -> str | None:
        """The stored session string when it belongs to this service and handle and can still refresh."""
        try:
            stat = self.path.stat()
            data = json.loads(self.path.read_text(encoding="utf-8"))
            session = data["session"]
            same = data.get("service") == self.service and \
                str(data.get("identifier", "")).lower() == self.handle.lower()
            expires = get_jwt_payload(Session.decode(session).refresh_jwt).exp or 0
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AtProtocolError):
            self.warnings.append(f"{self.path}: unreadable Bluesky session, logging in again")
            return None
        if not same or expires < self.clock.now().timestamp() + 60:
            return None
        self._saved = session
        if stat.st_mode & 0o077:  # readable by others: write it again, privately
            self._saved = None
            self._save(session)
        return session

    def _save(self, session: str) -> None:
        """Write the session atomically into a file created with mode 0600."""
        if session == self._saved:
            return
        data = json.dumps({"service": self.service, "identifier": self.handle, "session": session})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            self._saved = session
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            self.warnings.append(f"{self.path}: cannot save the Bluesky session ({exc.strerror}); "
                                 "the next process will log in again")
