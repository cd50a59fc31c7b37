"""Live handoff: a person joins the customer's conversation, the assistant pauses, and
hands back when done.

The live state is kept here, in the database (`ReviewCase.live_agent`), not only in
Rasa: a Rasa session that expires clears the pause, and the Rasa process's session start
(bot/ops/rasa_session.py) asks `is_live` to pause again (docs/pitfalls.md).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import cases
from bot.app.dependencies import current
from bot.app.case_decisions import CaseError, claim, get_case, record_event, release_live_chat, written
from bot.app.results import CaseSummary
from bot.core import messages
from bot.core.policy import Policy
from bot.core.statuses import DECIDABLE, CaseKind, CaseStatus
from bot.core.support_hours import next_opening
from bot.core.text import clean_text
from bot.db import models, repository
from bot.db.session import reading, unit_of_work

MESSAGE_LIMIT = 2000
# The parse data's mark on a request for a person whose case the channel has just opened for it
# (channels/email.py opens it with the customer's own words): the dialogue joins that case, and
# the customer hears it was opened, not that it was "already" with the team.
OPENED_FOR_IT_KEY = "case_opened_for_it"


def request_person(email: str | None, *, now: datetime, channel: str | None,
                   conversation_id: str, note: str = "", team_note: str = "", engine: Engine | None = None,
                   policy: Policy | None = None) -> CaseSummary:
    """A customer asked for a person, or the assistant could not go on without one: one
    handoff case per conversation. `note` is what the customer wrote; `team_note` what the
    assistant tells the team (an internal note in the case's history)."""
    policy = policy or current().policy()
    with unit_of_work(engine or current().engine()) as session:
        customer = None
        if email:
            try:
                customer = repository.find_customer(session, email)
            except repository.UnknownCustomer:
                customer = None
        case, created = cases.open_case(
            session, kind=CaseKind.HANDOFF, reason=cases.HANDOFF_REASON, now=now, policy=policy,
            customer=customer, channel=channel, conversation_id=conversation_id, note=note)
        if team_note:
            record_event(session, case, now, "assistant", "note", {"note": team_note, "internal": True})
        opening = next_opening(now, policy)
        # live: someone can join now; after_hours: say when the team is back; else queued.
        mode = ("live" if people_answer_now(session, now, policy)
                else "after_hours" if opening > now else "queued")
        if mode == "live" and case.live_agent is None and case.waiting_live_since is None:
            case.waiting_live_since = now  # the console shows who is waiting, and for how long
        result = cases.case_summary(case, created, handoff=mode, next_opening=opening.isoformat())
    cases.announce_if_new(result)
    return result


def set_available(username: str, *, minutes: int, now: datetime, engine: Engine | None = None) -> None:
    """Mark an agent available for live chats for `minutes` (0: not available)."""
    with unit_of_work(engine) as session:
        agent = session.execute(select(models.Agent).where(models.Agent.username == username)).scalar_one()
        agent.available_until = now + timedelta(minutes=minutes) if minutes > 0 else None


def is_available(username: str, *, now: datetime, engine: Engine | None = None) -> bool:
    with unit_of_work(engine) as session:
        until = session.execute(select(models.Agent.available_until).where(
            models.Agent.username == username)).scalar_one_or_none()
        return until is not None and until > now


def people_answer_now(session, now: datetime, policy: Policy) -> bool:
    """Inside support hours and at least one agent marked available."""
    if next_opening(now, policy) != now:
        return False
    return session.execute(select(models.Agent.id).where(
        models.Agent.available_until > now).limit(1)).first() is not None


def join(case_id: int, agent: str, *, now: datetime, conversations, engine: Engine | None = None) -> None:
    """The agent takes over the conversation: claimed, live, the assistant paused."""
    claim(case_id, agent, now=now, engine=engine)
    with unit_of_work(engine) as session:
        case = get_case(session, case_id)
        if not case.conversation_id:
            raise CaseError("this case has no conversation to join")
        if case.live_agent and case.live_agent != agent:
            raise CaseError(f"{case.live_agent} is already chatting with this customer")
        case.live_agent, case.updated_at, case.waiting_live_since = agent, now, None
        record_event(session, case, now, agent, "joined", {})
        conversation, channel = case.conversation_id, case.channel
        name = _display_name(session, agent)
    conversations.pause(conversation)
    conversations.tell(channel=channel, conversation_id=conversation, sender=f"agent:{agent}",
                       text=messages.agent_joined(name), notice="joined")


def send(case_id: int, agent: str, text: str, *, now: datetime, conversations,
         engine: Engine | None = None) -> None:
    text = written(text, "message", MESSAGE_LIMIT)
    with unit_of_work(engine) as session:
        case = _live_case(session, case_id, agent)
        case.agent_typing_at, case.updated_at = None, now  # answered: the queue's "new reply" clears
        record_event(session, case, now, agent, "message", {"text": text})
        conversation, channel = case.conversation_id, case.channel
    conversations.tell(channel=channel, conversation_id=conversation, sender=f"agent:{agent}", text=text)


def hand_back(case_id: int, agent: str, *, note: str, now: datetime, conversations,
              engine: Engine | None = None) -> None:
    """The agent is done: the case is closed with a note and the assistant answers again."""
    note = clean_text(note)
    with unit_of_work(engine) as session:
        case = _live_case(session, case_id, agent)
        if case.status in DECIDABLE:
            case.status, case.decided_by = CaseStatus.CLOSED, agent
            case.decision_note = note.strip() or messages.HANDLED_LIVE
        release_live_chat(session, case, agent, now)
        conversation, channel = case.conversation_id, case.channel
    conversations.resume(conversation)
    conversations.tell(channel=channel, conversation_id=conversation, sender="assistant",
                       text=messages.BACK_WITH_ASSISTANT, notice="left")


def typing(case_id: int, agent: str, *, now: datetime, engine: Engine | None = None) -> None:
    """The live agent is writing: the customer's widget says so for a few seconds."""
    with unit_of_work(engine) as session:
        _live_case(session, case_id, agent).agent_typing_at = now


def is_live(conversation_id: str, *, engine: Engine | None = None) -> bool:
    with reading(engine) as session:  # every new session asks: never behind the writers
        return session.execute(select(models.ReviewCase.id).where(
            models.ReviewCase.conversation_id == conversation_id,
            models.ReviewCase.live_agent.is_not(None)).limit(1)).first() is not None


def _live_case(session, case_id: int, agent: str) -> models.ReviewCase:
    case = get_case(session, case_id)
    if case.live_agent != agent:
        raise CaseError("join the conversation first" if case.live_agent is None
                        else f"{case.live_agent} is chatting with this customer")
    return case


def _display_name(session, username: str) -> str:
    name = session.execute(select(models.Agent.display_name).where(
        models.Agent.username == username)).scalar_one_or_none()
    return name or username
