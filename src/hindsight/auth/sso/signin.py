"""Signing a person in through their organisation's OpenID provider.

`begin` sends the browser to the provider with a fresh state, nonce and PKCE verifier, kept in
the database for ten minutes and used once. `finish` takes the provider's answer: the code is
exchanged, the ID token checked (auth/sso/oidc.py), its claims mapped (domain/sso_mapping.py)
and the person found, linked or created:

1. the person of this account whose `external_subject` is the token's `sub`;
2. else a person provisioned for SSO (OIDC or SCIM) with no subject yet whose user name or
   e-mail is the token's user name claim (or e-mail): the subject is stored, linking them;
3. else, when the account creates people just in time, a new person (source OIDC);
   otherwise the sign-in is refused: not provisioned.

Roles and scope from the mapping replace the person's at every sign-in (and end their other
sessions when they changed): for SSO people the provider is where access is managed. The one
exception is a person SCIM provisioned while the account's SCIM group mapping is in force:
SCIM is then the single source of their roles and scope (provisioning/mapping.py), so the
token's groups are neither applied nor required, and the two never take turns. A
disabled person is refused. Every sign-in and every refusal is audited with its reason.
A test sign-in (an admin trying the configuration) does all the checks but changes no one and
starts no session; it reports what the token said and what the mapping made of it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import ALLOWED, Actor, AuditTrail
from hindsight.auth.sso.config import SsoConfigService, settings_of
from hindsight.auth.sso.errors import ProviderUnavailable, SsoRefused
from hindsight.auth.sso.oidc import OidcClient, ProviderMetadata
from hindsight.auth.users import ACTIVE, normalise_username
from hindsight.domain.clock import Clock
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.sso_mapping import MappedPerson, MappingRefused, map_claims, no_role
from hindsight.provisioning.mapping import load as load_group_mapping
from hindsight.store import sso as store
from hindsight.store import users as user_store
from hindsight.store.database import Database
from hindsight.store.sso import PendingLogin, SsoProviderRecord

SIGN_IN = "sign_in"
TEST = "test"
LOGIN_TTL_MS = 10 * 60_000
MAX_STATE = 128
# Claims a test sign-in shows the admin (not every claim: tokens can carry much else).
_SHOWN_CLAIMS = 40


@dataclass(frozen=True)
class Started:
    url: str
    state: str


@dataclass(frozen=True)
class Finished:
    purpose: str
    account_sid: str
    next_path: str
    user: Any | None = None  # the person signed in (purpose sign_in)
    id_token: str | None = None  # the provider's, for signing out there (purpose sign_in)
    report: dict[str, Any] = field(default_factory=dict)  # what a test sign-in found


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "replace")).hexdigest()


class SsoSignIn:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        config: SsoConfigService,
        oidc: OidcClient,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._config = config
        self._oidc = oidc

    async def end_session_url(
        self, account_sid: str, post_logout_redirect_uri: str, id_token_hint: str | None = None
    ) -> str | None:
        """Where to send the browser to end the provider's session too (RP-initiated logout),
        when the account's provider advertises `end_session_endpoint`; else None. The ID token
        the session began with names it: several providers (Okta, Entra ID) refuse a
        `post_logout_redirect_uri` without it, others ask the person to confirm."""
        record = await self._db.read(lambda conn: store.get_provider(conn, account_sid))
        if record is None or not record.enabled:
            return None
        try:
            metadata = await self._oidc.metadata(record.issuer)
        except ProviderUnavailable:  # a provider that is down keeps no one signed in here
            return None
        if not metadata.end_session_endpoint:
            return None
        parameters = {"client_id": record.client_id}
        if id_token_hint:
            parameters["id_token_hint"] = id_token_hint
        parameters["post_logout_redirect_uri"] = post_logout_redirect_uri
        query = urlencode(parameters)
        separator = "&" if "?" in metadata.end_session_endpoint else "?"
        return f"{metadata.end_session_endpoint}{separator}{query}"

    # --- going to the provider --------------------------------------------------------------

    async def begin(
        self, account_sid: str, next_path: str, purpose: str, redirect_uri: str
    ) -> Started:
        record = await self._config.provider(account_sid)
        if purpose == SIGN_IN and not record.enabled:
            raise SsoRefused("single sign-on is not enabled for this account")
        metadata = await self._oidc.metadata(record.issuer)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        now = self._clock.now_ms()
        login = PendingLogin(
            state_hash=state_hash(state),
            account_sid=account_sid,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            purpose=purpose,
            created_ms=now,
            expires_ms=now + LOGIN_TTL_MS,
        )

        def unit(conn: Connection) -> None:
            store.purge_logins(conn, now)
            store.insert_login(conn, login)

        await self._db.write(unit)
        client = self._config.client(record, redirect_uri)
        return Started(
            self._oidc.authorization_url(metadata, client, state, nonce, verifier), state
        )

    # --- coming back ------------------------------------------------------------------------

    async def finish(
        self,
        *,
        state: str | None,
        browser_state: str | None,
        code: str | None,
        error: str | None,
        redirect_uri: str,
        ip: str | None,
    ) -> Finished:
        login = await self._pending(state, browser_state, ip)
        record = await self._config.provider(login.account_sid)
        mapped: MappedPerson | None = None
        try:
            mapped, claims, id_token = await self._identify(
                record, login, code, error, redirect_uri
            )
            if login.purpose == TEST:
                return await self._tested(record, login, mapped, claims, ip)
            person = mapped
            user, how = await self._db.write(lambda conn: self._person(conn, record, person))
        except SsoRefused as refused:
            who = getattr(refused, "who", None)
            if who is None and mapped is not None:
                who = {"sub": mapped.subject, "name": mapped.username}
            await self._refuse(login, refused.reason, ip, who)
            refused.purpose = login.purpose  # type: ignore[attr-defined]
            raise
        except ProviderUnavailable as down:
            await self._refuse(login, "the identity provider cannot be reached", ip)
            down.purpose = login.purpose  # type: ignore[attr-defined]
            raise
        await self._audit.record(
            _actor(user, ip),
            "auth.sso_login",
            object_type="user",
            object_id=user.sid,
            outcome=ALLOWED,
            detail={
                "how": how,
                "subject": mapped.subject,
                "groups": list(mapped.groups[:50]),
                "roles": list(mapped.roles),
                "scope": mapped.scope.to_json(),
            },
        )
        return Finished(SIGN_IN, login.account_sid, login.next_path, user=user, id_token=id_token)

    async def _pending(
        self, state: str | None, browser_state: str | None, ip: str | None
    ) -> PendingLogin:
        # The state must be the one this browser was sent off with (its cookie), so no one can
        # make a victim's browser finish a sign-in the attacker started (login CSRF).
        if not state or len(state) > MAX_STATE:
            await self._refuse(None, "the provider's answer has no sign-in state", ip)
            raise SsoRefused("the provider's answer has no sign-in state")
        hashed = state_hash(state)
        # Taken even when this browser did not start it: a state seen elsewhere is spent.
        login = await self._db.write(lambda conn: store.take_login(conn, hashed))
        if not browser_state or not secrets.compare_digest(state.encode(), browser_state.encode()):
            reason = "the sign-in was not started in this browser"
            await self._refuse(login, reason, ip)
            raise SsoRefused(reason)
        if login is None or login.expires_ms < self._clock.now_ms():
            reason = "unknown, used or expired sign-in state"
            await self._refuse(login, reason, ip)
            raise SsoRefused(reason)
        return login

    async def _identify(
        self,
        record: SsoProviderRecord,
        login: PendingLogin,
        code: str | None,
        error: str | None,
        redirect_uri: str,
    ) -> tuple[MappedPerson, dict[str, Any], str]:
        if login.purpose == SIGN_IN and not record.enabled:
            raise SsoRefused("single sign-on is not enabled for this account")
        if error:
            raise SsoRefused(f"the provider answered {error[:60]!r}")
        if not code or len(code) > 2048:
            raise SsoRefused("the provider's answer has no code")
        client = self._config.client(record, redirect_uri)
        metadata: ProviderMetadata = await self._oidc.metadata(record.issuer)
        id_token = await self._oidc.exchange(metadata, client, code, login.code_verifier)
        claims = await self._oidc.verify(client, id_token, login.nonce)
        try:
            mapped = map_claims(settings_of(record).mapping, claims, require_roles=False)
        except MappingRefused as refused:
            name = claims.get("preferred_username") or claims.get("email")
            raise _about(
                SsoRefused(refused.reason), {"sub": claims.get("sub"), "name": name}
            ) from None
        return mapped, claims, id_token

    def _person(
        self, conn: Connection, record: SsoProviderRecord, mapped: MappedPerson
    ) -> tuple[Any, str]:
        """The person signed in, and how they were found: known, linked or created."""
        account = record.account_sid
        row = store.by_subject(conn, account, mapped.subject)
        now = self._clock.now_ms()
        values: dict[str, Any] = {}
        how = "known"
        if row is None:
            row = store.linkable(conn, account, (mapped.username, mapped.email or ""))
            if row is not None:
                values["external_subject"] = mapped.subject
                how = "linked"
        from_token = not _roles_from_scim(conn, row)
        if from_token and not mapped.roles:
            raise _about(SsoRefused(no_role(mapped.groups).reason), row=row)
        if row is None:
            row = self._created(conn, record, mapped, now)
            how = "created"
        if row.status != ACTIVE:
            raise _about(SsoRefused("user disabled"), row=row)
        roles = orjson.dumps(list(mapped.roles)).decode()
        scope = orjson.dumps(mapped.scope.to_json()).decode()
        if from_token and (row.roles != roles or row.scope != scope):
            # Mapped access replaces what they had; sessions on the old rights end.
            values.update(roles=roles, scope=scope, date_updated=now)
            user_store.end_user_sessions(conn, row.sid, now)
        if mapped.email and row.email is None:
            values["email"] = mapped.email
        if mapped.full_name and row.full_name is None:
            values["full_name"] = mapped.full_name
        values.update(last_login_ms=now, failed_logins=0, locked_until_ms=None)
        user_store.update_user(conn, row.sid, values)
        return user_store.get_user(conn, row.sid), how

    def _created(
        self, conn: Connection, record: SsoProviderRecord, mapped: MappedPerson, now: int
    ) -> Any:
        if not record.create_people:
            raise SsoRefused(f"not provisioned: no person {mapped.username!r} in this account")
        try:
            username = normalise_username(mapped.username)
        except InvalidParameter:
            raise SsoRefused(
                f"the user name claim {mapped.username[:80]!r} is not usable"
            ) from None
        if user_store.get_by_username(conn, username) is not None:
            raise SsoRefused(
                f"the user name {username!r} belongs to a person who does not sign in through "
                "this provider"
            )
        sid = new_sid(Prefix.USER)
        user_store.insert_user(
            conn,
            {
                "sid": sid,
                "account_sid": record.account_sid,
                "username": username,
                "full_name": mapped.full_name,
                "email": mapped.email,
                "auth_provider": "oidc",
                "external_subject": mapped.subject,
                "password_hash": None,
                "password_changed_ms": None,
                "roles": "[]",
                "scope": "{}",
                "status": ACTIVE,
            },
            now,
        )
        return user_store.get_user(conn, sid)

    async def _tested(
        self,
        record: SsoProviderRecord,
        login: PendingLogin,
        mapped: MappedPerson,
        claims: dict[str, Any],
        ip: str | None,
    ) -> Finished:
        def find(conn: Connection) -> tuple[str, Any | None]:
            row = store.by_subject(conn, record.account_sid, mapped.subject)
            if row is not None:
                return "signs in as", row
            row = store.linkable(conn, record.account_sid, (mapped.username, mapped.email or ""))
            if row is not None:
                return "would be linked to", row
            return (
                "would be created" if record.create_people else "would be refused: not provisioned"
            ), None

        def judged(conn: Connection) -> tuple[str, Any | None, bool]:
            verdict, row = find(conn)
            return verdict, row, not _roles_from_scim(conn, row)

        verdict, row, from_token = await self._db.read(judged)
        if from_token and not mapped.roles:
            verdict = f"would be refused: {no_role(mapped.groups).reason}"
        elif row is not None and row.status != ACTIVE:
            verdict = "would be refused: user disabled"
        elif not from_token:
            verdict += " (roles and scope from SCIM provisioning)"
        report = {
            "claims": dict(list(claims.items())[:_SHOWN_CLAIMS]),
            "username": mapped.username,
            "groups": list(mapped.groups),
            "roles": list(mapped.roles),
            "scope": mapped.scope.to_json(),
            "verdict": verdict,
            "person": row.username if row is not None else None,
        }
        await self._audit.record(
            Actor("system", None, "sso test", record.account_sid, (), ip),
            "sso.test",
            object_type="account",
            object_id=record.account_sid,
            detail={k: v for k, v in report.items() if k != "claims"},
        )
        return Finished(TEST, record.account_sid, login.next_path, report=report)

    async def _refuse(
        self, login: PendingLogin | None, reason: str, ip: str | None, who: Any = None
    ) -> None:
        account = login.account_sid if login else None
        if isinstance(who, dict):  # the token's claims: the person has no row (yet)
            name = who.get("name") if isinstance(who.get("name"), str) else who.get("sub")
            actor = Actor("user", None, str(name)[:100], account, (), ip)
            detail: dict[str, Any] = {"subject": who.get("sub")}
        elif who is not None:
            actor, detail = _actor(who, ip), {"subject": who.external_subject}
        else:
            actor, detail = Actor("user", None, None, account, (), ip), {}
        if login is not None and login.purpose == TEST:
            detail["test"] = True
        await self._audit.refused_sign_in(actor, "auth.sso_login", reason, detail)


def _roles_from_scim(conn: Connection, row: Any | None) -> bool:
    """Whether SCIM's group mapping, not the token, gives this person their roles."""
    if row is None or row.auth_provider != "scim":
        return False
    return not load_group_mapping(conn, row.account_sid).empty


def _about(
    refused: SsoRefused, claims: dict[str, Any] | None = None, row: Any = None
) -> SsoRefused:
    refused.who = row if row is not None else claims  # type: ignore[attr-defined]
    return refused


def _actor(user: Any, ip: str | None) -> Actor:
    return Actor(
        "user", user.sid, user.username, user.account_sid, tuple(orjson.loads(user.roles)), ip
    )
