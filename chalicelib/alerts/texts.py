"""The words of the Telegram messages, in Russian (the default) and English (TELEGRAM_LANGUAGE).

Each text is HTML for `parse_mode=HTML`: `{name}` placeholders are filled by `Texts.say`, which
escapes every value. A run's error reads as the console says it: those words come from the
console's own translations (`runError.*` in chalicelib/console/i18n), so the two never disagree.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.telegram import escape

CONSOLE_I18N = Path(__file__).resolve().parent.parent / "console" / "i18n"
NBSP = "\u00a0"

RU: dict[str, str] = {
    "orders.of": "заказов",
    "products.of": "товаров",
    "title.sync-failed": "Синхронизация {resource} не удалась",
    "title.stale": "Данные {resource} устарели",
    "title.deletions-held": "Удаления {resource} задержаны",
    "title.shape-drift": "Магазин изменил формат {resource}",
    "title.no-new-order": "Нет новых заказов",
    "title.telegram-delivery-failed": "Сообщения в Telegram не доходят",
    "title.other": "Тревога {alarm}",
    "why.sync-failed": "Последний запуск № {run}: {error}.",
    "why.sync-failed.unknown": "Последний запуск не удался.",
    "why.stale": "Успешной синхронизации не было больше 15 минут.",
    "why.deletions-held": "Из списка магазина пропало сразу {count}; они не помечены удалёнными и "
    "ждут решения на обзоре: применить или игнорировать.",
    "why.shape-drift": "В записях магазина не хватает полей или многие записи ушли в карантин. "
    "Что именно — на странице запуска.",
    "why.no-new-order": "Синхронизация работает, но новых заказов нет. Проверьте оформление заказа в "
    "магазине.",
    "why.telegram-delivery-failed": "Сбой или утренняя сводка не дошли до одного из чатов. "
    "Причина — в журнале функций оповещений (событие telegram_delivery_failed).",
    "since": "С {time}.",
    "data.orders": "Заказы в консоли: синхронизированы {synced}, новейший заказ — {newest}.",
    "data.products": "Товары в консоли: синхронизированы {synced}, последнее изменение — {newest}.",
    "data.never": "ни разу",
    "ago": "{time} ({age} назад)",
    "link.run": "Открыть запуск № {run}",
    "link.overview": "Открыть обзор",
    "link.purchasing": "Весь список закупки",
    "recovered.title": "Восстановлено: {title}",
    "recovered.span": "С {started} до {recovered} ({duration}).",
    "recovered.reply": "Восстановлено в {time}.",
    "digest.title": "Сводка на {day}",
    "digest.sync.ok": "Синхронизация в порядке: заказы — {orders} назад, товары — {products} назад.",
    "digest.sync.bad": "Синхронизация: {problems}. Данные в консоли могут быть старыми.",
    "digest.sync.stale": "{resource} не обновлялись {age}",
    "digest.sync.orders": "заказы",
    "digest.sync.products": "товары",
    "digest.yesterday": "Вчера: {orders}, выручка {revenue}.",
    "digest.risk": "Заканчиваются: {critical} критично, {warning} под угрозой.",
    "digest.line": "{mark} <b>{name}</b>: хватит на {days}, поставка {delivery} — заказать {qty}{NBSP}шт.",
    "digest.line.unknown": "{mark} <b>{name}</b>: остаток {stock}{NBSP}шт., спрос неизвестен — заказать "
    "{qty}{NBSP}шт.",
    "digest.quiet": "{day}: запасов хватает, синхронизация в порядке. Вчера: {orders}, выручка {revenue}.",
    "test": "Проверка связи: бот strattera-sync пишет в этот чат. Сюда придут сбои синхронизации и утренняя "
    "сводка в {time}.",
    "minutes": "{n}{NBSP}мин",
    "hours": "{n}{NBSP}ч",
    "days": "{n}{NBSP}дн.",
}

EN: dict[str, str] = {
    "orders.of": "orders",
    "products.of": "products",
    "title.sync-failed": "The {resource} sync failed",
    "title.stale": "The {resource} data is stale",
    "title.deletions-held": "Deletions of {resource} held",
    "title.shape-drift": "The shop changed the shape of its {resource}",
    "title.no-new-order": "No new orders",
    "title.telegram-delivery-failed": "Telegram messages are not delivered",
    "title.other": "Alarm {alarm}",
    "why.sync-failed": "Last run no. {run}: {error}.",
    "why.sync-failed.unknown": "The last run failed.",
    "why.stale": "No successful sync for more than 15 minutes.",
    "why.deletions-held": "{count} went missing from the shop's listing at once; none was flagged as "
    "deleted. They wait for a decision on the overview: apply or ignore.",
    "why.shape-drift": "The shop's records lack fields, or many went to quarantine. The run's page says "
    "which.",
    "why.no-new-order": "The sync runs, but no new order came. Check the shop's checkout.",
    "why.telegram-delivery-failed": "An incident or the morning digest did not reach one of the chats. "
    "The alert functions' log says why (event telegram_delivery_failed).",
    "since": "Since {time}.",
    "data.orders": "Orders in the console: synced {synced}, newest order {newest}.",
    "data.products": "Products in the console: synced {synced}, last change {newest}.",
    "data.never": "never",
    "ago": "{time} ({age} ago)",
    "link.run": "Open run no. {run}",
    "link.overview": "Open the overview",
    "link.purchasing": "The whole purchasing list",
    "recovered.title": "Recovered: {title}",
    "recovered.span": "From {started} to {recovered} ({duration}).",
    "recovered.reply": "Recovered at {time}.",
    "digest.title": "Digest for {day}",
    "digest.sync.ok": "The sync is fine: orders {orders} ago, products {products} ago.",
    "digest.sync.bad": "Sync: {problems}. The console's data may be old.",
    "digest.sync.stale": "{resource} not updated for {age}",
    "digest.sync.orders": "orders",
    "digest.sync.products": "products",
    "digest.yesterday": "Yesterday: {orders}, revenue {revenue}.",
    "digest.risk": "Running out: {critical} critical, {warning} at risk.",
    "digest.line": "{mark} <b>{name}</b>: lasts {days}, delivery {delivery}: order {qty}",
    "digest.line.unknown": "{mark} <b>{name}</b>: {stock} in stock, demand unknown: order {qty}",
    "digest.quiet": "{day}: stock is sufficient, the sync is fine. Yesterday: {orders}, revenue {revenue}.",
    "test": "Test: the strattera-sync bot writes to this chat. Sync incidents and the morning digest at "
    "{time} come here.",
    "minutes": "{n} min",
    "hours": "{n} h",
    "days": "{n} d",
}

MONTHS_RU = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

# Russian counts: 1 заказ, 2 заказа, 5 заказов (and 11-14 like 5).
NOUNS = {
    "ru": {"order": ("заказ", "заказа", "заказов"), "record": ("запись", "записи", "записей")},
    "en": {"order": ("order", "orders", "orders"), "record": ("record", "records", "records")},
}


@functools.cache
def console_words(language: str) -> dict[str, str]:
    """The console's `runError.*` strings for `language`, read from its translation file."""
    source = (CONSOLE_I18N / f"{language}.js").read_text(encoding="utf-8")
    found = re.findall(r"^\s*'(runError\.[a-z_]+)': '((?:[^'\\]|\\.)*)',?$", source, flags=re.M)
    return {key: re.sub(r"\\(.)", r"\1", value) for key, value in found}


