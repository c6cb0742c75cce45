"""Sending on WhatsApp: Graph API errors, the 24-hour window and its template, statuses, rate."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import DeliveryResult, Notification
from bot.rasa import Button
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.whatsapp_api import ACCESS_TOKEN, MESSAGES, FakeGraphAPI
from tests.gateway.whatsapp.conftest import (
    APP_SECRET,
    Clock,
    RunningWhatsApp,
    Services,
    new_citizen,
    running,
    settings_for,
)

UPDATE = Notification(
    chat_id="",
    text="Laporan TNG-2026-000123 sedang ditindaklanjuti oleh Dinas PUPR.",
    template_params=("TNG-2026-000123", "Sedang ditindaklanjuti", "Dinas PUPR"),
    buttons=(Button("Cek status", '/check_status{"tracking_id": "TNG-2026-000123"}'),),
)


def update_for(citizen: str, **changes: Any) -> Notification:
    return dataclasses.replace(UPDATE, chat_id=citizen, **changes)


def deliver(whatsapp: RunningWhatsApp, notification: Notification) -> DeliveryResult:
    return whatsapp.run(whatsapp.channel.deliver(notification))


def citizen_writes(
    whatsapp: RunningWhatsApp, payloads: wp.WebhookFactory, graph: FakeGraphAPI
) -> str:
    """A citizen who just wrote (and got the echo), so their window is open."""
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"])
    whatsapp.drain()
    return citizen


def templates_to(graph: FakeGraphAPI, citizen: str) -> list[dict[str, object]]:
    return [body["template"] for body in graph.sent(citizen, "template")]


# --- the 24-hour window ------------------------------------------------------------------


def test_inside_the_window_an_update_is_free_text_with_its_buttons(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    result = deliver(whatsapp, update_for(citizen))
    assert result.accepted and result.message_id
    [sent] = graph.sent(citizen, "interactive")
    assert sent["interactive"]["body"]["text"] == UPDATE.text
    [button] = sent["interactive"]["action"]["buttons"]
    assert button["reply"]["title"] == "Cek status"
    assert result.message_id == graph.sent_ids(citizen)[-1]
    assert templates_to(graph, citizen) == []
    record = whatsapp.run(whatsapp.channel.store.outgoing(result.message_id))
    assert record is not None and record.kind == "notification"
    assert record.template_params == UPDATE.template_params


def test_after_24_hours_the_update_is_the_approved_template(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory, clock: Clock
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    clock.offset = dt.timedelta(hours=24, seconds=1)
    result = deliver(whatsapp, update_for(citizen))
    assert result.accepted
    [template] = templates_to(graph, citizen)
    assert template == {
        "name": "status_laporan",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": p} for p in UPDATE.template_params],
            }
        ],
    }
    assert graph.sent(citizen, "interactive") == []
    assert result.message_id == graph.sent_ids(citizen)[-1]


def test_close_to_the_end_of_the_window_the_template_is_used(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory, clock: Clock
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    clock.offset = dt.timedelta(hours=23, minutes=58)  # inside the 5-minute margin
    assert deliver(whatsapp, update_for(citizen)).accepted
    assert len(templates_to(graph, citizen)) == 1
    clock.offset = dt.timedelta(hours=23, minutes=50)
    assert deliver(whatsapp, update_for(citizen)).accepted
    assert len(graph.sent(citizen, "interactive")) == 1


def test_a_citizen_who_never_wrote_gets_the_template(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI
) -> None:
    citizen = new_citizen()
    result = deliver(whatsapp, update_for(citizen))
    assert result.accepted
    assert [t["name"] for t in templates_to(graph, citizen)] == ["status_laporan"]


def test_the_template_name_and_language_are_settings_and_parameters_are_one_line(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path
) -> None:
    graph.add_template("update_status", "en", parameters=2)
    settings = settings_for(graph, tmp_path, template_name="update_status", template_language="en")
    citizen = new_citizen()
    with running(settings, Services(rasa.base_url)) as whatsapp:
        notification = update_for(
            citizen, template_params=("TNG-2026-000007", "Selesai\n\tdicek   ok")
        )
        result = deliver(whatsapp, notification)
    assert result.accepted, result.failure
    [template] = templates_to(graph, citizen)
    assert template["name"] == "update_status"
    assert template["language"] == {"code": "en"}
    params = template["components"][0]["parameters"]  # type: ignore[index]
    assert [p["text"] for p in params] == ["TNG-2026-000007", "Selesai dicek ok"]


def test_the_last_message_time_survives_a_restart(
    graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory, tmp_path: Path
) -> None:
    settings = settings_for(graph, tmp_path)
    with running(settings, Services(rasa.base_url)) as whatsapp:
        citizen = citizen_writes(whatsapp, payloads, graph)
    with running(settings, Services(rasa.base_url)) as restarted:
        assert deliver(restarted, update_for(citizen)).accepted
    assert len(graph.sent(citizen, "interactive")) == 1
    assert templates_to(graph, citizen) == []


def test_131047_at_once_falls_back_to_the_template(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    graph.fail_next(131047, to=citizen)
    result = deliver(whatsapp, update_for(citizen))
    assert result.accepted
    statuses = [(r.body or {}).get("type") for r in graph.requests(MESSAGES, to=citizen)]
    assert statuses[-2:] == ["interactive", "template"]
    assert graph.requests(MESSAGES, to=citizen)[-2].error_code == 131047
    assert result.message_id == graph.sent_ids(citizen)[-1]


def test_131047_in_a_status_webhook_sends_the_template_once(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    result = deliver(whatsapp, update_for(citizen))
    assert result.accepted and result.message_id
    failed = payloads.delivery(statuses=[payloads.failed(result.message_id, citizen, 131047)])
    assert whatsapp.post(failed).status_code == 200
    graph.wait_for(lambda g: len(templates_to(g, citizen)) == 1)
    assert whatsapp.post(failed).status_code == 200  # redelivered
    whatsapp.drain()
    [template] = templates_to(graph, citizen)
    assert template["name"] == "status_laporan"
    record = whatsapp.run(whatsapp.channel.store.outgoing(result.message_id))
    assert record is not None and record.status == "failed" and record.failure_code == 131047


def test_a_reply_refused_as_outside_the_window_gets_no_template(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    graph.fail_next(131047, to=citizen)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(g.requests(MESSAGES, to=citizen)) == 1)
    whatsapp.drain()
    assert templates_to(graph, citizen) == []


# --- error codes -------------------------------------------------------------------------


def test_an_invalid_token_raises_the_alarm_once_and_is_not_retried(
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    payloads: wp.WebhookFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    citizen = new_citizen()
    graph.fail_next(190, times=2)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(g.requests(MESSAGES, to=citizen)) == 1)
    whatsapp.drain()
    result = deliver(whatsapp, update_for(new_citizen()))
    assert not result.accepted and not result.permanent
    assert result.failure is not None and "190" in result.failure
    assert len(graph.requests(MESSAGES, to=citizen)) == 1, "a rejected token was retried"
    assert whatsapp.channel.token_rejected
    alarms = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(alarms) == 1
    assert "WHATSAPP_ACCESS_TOKEN" in alarms[0].getMessage()
    assert ACCESS_TOKEN not in caplog.text, "the token itself reached the log"

    assert deliver(whatsapp, update_for(new_citizen())).accepted
    assert not whatsapp.channel.token_rejected


def test_130429_backs_off_and_retries_until_delivered(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    graph.fail_next(130429, to=citizen, times=3)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"], timeout=15)
    attempts = graph.requests(MESSAGES, to=citizen)
    assert [a.error_code for a in attempts] == [130429, 130429, 130429, None]
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.19, gaps


def test_130429_that_never_ends_is_a_temporary_failure(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI
) -> None:
    citizen = new_citizen()
    graph.fail_next(130429, to=citizen, times=20)
    result = deliver(whatsapp, update_for(citizen))
    assert not result.accepted and not result.permanent
    assert result.failure == "rate limited (130429)"
    assert len(graph.requests(MESSAGES, to=citizen)) == 5  # WHATSAPP_MAX_RETRIES=4, plus one


def test_131026_marks_the_update_failed_for_good_and_the_citizen_unreachable(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI
) -> None:
    citizen = new_citizen()
    graph.fail_next(131026, to=citizen)
    result = deliver(whatsapp, update_for(citizen))
    assert result == DeliveryResult(
        accepted=False, failure="undeliverable (131026)", permanent=True
    )
    assert len(graph.requests(MESSAGES, to=citizen)) == 1
    record = whatsapp.run(whatsapp.reachability.unreachable(f"whatsapp:{citizen}"))
    assert record is not None and "131026" in record.reason


def test_131026_on_a_reply_stops_the_turn_and_writing_again_clears_it(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.script = lambda sender, message, metadata: [
        {"recipient_id": sender, "text": "satu"},
        {"recipient_id": sender, "text": "dua"},
    ]
    citizen = new_citizen()
    graph.fail_next(131026, to=citizen)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(g.requests(MESSAGES, to=citizen)) == 1)
    whatsapp.drain()
    assert len(graph.requests(MESSAGES, to=citizen)) == 1, "kept sending after 131026"
    assert whatsapp.run(whatsapp.reachability.unreachable(f"whatsapp:{citizen}")) is not None
    whatsapp.post(payloads.delivery([payloads.text(citizen, "saya kembali")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["satu", "dua"])
    assert whatsapp.run(whatsapp.reachability.unreachable(f"whatsapp:{citizen}")) is None


@pytest.mark.parametrize("code", [131009, 100, 132001])
def test_other_errors_are_logged_with_their_code_and_not_retried(
    code: int,
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    citizen = new_citizen()
    graph.fail_next(code, to=citizen)
    result = deliver(whatsapp, update_for(citizen))
    assert not result.accepted and not result.permanent
    assert result.failure == f"Graph API error {code}"
    assert len(graph.requests(MESSAGES, to=citizen)) == 1
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(str(code) in message for message in logged), logged
    assert citizen not in caplog.text, "a phone number reached the log unmasked"


def test_a_temporary_error_is_retried(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    graph.fail_next(131000, to=citizen, times=2)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"], timeout=10)
    assert [r.status for r in graph.requests(MESSAGES, to=citizen)] == [500, 500, 200]


# --- delivery statuses -------------------------------------------------------------------


def test_statuses_are_recorded_against_their_message_and_never_reach_rasa(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    [wamid] = graph.sent_ids(citizen)
    now = time.time()
    statuses = [
        payloads.status(wamid, "sent", citizen, timestamp=now),
        payloads.status(wamid, "read", citizen, timestamp=now + 2),
        payloads.status(wamid, "delivered", citizen, timestamp=now + 1),
    ]
    assert whatsapp.post(payloads.delivery(statuses=statuses)).status_code == 200
    whatsapp.drain()
    record = whatsapp.run(whatsapp.channel.store.outgoing(wamid))
    assert record is not None
    assert (record.wa_id, record.kind, record.status) == (citizen, "reply", "read")
    history = whatsapp.run(whatsapp.channel.store.history(wamid))
    assert [h.status for h in history] == ["sent", "read", "delivered"]
    assert [r.message for r in rasa.requests()] == ["halo"], "a status reached Rasa"
    assert [s.status for s in whatsapp.statuses] == ["sent", "read", "delivered"]


def test_a_failed_status_records_its_reason_and_marks_the_citizen_unreachable(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    [wamid] = graph.sent_ids(citizen)
    delivery = payloads.delivery(
        statuses=[payloads.status(wamid, "sent", citizen), payloads.failed(wamid, citizen, 131026)]
    )
    whatsapp.post(delivery)
    whatsapp.drain()
    record = whatsapp.run(whatsapp.channel.store.outgoing(wamid))
    assert record is not None and record.status == "failed"
    assert record.failure_code == 131026
    assert record.failure_reason == "131026 Message undeliverable: Message Undeliverable."
    unreachable = whatsapp.run(whatsapp.reachability.unreachable(f"whatsapp:{citizen}"))
    assert unreachable is not None and "131026" in unreachable.reason
    assert [s.error_codes for s in whatsapp.statuses] == [(), (131026,)]


def test_a_repeated_status_is_recorded_once(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    [wamid] = graph.sent_ids(citizen)
    delivery = payloads.delivery(statuses=[payloads.status(wamid, "delivered", citizen)])
    whatsapp.post(delivery)
    whatsapp.post(delivery)
    whatsapp.drain()
    assert len(whatsapp.run(whatsapp.channel.store.history(wamid))) == 1
    assert len(whatsapp.statuses) == 1


def test_a_status_of_an_unknown_message_is_kept(
    whatsapp: RunningWhatsApp, payloads: wp.WebhookFactory
) -> None:
    citizen, wamid = new_citizen(), wp.new_wamid()
    whatsapp.post(payloads.delivery(statuses=[payloads.status(wamid, "delivered", citizen)]))
    whatsapp.drain()
    record = whatsapp.run(whatsapp.channel.store.outgoing(wamid))
    assert record is not None and (record.kind, record.status) == ("unknown", "delivered")


def test_a_status_signed_with_another_secret_is_refused(
    whatsapp: RunningWhatsApp, payloads: wp.WebhookFactory
) -> None:
    wamid = wp.new_wamid()
    body = wp.encode(payloads.delivery(statuses=[payloads.status(wamid, "read", new_citizen())]))
    response = whatsapp.post_raw(body, signature=wp.sign(body, APP_SECRET[::-1]))
    assert response.status_code == 403
    whatsapp.drain()
    assert whatsapp.run(whatsapp.channel.store.outgoing(wamid)) is None


def test_status_updates_are_paced_within_their_share_of_the_rate(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path
) -> None:
    settings = settings_for(graph, tmp_path, messages_per_second=10.0, notifier_share=0.5)

    async def pace_eleven(whatsapp: RunningWhatsApp) -> float:
        started = asyncio.get_running_loop().time()
        for _ in range(11):
            await whatsapp.channel.pace()
        return asyncio.get_running_loop().time() - started

    with running(settings, Services(rasa.base_url)) as whatsapp:
        assert settings.notification_rate == 5.0
        assert whatsapp.run(pace_eleven(whatsapp)) >= 1.9


# --- rate --------------------------------------------------------------------------------


def test_sending_keeps_to_the_configured_messages_per_second(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path
) -> None:
    settings = settings_for(graph, tmp_path, messages_per_second=10.0)
    citizens = [new_citizen() for _ in range(25)]

    async def send_all(whatsapp: RunningWhatsApp) -> list[DeliveryResult]:
        return list(
            await asyncio.gather(*(whatsapp.channel.deliver(update_for(c)) for c in citizens))
        )

    with running(settings, Services(rasa.base_url)) as whatsapp:
        results = whatsapp.run(send_all(whatsapp))
    assert all(r.accepted for r in results)
    times = sorted(r.at for r in graph.requests(MESSAGES))
    assert len(times) == 25
    assert times[-1] - times[0] >= 2.2, "faster than 10 messages/s"
    for start in times:
        assert sum(1 for t in times if start <= t < start + 1.0) <= 11
