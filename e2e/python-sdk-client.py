"""End to end with the official Python MCP SDK.

Its OAuth client provider discovers the authorization server, registers and runs PKCE; this program
plays the user on the consent page (signs in, approves) and delivers the callback. Then, in both
protocol eras (2026-07-28 through `server/discover`, and the `initialize` handshake): tools/list and
tools/call. Then a refresh forced through the SDK (the access token is marked expired), a second one,
and a check that the superseded refresh token is refused and that replaying it revoked the grant.

usage: python python-sdk-client.py <mcp-url> <redirect-uri> <email> <password>
"""

import asyncio
import re
import sys
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


class Failure(Exception):
    pass


class MemoryStorage:
    """The SDK's TokenStorage protocol, kept in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class User:
    """The person at the browser: opens the consent page, signs in, approves, and hands the
    redirect's parameters back to the SDK as its callback."""

    def __init__(self, redirect_uri: str, email: str, password: str) -> None:
        self.redirect_uri = redirect_uri
        self.email = email
        self.password = password
        self.result: AuthorizationCodeResult | None = None

    async def open(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient(follow_redirects=False) as browser:
            page = await browser.get(authorization_url)
            if page.status_code != 200:
                raise Failure(f"consent page answered {page.status_code}")
            found = re.search(r'name="transaction" value="([^"]+)"', page.text)
            if not found:
                raise Failure("no transaction on the consent page")
            answer = await browser.post(
                urljoin(authorization_url, "/authorize"),
                data={
                    "transaction": found.group(1),
                    "decision": "approve",
                    "email": self.email,
                    "password": self.password,
                },
            )
        if answer.status_code != 303:
            alert = re.search(r'role="alert">([^<]*)<', answer.text)
            raise Failure(f"approval answered {answer.status_code}: {alert.group(1) if alert else answer.text[:300]}")
        location = urlsplit(answer.headers["location"])
        wanted = urlsplit(self.redirect_uri)
        if (location.scheme, location.netloc, location.path) != (wanted.scheme, wanted.netloc, wanted.path):
            raise Failure(f"redirected to {answer.headers['location']}")
        query = {key: values[0] for key, values in parse_qs(location.query).items()}
        if "iss" not in query:
            raise Failure("no iss in the authorization response")
        self.result = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query["iss"])

    async def callback(self) -> AuthorizationCodeResult:
        if self.result is None:
            raise Failure("the SDK asked for the callback before opening the authorization URL")
        return self.result


async def use_tools(mcp_url: str, provider: OAuthClientProvider, mode: str, title: str) -> tuple[int, str]:
    """One connection in the given protocol mode: list the tools, add a note, read it back."""
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with Client(streamable_http_client(mcp_url, http_client=http), mode=mode) as client:
            era = client.protocol_version
            tools = await client.list_tools()
            names = {tool.name for tool in tools.tools}
            if "add_note" not in names:
                raise Failure(f"add_note missing from tools/list ({era})")
            added = await client.call_tool("add_note", {"title": title, "body": "hello"})
            if added.is_error or (added.structured_content or {}).get("title") != title:
                raise Failure(f"add_note ({era}): {added}")
            listed = await client.call_tool("list_notes", {})
            titles = [note["title"] for note in (listed.structured_content or {}).get("notes", [])]
            if title not in titles:
                raise Failure(f"list_notes ({era}) does not show the new note: {titles}")
            invalid = await client.call_tool("add_note", {"title": ""})
            if not invalid.is_error:
                raise Failure(f"add_note without a body succeeded ({era})")
            return len(tools.tools), era


async def refresh_grant(token_endpoint: str, client_id: str, refresh_token: str, resource: str) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.post(
            token_endpoint,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
                "resource": resource,
            },
        )


async def main(mcp_url: str, redirect_uri: str, email: str, password: str) -> str:
    storage = MemoryStorage()
    user = User(redirect_uri, email, password)
    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="python-sdk-e2e",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=user.open,
        callback_handler=user.callback,
    )

    # The first request meets a 401; the SDK runs discovery, registration, PKCE and the token exchange.
    count, modern = await use_tools(mcp_url, provider, "auto", "From the Python SDK (2026)")
    if user.result is None or storage.client is None or storage.tokens is None:
        raise Failure("the SDK did not run the authorization flow")
    _, legacy = await use_tools(mcp_url, provider, "legacy", "From the Python SDK (handshake)")
    if modern == legacy:
        raise Failure(f"both connections negotiated {modern}")

    # Forced refresh through the SDK: the access token is declared expired, so the provider refreshes
    # before its next request. Twice, so the first refresh token is superseded by a used successor.
    original = storage.tokens.refresh_token
    provider.context.token_expiry_time = time.time() - 1
    await use_tools(mcp_url, provider, "auto", "After the first refresh")
    second = storage.tokens.refresh_token
    if not second or second == original:
        raise Failure("the refresh token did not rotate")
    provider.context.token_expiry_time = time.time() - 1
    await use_tools(mcp_url, provider, "auto", "After the second refresh")
    current = storage.tokens.refresh_token
    if current == second:
        raise Failure("the second refresh did not rotate")

    metadata = provider.context.oauth_metadata
    if metadata is None:
        raise Failure("the SDK kept no authorization server metadata")
    token_endpoint = str(metadata.token_endpoint)
    resource = provider.context.get_resource_url()
    replay = await refresh_grant(token_endpoint, storage.client.client_id, original, resource)
    if replay.status_code != 400 or replay.json().get("error") != "invalid_grant":
        raise Failure(f"a superseded refresh token was answered {replay.status_code}: {replay.text}")
    after = await refresh_grant(token_endpoint, storage.client.client_id, current, resource)
    if after.status_code != 400 or after.json().get("error") != "invalid_grant":
        raise Failure(f"the grant survived a refresh token replay: {after.status_code} {after.text}")

    return (
        f"pass: registered {storage.client.client_id}, {count} tools, add_note and list_notes in "
        f"{modern} and {legacy}, refresh rotated twice, old refresh token refused and grant revoked"
    )


def failures(error: BaseException) -> list[Failure]:
    """The failures inside an exception the SDK's task groups may have wrapped."""
    if isinstance(error, Failure):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in failures(inner)]
    return []


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[-1])
    try:
        print(asyncio.run(main(*sys.argv[1:])))
    except (Failure, BaseExceptionGroup) as error:
        found = failures(error)
        if not found:
            raise
        sys.exit("FAIL: " + "; ".join(str(failure) for failure in found))
