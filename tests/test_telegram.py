"""The Telegram client against a fake Bot API over real HTTP on 127.0.0.1 (devtools/fake_telegram.py):
messages sent and edited, a 429's retry_after waited out, a Bot API that is down reported as a failed
delivery within the budget, the per-chat and per-group rates, escaping and the 4,096-character limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.errors import TelegramError
from chalicelib.telegram import MAX_TEXT, TelegramClient, escape, fit
from devtools.fake_telegram import FakeTelegram

TOKEN = "123456:fake-bot-token-for-tests"


class Clock:
    """Time that moves only when the client sleeps: the waits are recorded, not slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def bot() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN) as running:
        yield running


def client(bot: FakeTelegram, clock: Clock, **options: float) -> TelegramClient:
    return TelegramClient(lambda: TOKEN, base_url=bot.url, sleep=clock.sleep, clock=clock, **options)


def test_a_message_is_sent_then_edited_and_a_silent_reply_follows(bot: FakeTelegram):
    clock = Clock()
    telegram = client(bot, clock)
    first = telegram.send(-100123, "<b>Синхронизация заказов не работает</b>")
    telegram.edit(-100123, first, "<b>Синхронизация заказов снова работает</b>")
    telegram.edit(-100123, first, "<b>Синхронизация заказов снова работает</b>")  # unchanged: no error
    reply = telegram.send(-100123, "восстановлено", silent=True, reply_to=first)
    message, answer = bot.sent
    assert (message.message_id, message.text, message.edits, message.parse_mode) == (
        first, "<b>Синхронизация заказов снова работает</b>", 1, "HTML"
    )  # fmt: skip
    assert (answer.message_id, answer.reply_to, answer.disable_notification) == (reply, first, True)
    assert clock.sleeps == [1.0, 1.0, 1.0]  # one message a second to the chat: edits count too


def test_a_429s_retry_after_is_waited_out(bot: FakeTelegram):
    clock = Clock()
    bot.fail("retry_after", seconds=7)
    client(bot, clock).send(42, "привет")
    assert clock.sleeps == [7.0] and len(bot.sent) == 1
    assert len(bot.requests) == 2  # refused once, then delivered


def test_a_bot_api_that_is_down_is_a_failed_delivery_within_the_budget(bot: FakeTelegram):
    clock = Clock()
    bot.fail("status", status=502, times=100)
    with pytest.raises(TelegramError) as raised:
        client(bot, clock, budget_s=20).send(42, "привет")
    assert "not delivered within 20 s" in raised.value.message
    assert TOKEN not in raised.value.message and "fake-bot-token" not in str(raised.value)
    assert sum(clock.sleeps) <= 20 and clock.sleeps[:3] == [1.0, 2.0, 4.0]  # growing pauses
    assert bot.sent == []


def test_a_bot_api_that_does_not_answer_is_a_failed_delivery(bot: FakeTelegram):
    clock = Clock()
    telegram = TelegramClient(lambda: TOKEN, base_url="http://127.0.0.1:9", sleep=clock.sleep, clock=clock)
    with pytest.raises(TelegramError, match="no answer") as raised:
        telegram.send(42, "привет")
    assert TOKEN not in str(raised.value)


def test_a_refusal_is_said_at_once(bot: FakeTelegram):
    clock = Clock()
    with pytest.raises(TelegramError, match="message text is empty"):
        client(bot, clock).send(42, " ")
    assert clock.sleeps == []


def test_a_group_gets_at_most_20_messages_a_minute(bot: FakeTelegram):
    clock = Clock()
    telegram = client(bot, clock, budget_s=120)  # a budget past the minute's wait
    for n in range(21):
        telegram.send(-100555, f"сообщение {n}")
    assert clock.sleeps[:19] == [1.0] * 19
    assert clock.sleeps[19] == pytest.approx(60.0 - 19.0)  # the 21st waits for the first's minute to pass
    assert len(bot.sent) == 21


def test_a_wait_for_the_rate_past_the_budget_is_a_failed_delivery(bot: FakeTelegram):
    clock = Clock()
    telegram = client(bot, clock, budget_s=30)
    for n in range(20):
        telegram.send(-100555, f"сообщение {n}")
    with pytest.raises(TelegramError, match="the chat's rate"):
        telegram.send(-100555, "ещё")  # 41 s to wait, 30 s allowed: said at once, not slept
    assert sum(clock.sleeps) == pytest.approx(19.0) and len(bot.sent) == 20


def test_dynamic_values_are_escaped_and_long_messages_cut_by_lines(bot: FakeTelegram):
    hostile = 'Atominex <b>18</b> & "сироп" <a href="x">'
    line = f"• {escape(hostile)}: осталось на 2 дня"
    assert "<b>" not in line and "&lt;b&gt;" in line and "&quot;" in line
    more = '<a href="https://console.example/#/purchasing">всё в консоли</a>'
    text = fit([line] * 200, more)
    assert len(text) <= MAX_TEXT and text.endswith(more)
    assert all(part == line for part in text.split("\n")[:-1])  # whole lines only: the HTML stays valid
    client(bot, Clock()).send(42, text)
    assert bot.sent[0].text == text
    assert fit(["коротко"], more) == "коротко"
