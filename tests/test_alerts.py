"""Telegram alerts end to end: the app's SNS handler, digest schedule and console function, against
the test database, the fake shop and the fake Bot API over real HTTP (devtools/fake_telegram.py,
which refuses HTML that Telegram would refuse)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.alerts import Alerts, Delivery, Digest, Incidents, Links, Texts
from chalicelib.db import Database
from chalicelib.telegram import MAX_TEXT, TelegramClient, escape
from devtools.fake_shop import FakeShop
from devtools.fake_telegram import FakeTelegram
from devtools.local_alarms import alarm_message, sns_event
from devtools.shop_data import ShopData
from tests.test_api import Api, api, product_id
from tests.test_telegram import Clock

__all__ = ["api"]  # the fixture, imported for the tests below

BOT_TOKEN = "7000000001:fake-bot-token-for-the-alert-tests"
CHATS = ("-1001234567890", "4242")
CONSOLE = "https://abc123.execute-api.eu-central-1.amazonaws.com/api"
ZONE = ZoneInfo("Europe/Moscow")


@pytest.fixture
def bot() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=BOT_TOKEN) as running:
        yield running


@pytest.fixture
def alerting(monkeypatch: pytest.MonkeyPatch, app_env: None, bot: FakeTelegram) -> Iterator[Any]:
    """The app, configured to send to two chats through the fake Bot API."""
    for name, value in {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_CHAT_IDS": ",".join(CHATS),
        "TELEGRAM_API_URL": bot.url,
        "CONSOLE_URL": CONSOLE,
    }.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client
    wiring.reset()


def alarm(name: str, state: str, old: str, changed_at: datetime) -> dict[str, Any]:
    """The Lambda event SNS sends for a CloudWatch alarm's state change, as AWS shapes it."""
    return sns_event(
        alarm_message(name, state, old, changed_at), subject=f'{state}: "{name}" in EU (Frankfurt)'
    )


def by_chat(bot: FakeTelegram) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for message in bot.sent:
        found.setdefault(str(message.chat_id), []).append(message)
    return found


def test_an_alarm_is_one_message_per_chat_edited_when_it_recovers_and_never_said_twice(
    alerting: Any, bot: FakeTelegram, shop: FakeShop, db: Database
):
    shop.fail("status", times=10, status=503)
    failed = alerting.lambda_.invoke("sync", {"resources": ["orders"]}).payload["runs"][0]
    assert failed["status"] == "failed"
    name = "strattera-sync-prod-orders-sync-failed"
    went_off = datetime(2026, 12, 7, 9, 5, 31, 123000, tzinfo=UTC)
    event = alarm(name, "ALARM", "OK", went_off)

    answer = alerting.lambda_.invoke("alarm_messages", event).payload
    assert answer["action"] == "sent" and answer["chats"] == 2
    assert sorted(by_chat(bot)) == sorted(CHATS)
    [first] = by_chat(bot)[CHATS[0]]
    text = first.text
    assert text.startswith("🔴 <b>Синхронизация заказов не удалась</b>\nС 07.12 12:05.")  # shop time
    assert f"Последний запуск № {failed['id']}: магазин ответил ошибкой." in text  # the console's words
    assert "Заказы в консоли: синхронизированы ни разу" in text
    assert f'<a href="{CONSOLE}/#/runs/{failed["id"]}">Открыть запуск № {failed["id"]}</a>' in text
    assert not first.disable_notification

    # SNS delivers at least once: the same state change again, even as a new notification, says nothing.
    again = alerting.lambda_.invoke("alarm_messages", alarm(name, "ALARM", "OK", went_off)).payload
    assert again["action"] == "repeat" and len(bot.sent) == 2

    alerting.lambda_.invoke("sync", {"resources": ["orders"]})
    recovered = went_off + timedelta(minutes=20)
    closed = alerting.lambda_.invoke("alarm_messages", alarm(name, "OK", "ALARM", recovered)).payload
    assert closed["action"] == "edited" and closed["messages"] == 2
    for chat in CHATS:
        incident, reply = by_chat(bot)[chat]
        assert incident.edits == 1
        assert incident.text.startswith("✅ <b>Восстановлено: Синхронизация заказов не удалась</b>")
        assert "С 07.12 12:05 до 12:25 (20\u00a0мин)." in incident.text
        assert (reply.reply_to, reply.disable_notification) == (incident.message_id, True)
        assert reply.text == "Восстановлено в 12:25."
    assert alerting.lambda_.invoke("alarm_messages", alarm(name, "OK", "ALARM", recovered)).payload == {
        "alarm": name, "state": "OK", "action": "repeat",
    }  # fmt: skip
    assert (
        len(bot.sent) == 4
        and db.run("SELECT count(*) FROM alert_incidents WHERE recovered_at IS NULL")[0][0] == 0
    )


