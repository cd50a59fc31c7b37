"""Property-based fuzzing of what strangers can send: the widget API, seed files, tokens."""
from __future__ import annotations

import asyncio
import base64
import json
import re
import time

import jwt
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app.identity import InvalidToken, issue_customer_token, verify_customer_token
from bot.core.text import clean_text
from bot.db import models
from bot.db.session import unit_of_work
from bot.ops.seed import SeedError, parse_seed, write_customers
from bot.web.limits import METADATA, RateLimiter
from bot.web.widget.app import MAX_MESSAGE, make_app
from tests.conftest import DEMO_NOW, DEMO_SEED, migrated_engine
from tests.support.chat_records import FakeChats

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # short forged keys
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
VALID_ID = re.compile(r"[A-Za-z0-9-]{16,64}")
BODY_LIMIT = 16 * 1024  # make_app's client_max_size

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
conversation_ids = st.one_of(
    st.from_regex(VALID_ID, fullmatch=True),
    st.from_regex(VALID_ID, fullmatch=True).map(lambda s: s + "\n"),
    st.integers(), text, json_values)
message_texts = st.one_of(text, st.text(min_size=MAX_MESSAGE - 2, max_size=MAX_MESSAGE + 2), json_values)


# --- the widget API -------------------------------------------------------------------

class FakeRasa:
    def __init__(self):
        self.sent = []

    def send(self, conversation_id, message, metadata, client_address=None):
        self.sent.append((conversation_id, message, metadata))
        return [{"text": f"echo {message}", "buttons": [{"title": "t", "payload": "/p"}]}]

    def transcript(self, conversation_id):
        return [{"who": "customer", "text": m} for c, m, _ in self.sent if c == conversation_id]


@pytest.fixture(scope="module")
def widget():
    """One server for every example: starting one each time would dominate the run."""
    loop = asyncio.new_event_loop()
    rasa = FakeRasa()
    unlimited = RateLimiter(per_minute=10**9, burst=10**9)
    client = TestClient(TestServer(make_app(conversations=rasa, chats=FakeChats(), limiter=unlimited,
                                            history_limiter=unlimited)),
                        loop=loop)
    loop.run_until_complete(client.start_server())

    def request(method, path, **kwargs):
        async def go():
            response = await client.request(method, path, **kwargs)
            return response.status, response.content_type, await response.read()
        return loop.run_until_complete(go())
    yield rasa, request
    loop.run_until_complete(client.close())
    loop.close()


def expected_post_status(body, raw: bytes) -> int:
    if len(raw) > BODY_LIMIT:
        return 413
    if not isinstance(body, dict) or not VALID_ID.fullmatch(str(body.get("conversation_id", ""))):
        return 400
    message = body.get("text")
    if not isinstance(message, str) or not clean_text(message).strip():
        return 400
    if len(clean_text(message)) > MAX_MESSAGE:
        return 413
    token = body.get("customer_token")
    if token in (None, ""):
        return 200
    # A JWT's characters only, and not too long: ":" is refused as clearly as a 5,000-character token.
    token_shape, _ = METADATA["customer_token"]
    return 200 if isinstance(token, str) and token_shape.fullmatch(token) else 400


@FUZZ
@given(body=st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "conversation_id": conversation_ids, "text": message_texts, "customer_token": json_values})))
@example(body={"conversation_id": "0000000000000000", "customer_token": ":", "text": "0"})  # found by a run
def test_any_json_posted_gets_a_clear_answer_and_only_valid_messages_are_relayed(widget, body):
    rasa, request = widget
    raw = json.dumps(body).encode()
    before = len(rasa.sent)
    status, content_type, payload = request("POST", "/api/messages", data=raw,
                                            headers={"Content-Type": "application/json"})
    assert status == expected_post_status(body, raw), (body, payload)
    if status == 200:
        [(conversation, message, metadata)] = rasa.sent[before:]
        assert VALID_ID.fullmatch(conversation) and message == clean_text(body["text"]).strip()
        token = body.get("customer_token")
        assert metadata == ({"customer_token": token} if isinstance(token, str) and token else {})
        assert json.loads(payload)["replies"][0]["text"] == f"echo {message}"
    else:
        assert rasa.sent[before:] == []
        if status != 413 or len(raw) <= BODY_LIMIT:  # aiohttp's own 413 is plain text
            assert content_type == "application/json" and json.loads(payload)["error"]


