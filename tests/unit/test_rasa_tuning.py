"""bot/ops/rasa_tuning.py: Rasa's action-reply check, built once, accepts and refuses what
Rasa's own does, with the same errors."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.ops import rasa_tuning

REPLIES = [
    {"events": [{"event": "slot", "name": "topic", "value": {"kind": "decision"}}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [1]},
    {"events": [{"event": "slot", "value": 1}]},
]


def rasa_own_error(reply):
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("reply", REPLIES)
def test_replies_are_judged_as_rasa_judges_them(reply):
    rasa_tuning.install()
    assert RemoteAction._validate_action_result is rasa_tuning._validate_action_result
    expected = rasa_own_error(reply)
    if expected is None:
        assert RemoteAction("action_x", None)._validate_action_result(reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as refused:
            RemoteAction("action_x", None)._validate_action_result(reply)
        assert refused.value.message.startswith(expected + ". Failed to validate Action server response")


def test_an_endpoint_keeps_one_connection_to_its_server_across_requests():
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    rasa_tuning.install()
    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "seen": request.headers.get("X-Action-Server-Secret")})

    async def talk():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Action-Server-Secret": "s"})
        try:
            replies = [await endpoint.request(json={"next_action": "x"}, method="post") for _ in range(3)]
        finally:
            async with endpoint.session() as session:
                await session.close()
            await runner.cleanup()
        return replies

    replies = asyncio.run(talk())
    assert [reply["seen"] for reply in replies] == ["s"] * 3
    assert len(set(peers)) == 1  # one client port: the connection was reused
