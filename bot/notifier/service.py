"""The notifier loop: read events, tell each citizen once, record how it went."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping

import httpx
from redis.exceptions import RedisError

from bot.delivery import NotificationSender
from bot.metrics import GatewayMetrics
from bot.notifier import store as states
from bot.notifier.backend import DeliveryReporter
from bot.notifier.compose import compose
from bot.notifier.conversation_log import ConversationLog, ConversationLogError
from bot.notifier.events import OFFICER_MESSAGE, QUESTION, RELEASED, TAKEOVER, ReportEvent
from bot.notifier.sources import Delivery, EventSource
from bot.notifier.store import DeliveryStore
from bot.privacy import mask
from bot.replies import ReplyCatalogue
from bot.takeover import TakeoverMarks

logger = logging.getLogger(__name__)


class _Turns:
    """A lock with a count of the tasks holding or waiting for it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Notifier:
    """Delivers report events to citizens, exactly once per event as far as it can tell.

    Events of one citizen go out in order; different citizens in parallel (up to
    `concurrency`), paced by each channel's notification budget. An event is
    acknowledged after it was handled; one whose sending failed for a passing reason
    is left unacknowledged and comes back later. With a backlog, the next batch is
    read as soon as every event in hand has started, so the budget never idles
    between batches.
    """

    def __init__(
        self,
        source: EventSource,
        senders: Mapping[str, NotificationSender],
        store: DeliveryStore,
        conversation_log: ConversationLog,
        reporter: DeliveryReporter,
        replies: ReplyCatalogue,
        concurrency: int = 16,
        interrupted_after_seconds: float = 60.0,
        metrics: GatewayMetrics | None = None,
        takeovers: TakeoverMarks | None = None,
    ) -> None:
        self._metrics = metrics or GatewayMetrics()
        self._takeovers = takeovers
        self._source = source
        self._senders = senders
        self._store = store
        self._log = conversation_log
        self._reporter = reporter
        self._replies = replies
        self._slots = asyncio.Semaphore(concurrency)
        self._interrupted_after = interrupted_after_seconds
        self._stopping = asyncio.Event()
        self._turns: dict[str, _Turns] = {}
        self._in_hand: set[str] = set()  # receipts of the events read and not yet done
        self._not_started = 0  # events in hand that wait for their turn
        self._progress = asyncio.Event()  # an event in hand started or was done

    async def run(self, stopping: asyncio.Event, batch_size: int = 64) -> None:
        """Handle events until `stopping` is set (the events in hand then wait, unacknowledged).

        With a backlog (the last batch was full), the next batch is read and started
        while the last events of the previous one are on their way, instead of after
        all of them; an event already in hand (a source may hand it out again while it
        is unacknowledged) is not taken twice.
        """
        self._stopping = stopping
        handling: set[asyncio.Task[None]] = set()
        backlog = False
        while not stopping.is_set():
            if handling and not backlog:  # no backlog: one batch after the other
                await asyncio.wait(handling)
                continue
            if self._not_started:
                await self._wait_for_progress()
                continue
            try:
                batch = await self._source.next_batch(batch_size, wait_seconds=1.0)
            except (RedisError, httpx.HTTPError, OSError) as exc:
                logger.warning("event source unavailable, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            backlog = len(batch) >= batch_size
            fresh = [delivery for delivery in batch if delivery.receipt not in self._in_hand]
            if not fresh:
                if batch:  # all of them in hand already: wait until one is done
                    await self._wait_for_progress()
                continue
            self._in_hand.update(delivery.receipt for delivery in fresh)
            self._not_started += len(fresh)
            task = asyncio.create_task(self._handle(fresh))
            handling.add(task)
            task.add_done_callback(handling.discard)
        if handling:
            await asyncio.wait(handling)

    async def _wait_for_progress(self) -> None:
        self._progress.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout=1.0)

    async def handle_batch(self, batch: list[Delivery]) -> None:
        """Each citizen's events in order, citizens in parallel."""
        self._not_started += len(batch)
        await self._handle(batch)

    async def _handle(self, batch: list[Delivery]) -> None:
        by_citizen: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in batch:
            by_citizen[delivery.event.sender_id or delivery.event.event_id].append(delivery)
        results = await asyncio.gather(
            *(self._handle_in_order(citizen, items) for citizen, items in by_citizen.items()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, Exception):  # e.g. the source failed to acknowledge
                logger.warning("events left unacknowledged: %s", result)

    async def _handle_in_order(self, citizen: str, deliveries: list[Delivery]) -> None:
        waiting = list(deliveries)
        try:
            async with self._turn_of(citizen), self._slots:
                for delivery in deliveries:
                    if self._stopping.is_set():  # stopping: the rest come back later
                        return
                    waiting.remove(delivery)
                    self._started()
                    try:
                        done = await self.notify(delivery.event)
                    except Exception:  # one bad event must not stop the others
                        logger.exception("event %s failed", delivery.event.event_id)
                        done = False
                    if not done:  # its later events wait, so that the citizen reads them in order
                        return
                    await self._source.ack(delivery)
                    self._done(delivery)
        finally:
            self._started(len(waiting))
            self._done(*deliveries)

    @contextlib.asynccontextmanager
    async def _turn_of(self, citizen: str) -> AsyncIterator[None]:
        """One citizen's events one after another, also from batches in hand together."""
        turns = self._turns.setdefault(citizen, _Turns())
        turns.users += 1
        try:
            async with turns.lock:
                yield
        finally:
            turns.users -= 1
            if turns.users == 0:
                self._turns.pop(citizen, None)

    def _started(self, count: int = 1) -> None:
        self._not_started = max(self._not_started - count, 0)
        self._progress.set()

    def _done(self, *deliveries: Delivery) -> None:
        self._in_hand.difference_update(delivery.receipt for delivery in deliveries)
        self._progress.set()

    async def notify(self, event: ReportEvent) -> bool:
        """Tell the citizen about `event`; False when it should come back later."""
        if not event.concerns_citizen or event.sender_id is None:
            return True
        previous = await self._store.get(event.event_id)
        if previous is not None and previous.state != states.RETRY:
            if previous.state != states.SENDING:
                return True  # handled before
            if not previous.interrupted(self._interrupted_after):
                return False  # being sent right now, or a crash too recent to tell: later
            # The sender crashed while sending: it may have arrived; never send twice.
            await self._store.finish(event.event_id, states.FAILED, failure="interrupted")
            self._metrics.notified(event.channel, "interrupted")
            await self._reporter.report(
                event, "failed", reason="interrupted while sending; not sent again"
            )
            return True
        await self._mark_takeover(event)
        # A question or a person's message is no status update: it goes even when the
        # chat turned status updates off.
        opted_out = event.is_status_update and not event.notifications_enabled
        # Receipts of a takeover's messages go to the conversation (no tracking ID).
        record_id = "" if event.is_conversation else event.tracking_id
        sender = self._senders.get(event.channel)
        if sender is None or opted_out:
            state, reason = (
                ("skipped", "the citizen turned notifications off")
                if sender is not None
                else ("failed", f"no {event.channel or 'known'} channel on this gateway")
            )
            if await self._store.claim(event.event_id, event.sender_id, record_id):
                await self._store.finish(event.event_id, state, failure=reason)
                self._metrics.notified(event.channel, state)
                await self._reporter.report(event, state, reason=reason)
            return True
        language = event.language or await self._language_from_rasa(event)
        notification = compose(event, language, self._replies)
        await sender.pace()
        try:
            claimed = await self._store.claim(event.event_id, event.sender_id, record_id)
        except BaseException:
            await sender.release()
            raise
        if not claimed:  # another notifier took it meanwhile
            await sender.release()
            return True
        result = await sender.deliver(notification)
        if result.accepted:
            await self._store.finish(event.event_id, states.SENT, message_id=result.message_id)
            self._metrics.notified(event.channel, "sent")
            if event.type == QUESTION:  # the citizen's next messages are the answer: at
                # once, before anything else, so that a quick reply finds it expected
                await self._log.expect_answer(event.sender_id, event.tracking_id)
            await self._reporter.report(event, "sent", message_id=result.message_id)
            await self._log.record_message(
                event.sender_id,
                notification.text,
                event.event_id,
                tracking_id=event.tracking_id
                if event.language and not event.is_conversation
                else None,
                by_person=event.type == OFFICER_MESSAGE,
            )
            return True
        if result.permanent:
            await self._store.finish(event.event_id, states.FAILED, failure=result.failure)
            self._metrics.notified(event.channel, "failed")
            await self._reporter.report(event, "failed", reason=result.failure)
            return True
        await self._store.finish(event.event_id, states.RETRY, failure=result.failure)
        self._metrics.notified(event.channel, "retry")
        logger.warning("event %s will be retried: %s", event.event_id, result.failure)
        return False

    async def _mark_takeover(self, event: ReportEvent) -> None:
        """A takeover routes the chat's messages to the person, a release back to Rasa
        (before the citizen is told, so that their reply already goes the right way)."""
        if self._takeovers is None or event.sender_id is None:
            return
        if event.type == TAKEOVER:
            await self._takeovers.mark(event.sender_id)
        elif event.type == RELEASED:
            await self._takeovers.clear(event.sender_id)

    async def _language_from_rasa(self, event: ReportEvent) -> str:
        """For reports filed before the language was kept: ask the conversation."""
        if event.is_conversation or not event.tracking_id:
            return "id"
        try:
            return await self._log.open_update(event.sender_id or "", event.tracking_id)
        except ConversationLogError as exc:
            logger.warning("conversation of %s not updated: %s", mask(event.sender_id), exc)
            return "id"

    async def record_receipt(self, message_id: str, status: str, reason: str | None) -> None:
        """A platform receipt (delivered, read, failed) for a notification, to the backend."""
        if status not in ("delivered", "read", "failed"):
            return
        found = await self._store.find_by_message(message_id)
        if found is None:  # a reply in a conversation, not a status update
            return
        event_id, sender_id, tracking_id = found
        event = ReportEvent(
            event_id=event_id, type="", tracking_id=tracking_id, status="", sender_id=sender_id
        )
        await self._reporter.report(event, status, message_id=message_id, reason=reason)