def test_each_alarm_of_the_stack_says_what_is_wrong_in_russian(alerting: Any, bot: FakeTelegram):
    from tests.stack import alarms, resources_template

    moment = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    for properties in alarms(resources_template()):
        name = properties["AlarmName"]["Sub"].replace("${Stage}", "prod")
        logical = name
        alerting.lambda_.invoke("alarm_messages", alarm(name, "ALARM", "OK", moment))
        text = bot.sent[-1].text
        assert "Тревога" not in text and name not in text, (logical, text)  # one of ours, said as such
        assert text.startswith("🔴 <b>") and "\nС 07.12 09:00." in text, (logical, text)


def test_an_insufficient_data_change_or_an_ok_with_no_incident_says_nothing(alerting: Any, bot: FakeTelegram):
    moment = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    name = "strattera-sync-prod-products-stale"
    assert (
        alerting.lambda_.invoke("alarm_messages", alarm(name, "INSUFFICIENT_DATA", "OK", moment)).payload[
            "action"
        ]
        == "none"
    )
    assert (
        alerting.lambda_.invoke("alarm_messages", alarm(name, "OK", "INSUFFICIENT_DATA", moment)).payload[
            "action"
        ]
        == "none"
    )  # a new stack's alarms go OK at once: no "recovered" for what never went wrong
    event = alarm(name, "ALARM", "OK", moment)
    event["Records"][0]["Sns"]["Message"] = '{"AlarmName": "x"}'
    assert alerting.lambda_.invoke("alarm_messages", event).payload["action"] == "ignored"
    assert bot.sent == []


def test_an_unknown_alarm_is_said_by_its_name_and_description_escaped(alerting: Any, bot: FakeTelegram):
    event = alarm("someone's <b>own</b> alarm", "ALARM", "OK", datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["AlarmDescription"] = 'CPU > 90% & "rising"'
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    alerting.lambda_.invoke("alarm_messages", event)
    [sent, _] = bot.sent
    assert "Тревога someone&#x27;s &lt;b&gt;own&lt;/b&gt; alarm" in sent.text
    assert "CPU &gt; 90% &amp; &quot;rising&quot;" in sent.text


# -- the digest --------------------------------------------------------------------------------------


def digest_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith(("🔴", "🟡"))]