@FUZZ
@given(raw=st.binary(max_size=300))
def test_bytes_that_are_not_json_are_refused(widget, raw):
    rasa, request = widget
    before = len(rasa.sent)
    status, _, _ = request("POST", "/api/messages", data=raw, headers={"Content-Type": "application/json"})
    try:
        body = json.loads(raw)
    except ValueError:
        assert status == 400
    else:
        assert status == expected_post_status(body, raw)
    assert len(rasa.sent) == before + (status == 200)


@FUZZ
@given(conversation=st.one_of(text, st.from_regex(VALID_ID, fullmatch=True),
                              st.from_regex(VALID_ID, fullmatch=True).map(lambda s: s + "\n")))
def test_history_answers_only_for_a_well_formed_id_and_only_that_conversation(widget, conversation):
    rasa, request = widget
    status, _, payload = request("GET", "/api/history", params={"conversation_id": conversation})
    if not VALID_ID.fullmatch(conversation):
        assert status == 400
        return
    assert status == 200
    own = [m for c, m, _ in rasa.sent if c == conversation]
    assert [m["text"] for m in json.loads(payload)["messages"]] == own


# --- seed files -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_engine(tmp_path_factory):
    yield from migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/seed.db")


def snapshot(engine) -> dict:
    with unit_of_work(engine) as session:
        return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (models.Customer, models.Subscription, models.Charge, models.Refund, models.Incident)}


def load(engine, document: str) -> None:
    """What `bot seed` does before Stripe: validate the whole file, then write in one transaction."""
    customers = parse_seed(document, now=DEMO_NOW)
    with unit_of_work(engine) as session:
        write_customers(session, customers)


def load_or_seed_error(engine, document: str) -> None:
    before = snapshot(engine)
    try:
        load(engine, document)
    except SeedError as exc:
        assert str(exc)
        assert snapshot(engine) == before
    # any other exception fails the test: that is the property


VALID_SEED = yaml.load(DEMO_SEED.read_text(), Loader=yaml.BaseLoader)  # every scalar as text
nasty_scalars = st.one_of(
    json_values, st.integers(min_value=2**62, max_value=2**70), st.integers(max_value=0),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "usd", "USD",
                     "R9", "R1", "month", "active", "a@b.co", "x" * 400, "", " ", "ch_1", "true", "~"]))