class Texts:
    def __init__(self, language: str, zone: ZoneInfo) -> None:
        self.language = language
        self.zone = zone
        self._words = RU if language == "ru" else EN

    def say(self, key: str, /, **values: Any) -> str:
        """The text of `key` with each value escaped (a value already made HTML by `say` is passed
        as `Html`)."""
        filled = {name: v if isinstance(v, Html) else escape(v) for name, v in values.items()}
        return self._words[key].format(NBSP=NBSP, **filled)

    def run_error(self, code: str | None, fallback: str | None) -> str:
        """A run's error as the console says it; the service's English text for a code it lacks."""
        return console_words(self.language).get(f"runError.{code}") or fallback or ""

    def count(self, n: int, noun: str) -> str:
        one, few, many = NOUNS[self.language][noun]
        if self.language == "en":
            return f"{n} {one if n == 1 else few}"
        if n % 10 == 1 and n % 100 != 11:
            form = one
        elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            form = few
        else:
            form = many
        return f"{n}{NBSP}{form}"

    def time(self, moment: datetime) -> str:
        """`07.12 12:05` in the shop's zone, as the console shows times (with the year when not this one)."""
        local = moment.astimezone(self.zone)
        if local.year != datetime.now(self.zone).year:
            return f"{local:%d.%m.%Y %H:%M}"
        return f"{local:%d.%m %H:%M}"

    def clock(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%H:%M}"

    def day(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        if self.language == "ru":
            return f"{local.day} {MONTHS_RU[local.month - 1]}"
        return f"{local:%B} {local.day}"

    def duration(self, span: timedelta) -> str:
        minutes = max(0, int(span.total_seconds() // 60))
        if minutes < 120:
            return self.say("minutes", n=max(1, minutes))
        if minutes < 48 * 60:
            return self.say("hours", n=minutes // 60)
        return self.say("days", n=minutes // (24 * 60))

    def ago(self, moment: datetime | None, now: datetime) -> str:
        if moment is None:
            return self.say("data.never")
        return self.say("ago", time=self.time(moment), age=Html(self.duration(now - moment)))

    def money(self, value: Decimal) -> str:
        """`123 456,00 ₽`, as the console writes money."""
        whole, _, fraction = f"{value:.2f}".partition(".")
        grouped = f"{int(whole):,}".replace(",", NBSP)
        return f"{grouped},{fraction}{NBSP}₽" if self.language == "ru" else f"{grouped}.{fraction}{NBSP}₽"

    def number(self, value: Decimal | int) -> str:
        """Up to three decimals, `2,5` in Russian: as the console's `number` writes them."""
        rounded = Decimal(value).quantize(Decimal("0.001")).normalize()
        text = f"{rounded:f}"
        return text.replace(".", ",") if self.language == "ru" else text


class Html(str):
    """A piece of message already made HTML (escaped where it had to be): `say` leaves it as it is."""