def test_the_digest_says_the_products_running_out_as_the_api_has_them_and_yesterday_as_its_stats(
    api: Api, alerting: Any, bot: FakeTelegram, db: Database, shop_data: ShopData
):
    hostile = shop_data.real_products()[0]
    hostile_id = product_id(db, hostile["id"])
    api.send("PUT", f"/api/products/{hostile_id}/stock", {"stock_quantity": 0})
    api.send(
        "PUT", f"/api/products/{hostile_id}/analytics", {"avg_daily_sales_30d": "5", "delivery_days": 60}
    )
    db.run(
        "UPDATE products SET name = :n WHERE id = :id", n='<script>alert("x")</script> & Co', id=hostile_id
    )
    now = datetime.now(UTC)
    answer = alerting.lambda_.invoke("telegram", {"send": "digest"}).payload
    assert answer["action"] == "sent" and answer["chats"] == 2
    text = bot.sent[0].text

    at_risk = [
        line for line in api.ok("/api/purchasing?limit=500")["items"] if line["stock_status"] != "normal"
    ]
    assert at_risk, "the fake shop's data has products running out"
    lines = digest_lines(text)
    assert len(lines) == len(at_risk)
    texts = Texts("ru", ZONE)
    for line, expected in zip(lines, at_risk, strict=True):  # most urgent first, as the list
        assert line.startswith({"critical": "🔴", "warning": "🟡"}[expected["stock_status"]])
        assert f"<b>{escape(expected['name'])}</b>" in line
        qty = f"заказать {texts.number(expected['recommended_qty'])}\u00a0шт."
        assert line.endswith(qty), (line, expected)
        if expected["days_to_zero"] is not None:
            assert f"хватит на {texts.number(Decimal(str(expected['days_to_zero'])))}\u00a0дн." in line
            assert f"поставка {texts.number(expected['delivery_days'])}\u00a0дн." in line
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in lines[0]
    counts = {s: sum(1 for p in at_risk if p["stock_status"] == s) for s in ("critical", "warning")}
    assert f"Заканчиваются: {counts['critical']} критично, {counts['warning']} под угрозой." in text

    yesterday = (now.astimezone(ZONE) - timedelta(days=1)).date().isoformat()
    stats = api.ok(f"/api/orders/stats?date_from={yesterday}&date_to={yesterday}")
    orders, revenue = (
        texts.count(stats["total_orders"], "order"),
        texts.money(Decimal(stats["total_revenue"])),
    )
    sold = f"Вчера: {orders}, выручка {revenue}."
    assert sold in text
    assert "Синхронизация в порядке: заказы — 1\u00a0мин назад, товары — 1\u00a0мин назад." in text
    assert text.endswith(f'<a href="{CONSOLE}/#/purchasing">Весь список закупки</a>')
    assert bot.sent[0].disable_notification  # a morning digest does not ring


def test_a_digest_over_4096_characters_is_cut_at_a_line_with_a_link_to_the_rest(
    api: Api, alerting: Any, bot: FakeTelegram, db: Database
):
    db.run("UPDATE product_analytics SET staff_min_stock = 100000")  # every product critical
    db.run("UPDATE products SET name = repeat('Длинное название & <товар> ', 8) || id")
    alerting.lambda_.invoke("telegram", {"send": "digest"})
    text = bot.sent[0].text
    assert len(text) <= MAX_TEXT
    assert text.endswith(f'<a href="{CONSOLE}/#/purchasing">Весь список закупки</a>')
    shown = len(digest_lines(text))
    total = int(
        db.run("SELECT count(*) FROM product_view WHERE stock_status = 'critical' AND NOT is_hidden")[0][0]
    )
    assert 0 < shown < total


def test_the_schedule_sends_the_digest_once_a_day_at_the_shops_morning(
    alerting: Any, bot: FakeTelegram, db: Database
):
    digest = wiring.alerts().digest
    early = datetime(2026, 12, 7, 5, 59, tzinfo=UTC)  # 08:59 in Moscow
    assert digest.on_schedule(early) == {"action": "not-due"}
    at_nine = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert digest.on_schedule(at_nine)["action"] in ("sent", "quiet")
    assert digest.on_schedule(at_nine + timedelta(minutes=15))["action"] == "already-sent"
    assert digest.on_schedule(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)) == {"action": "not-due"}  # 12:00
    assert len(bot.sent) == 2  # one message, to each chat
    assert bot.sent[0].text.startswith("☀️ ")
    assert db.run("SELECT day::text, chats FROM digests_sent") == [["2026-12-07", 2]]


def test_a_quiet_morning_is_one_line_or_nothing(
    alerting: Any, bot: FakeTelegram, db: Database, monkeypatch: pytest.MonkeyPatch
):
    alerting.lambda_.invoke("sync", {})
    db.run("UPDATE products SET staff_stock_quantity = 1000")  # plenty of everything
    db.run("UPDATE product_analytics SET staff_min_stock = 0")
    alerting.lambda_.invoke("telegram", {"send": "digest"})
    [line] = bot.sent[0].text.split("\n")
    assert "запасов хватает, синхронизация в порядке. Вчера:" in line
    monkeypatch.setenv("DIGEST_WHEN_QUIET", "none")
    wiring.reset()
    assert alerting.lambda_.invoke("telegram", {"send": "digest"}).payload["action"] == "quiet"
    assert len(bot.sent) == 2


# -- Telegram misbehaving, and no Telegram at all ------------------------------------------------------