def typed(value):
    """The seed's scalars as YAML would type them (BaseLoader left them all as text)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return yaml.safe_load(value) if value in ("true", "false", "null") or value.isdigit() else value


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, prefix + (index,))


@st.composite
def mutated_seeds(draw):
    seed = typed(VALID_SEED)
    seed["customers"] = seed["customers"][:3]
    for _ in range(draw(st.integers(1, 3))):
        candidates = list(paths(seed))[1:]
        if not candidates:  # everything deleted already
            break
        path = draw(st.sampled_from(candidates))
        parent = seed
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(parent[path[-1]])
        else:
            parent[path[-1]] = draw(nasty_scalars)
    return yaml.safe_dump(seed, allow_unicode=True)


@FUZZ
@given(document=st.one_of(text, st.text(max_size=200), json_values.map(yaml.safe_dump),
                          st.sampled_from(["[" * 3000, "{a: !!timestamp 2026-13-45}", "!!int 0x", "&a [*a, *a]",
                                           "customers: [!!float nope]", "customers: !!binary AAAA"])))
def test_arbitrary_documents_raise_seed_error_and_write_nothing(seed_engine, document):
    load_or_seed_error(seed_engine, document)


@FUZZ
@given(document=mutated_seeds())
def test_mutated_valid_seeds_load_or_raise_seed_error_leaving_the_database_unchanged(seed_engine, document):
    load_or_seed_error(seed_engine, document)


def test_what_the_fuzzer_found_in_seeds_is_a_seed_error(seed_engine):
    one = ("customers: [{email: %s, created: '2026-01-01T00:00:00Z', charges: [{id: %s, amount: %d, currency: usd, "
           "created: '2026-01-01T00:00:00Z'}]}]")
    load(seed_engine, one % ("first@example.com", "ch_shared", 100))
    before = snapshot(seed_engine)
    far_future = "relative_to: 0001-01-01T00:00:00Z\n" + one.replace("2026", "9999") % ("x@example.com", "ch_x", 1)
    for document, problem in [(one % ("second@example.com", "ch_shared", 100), "already belongs to another customer"),
                              (one % ("third@example.com", "ch_huge", 2**63), "too large"),
                              (far_future, "out of range"),
                              ("{a: !!timestamp 2026-13-45}", "malformed tagged value"),
                              ("[" * 3000, "nested too deeply")]:
        with pytest.raises(SeedError, match=problem):
            load(seed_engine, document)
    assert snapshot(seed_engine) == before


def test_the_mutation_base_is_itself_a_valid_seed():
    assert len(parse_seed(yaml.safe_dump(typed(VALID_SEED)), now=DEMO_NOW)) >= 3


# --- customer tokens ------------------------------------------------------------------

SECRET = "fuzz-customer-token-secret-of-32-bytes!"
emails = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True)


def segments(token: str) -> list[bytes]:
    """What a token says once decoded as PyJWT decodes it (non-alphabet characters dropped)."""
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


@FUZZ
@given(email=emails, data=st.data())
def test_a_tampered_token_never_identifies_anyone_else(email, data):
    token = issue_customer_token(email, secret=SECRET)
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(chars) - 1))
        chars[index] = data.draw(
            st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=!+/ é"))
    tampered = "".join(chars)[:data.draw(st.integers(0, len(chars)))] if data.draw(st.booleans()) else "".join(chars)
    try:
        who = verify_customer_token(tampered, secret=SECRET)
    except InvalidToken:
        return
    # Only a spelling of the very same signed bytes may pass (base64 ignores stray characters).
    assert who == email and segments(tampered) == segments(token)


@FUZZ
@given(claims=st.dictionaries(text, json_values, max_size=4), email=emails,
       key=st.text(min_size=1, max_size=40), alg=st.sampled_from(["HS256", "HS384", "HS512"]),
       expired=st.integers(1, 10**6))
def test_forged_expired_and_wrong_alg_tokens_are_refused(claims, email, key, alg, expired):
    now = int(time.time())
    live = {**claims, "email": email, "exp": now + 600}
    if key != SECRET:
        with pytest.raises(InvalidToken):
            verify_customer_token(jwt.encode(live, key, algorithm=alg), secret=SECRET)
    with pytest.raises(InvalidToken):
        verify_customer_token(jwt.encode({**live, "exp": now - expired}, SECRET, algorithm="HS256"), secret=SECRET)
    if alg != "HS256":
        with pytest.raises(InvalidToken):
            verify_customer_token(jwt.encode(live, SECRET, algorithm=alg), secret=SECRET)
    with pytest.raises(InvalidToken):
        verify_customer_token(jwt.encode(live, None, algorithm="none"), secret=SECRET)


def test_alg_none_is_refused_even_when_made_from_a_valid_token():
    token = issue_customer_token("ana@example.com", secret=SECRET)
    header, payload, _signature = token.split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    for forged in (f"{none}.{payload}.", f"{none}.{payload}.{_signature}", f"{header}.{payload}."):
        with pytest.raises(InvalidToken):
            verify_customer_token(forged, secret=SECRET)
    assert verify_customer_token(token, secret=SECRET) == "ana@example.com"  # the control


@FUZZ
@given(token=st.one_of(text, st.text(max_size=300), st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
                       st.lists(st.text("ABCxyz019-_", max_size=30), min_size=3, max_size=3).map(".".join)))
def test_any_string_is_refused_with_invalid_token_only(token):
    with pytest.raises(InvalidToken):
        verify_customer_token(token, secret=SECRET)