def clocked_alerts(db: Database, bot: FakeTelegram, clock: Clock) -> Alerts:
    client = TelegramClient(lambda: BOT_TOKEN, base_url=bot.url, sleep=clock.sleep, clock=clock)
    delivery = Delivery(client, [CHATS[0]])
    texts = Texts("ru", ZONE)
    links = Links(CONSOLE, texts)
    return Alerts(
        delivery,
        Incidents(db, delivery, texts, links),
        Digest(db, delivery, texts, links, at=datetime(2026, 1, 1, 9).time(), when_quiet="line"),
        texts,
    )


def test_a_429_is_waited_out_and_the_message_goes(db: Database, bot: FakeTelegram):
    clock = Clock()
    bot.fail("retry_after", seconds=12)
    event = alarm("strattera-sync-prod-orders-stale", "ALARM", "OK", datetime(2026, 12, 7, 6, tzinfo=UTC))
    done = clocked_alerts(db, bot, clock).on_sns(event["Records"][0]["Sns"]["Message"])
    assert done["action"] == "sent" and done["chats"] == 1 and 12.0 in clock.sleeps
    assert bot.sent[0].text.startswith("🔴 <b>Данные заказов устарели</b>")


def test_a_bot_api_that_is_down_is_a_logged_failed_delivery_with_a_metric(
    db: Database, bot: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    clock = Clock()
    bot.fail("status", status=502, times=100)
    event = alarm("strattera-sync-prod-orders-stale", "ALARM", "OK", datetime(2026, 12, 7, 6, tzinfo=UTC))
    with caplog.at_level(logging.INFO):
        done = clocked_alerts(db, bot, clock).on_sns(event["Records"][0]["Sns"]["Message"])
    assert done["action"] == "sent" and done["chats"] == 0  # returned normally
    assert sum(clock.sleeps) <= 30  # within the call's budget
    [failed] = [r for r in caplog.records if getattr(r, "event", None) == "telegram_delivery_failed"]
    assert failed.levelno == logging.ERROR and failed.chat == CHATS[0] and "HTTP 502" in failed.error  # type: ignore[attr-defined]
    assert BOT_TOKEN not in failed.error  # type: ignore[attr-defined]
    metric = failed._aws["CloudWatchMetrics"][0]  # type: ignore[attr-defined]
    assert metric["Metrics"] == [{"Name": "TelegramDeliveryFailed", "Unit": "Count"}]
    assert failed.TelegramDeliveryFailed == 1.0  # type: ignore[attr-defined]


def test_without_configuration_nothing_is_sent_and_one_line_says_so(
    app_env: None, bot: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    from chalice.test import Client

    from app import app

    event = alarm("strattera-sync-prod-orders-stale", "ALARM", "OK", datetime(2026, 12, 7, 6, tzinfo=UTC))
    with Client(app) as client, caplog.at_level(logging.INFO):
        assert client.lambda_.invoke("alarm_messages", event).payload == {"action": "off"}
    off = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "telegram_off"]
    assert off == [
        "telegram: delivery is off (set TELEGRAM_BOT_TOKEN_SECRET_ID and TELEGRAM_CHAT_IDS to send; "
        "docs/telegram.md)"
    ]
    assert bot.requests == []


def test_the_console_function_sends_a_test_message_and_refuses_an_unknown_request(
    alerting: Any, bot: FakeTelegram
):
    from chalicelib.errors import InvalidInputError

    answer = alerting.lambda_.invoke("telegram", {}).payload
    assert answer == {"action": "sent", "chats": 2, "failed": []}
    assert bot.sent[0].text.startswith("✅ Проверка связи: бот strattera-sync пишет в этот чат.")
    assert "утренняя сводка в 09:00" in bot.sent[0].text
    with pytest.raises(InvalidInputError) as info:
        alerting.lambda_.invoke("telegram", {"send": "everything"})
    assert info.value.message == "telegram payload: send: Input should be 'test' or 'digest'"


def test_make_runs_local_alarms_say_a_failed_sync_and_its_recovery(
    alerting: Any, bot: FakeTelegram, shop: FakeShop, db: Database
):
    from devtools.local_alarms import LocalAlarms

    alarms = LocalAlarms(db, wiring.alerts().on_sns)
    alerting.lambda_.invoke("sync", {"resources": ["orders"]})
    alarms.check()  # a first success: OK from no data, nothing to say
    assert bot.sent == []
    shop.fail("status", times=10, status=503)
    alerting.lambda_.invoke("sync", {"resources": ["orders"]})
    alarms.check()
    alarms.check()  # the same failed run: no second message
    assert [m.text.split("\n")[0] for m in bot.sent] == ["🔴 <b>Синхронизация заказов не удалась</b>"] * 2
    shop.faults.clear()
    alerting.lambda_.invoke("sync", {"resources": ["orders"]})
    alarms.check()
    assert all(m.edits == 1 and m.text.startswith("✅") for m in bot.sent[:2]) and len(bot.sent) == 4


def test_a_chat_that_missed_the_incident_is_told_of_the_recovery_in_a_new_silent_message(
    alerting: Any, bot: FakeTelegram
):
    name = "strattera-sync-prod-orders-stale"
    went_off = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    bot.fail("status", status=403)  # the first chat's message: "bot was kicked", not retried
    assert (
        alerting.lambda_.invoke("alarm_messages", alarm(name, "ALARM", "OK", went_off)).payload["chats"] == 1
    )
    [got] = bot.sent
    assert str(got.chat_id) == CHATS[1]
    alerting.lambda_.invoke("alarm_messages", alarm(name, "OK", "ALARM", went_off + timedelta(minutes=30)))
    missed = by_chat(bot)[CHATS[0]]
    assert [(m.text.split("\n")[0], m.disable_notification, m.reply_to) for m in missed] == [
        ("✅ <b>Восстановлено: Данные заказов устарели</b>", True, None)
    ]
    assert got.edits == 1 and [m.reply_to for m in by_chat(bot)[CHATS[1]]] == [None, got.message_id]


def test_held_deletions_are_counted_in_their_incident(alerting: Any, bot: FakeTelegram, db: Database):
    db.run(
        "INSERT INTO held_deletions (resource, external_id) "
        "SELECT 'products', g FROM generate_series(1, :n) g",
        n=23,
    )
    moment = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    alerting.lambda_.invoke(
        "alarm_messages", alarm("strattera-sync-prod-products-deletions-held", "ALARM", "OK", moment)
    )
    assert "Из списка магазина пропало сразу 23\u00a0записи;" in bot.sent[0].text


def test_a_digest_no_chat_took_is_tried_at_the_next_look(alerting: Any, bot: FakeTelegram, db: Database):
    digest = wiring.alerts().digest
    at_nine = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    bot.fail("status", status=400, times=2)  # both chats refuse it
    assert digest.on_schedule(at_nine)["chats"] == 0 and bot.sent == []
    assert db.run("SELECT count(*) FROM digests_sent")[0][0] == 0  # the claim released
    assert digest.on_schedule(at_nine + timedelta(minutes=15))["chats"] == 2
    assert digest.on_schedule(at_nine + timedelta(minutes=30))["action"] == "already-sent"


def test_the_messages_speak_english_when_asked(
    alerting: Any, bot: FakeTelegram, shop: FakeShop, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TELEGRAM_LANGUAGE", "en")
    wiring.reset()
    shop.fail("status", times=10, status=503)
    alerting.lambda_.invoke("sync", {"resources": ["orders"]})
    moment = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    alerting.lambda_.invoke(
        "alarm_messages", alarm("strattera-sync-prod-orders-sync-failed", "ALARM", "OK", moment)
    )
    text = bot.sent[0].text
    assert text.startswith("🔴 <b>The orders sync failed</b>\nSince 07.12 09:00.")
    assert ": the shop answered with an error." in text and "Orders in the console: synced never" in text


def test_both_languages_have_every_text_and_the_consoles_words_for_every_run_error():
    from chalicelib.alerts.texts import EN, RU, console_words
    from chalicelib.sync.service import RUN_ERROR_CODES

    assert set(RU) == set(EN)
    codes = {code for _, code in RUN_ERROR_CODES} | {"internal_error", "interrupted"}
    for language in ("ru", "en"):
        texts = Texts(language, ZONE)
        for code in codes:
            assert texts.run_error(code, "English fallback") == console_words(language)[f"runError.{code}"]
    assert "'" in console_words("en")["runError.upstream_format"]  # an escaped quote read as one
