"""The identification state machine, one transition per test, without either fake server.

No fake server is involved: the chat is a small in-memory implementation of the service's Chat
protocol, Plant.id answers through respx, and the repository is the real SQLite one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot.callbacks import ConfirmPress
from bot.i18n import Translator
from bot.model import (
    ChatError,
    ChatUnwritable,
    FailureReason,
    IdentificationRequest,
    IdentificationState,
    PhotoRef,
    PhotoUnavailable,
    ReplyTo,
    TryLater,
    WorkLane,
)
from bot.rendering import RenderedMessage, ResultOptions
from bot.service import FlowSettings, IdentificationService
from bot.worker import Worker, WorkerSettings
from plantid import PlantIdClient
from plantid.images import ImagePreparer
from storage.database import open_database
from storage.models import IdentificationRecord
from storage.repositories import SqliteIdentificationRepository
from tests.flow.images import leaf_photo, solid_photo
from tests.plantid import samples

BASE = "https://plantid.test/v2"
CHAT_ID = 42
USER_ID = 7
MAX_PHOTO_BYTES = 1_000_000

SETTINGS = FlowSettings(
    result=ResultOptions(shown=3, low_confidence_threshold=0.3, not_plant_threshold=0.5),
    custom_id_offset=0,
    poll_interval_min=2.0,
    poll_interval_max=30.0,
    identification_max_age=900.0,
    slow_notice_after=60.0,
    max_photo_bytes=MAX_PHOTO_BYTES,
    max_image_side=1500,
)


CONFIRMED = httpx.Response(200, json=True)


class MemoryChat:
    """A chat that keeps what the bot did in lists and refuses on request."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.statuses: list[tuple[ReplyTo, int, str]] = []
        self.edits: list[tuple[int, str]] = []
        self.shown: list[tuple[int, RenderedMessage]] = []
        self.refuse_status: ChatError | None = None
        self.refuse_show: ChatError | None = None
        self.refuse_download: ChatError | None = None
        self._message_ids = itertools.count(100)

    async def send_status(self, place: ReplyTo, text: str) -> int:
        if self.refuse_status is not None:
            raise self.refuse_status
        message_id = next(self._message_ids)
        self.statuses.append((place, message_id, text))
        return message_id

    async def edit_text(self, place: ReplyTo, message_id: int, text: str) -> None:
        self.edits.append((message_id, text))

    async def show(
        self, place: ReplyTo, status_message_id: int | None, message: RenderedMessage
    ) -> int:
        if self.refuse_show is not None:
            raise self.refuse_show
        message_id = status_message_id or next(self._message_ids)
        self.shown.append((message_id, message))
        return message_id

    async def download(self, photo: PhotoRef, *, max_bytes: int) -> bytes:
        if self.refuse_download is not None:
            raise self.refuse_download
        data = self.files[photo.file_id]
        if len(data) > max_bytes:
            raise PhotoUnavailable(FailureReason.TOO_BIG)
        return data

    async def send(self, place: ReplyTo, message: RenderedMessage) -> int:
        message_id = next(self._message_ids)
        self.shown.append((message_id, message))
        return message_id

    async def send_photos(self, place: ReplyTo, photos: Sequence[tuple[bytes, str]]) -> None:
        raise AssertionError("the flow never sends photos")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def chat() -> MemoryChat:
    return MemoryChat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def repository(tmp_path: Path) -> AsyncIterator[SqliteIdentificationRepository]:
    database = await open_database(tmp_path / "flow.sqlite3")
    try:
        yield SqliteIdentificationRepository(database)
    finally:
        await database.close()


@pytest.fixture
def worker(
    service: IdentificationService, repository: SqliteIdentificationRepository, clock: Clock
) -> Worker:
    return Worker(
        service,
        repository,
        WorkerSettings(poll_interval=SETTINGS.poll_interval_min),
        owner="test-worker",
        clock=clock,
    )


@pytest.fixture
async def service(
    repository: SqliteIdentificationRepository, chat: MemoryChat, clock: Clock
) -> AsyncIterator[IdentificationService]:
    async with httpx.AsyncClient() as http:
        plantid = PlantIdClient(
            http,
            SecretStr("state-machine-key"),
            BASE,
            retry_deadline=0.01,
            backoff_initial=0.001,
            backoff_max=0.001,
        )
        yield IdentificationService(
            repository=repository,
            plantid=plantid,
            chat=chat,
            images=ImagePreparer(SETTINGS.max_image_side),
            translate=Translator.from_package(),
            settings=SETTINGS,
            clock=clock,
        )


async def receive(
    service: IdentificationService, chat: MemoryChat, data: bytes | None = None, message_id: int = 1
) -> IdentificationRecord:
    """Let a person send a photo; return the stored identification."""
    file_id = f"photo-{message_id}"
    chat.files[file_id] = leaf_photo(message_id) if data is None else data
    photo = PhotoRef(file_id, f"unique-{message_id}", message_id, len(chat.files[file_id]))
    request = IdentificationRequest(CHAT_ID, USER_ID, message_id, "en", (photo,))
    await service.accept_photo(request)
    return await current(service, message_id)


async def current(service: IdentificationService, message_id: int = 1) -> IdentificationRecord:
    """Read the identification started by `message_id` back from storage."""
    record = await service._repository.find_by_request(CHAT_ID, message_id)
    assert record is not None
    return record


def pending_answer(plantid_id: int = 501, custom_id: int | None = 1) -> httpx.Response:
    return httpx.Response(
        200, json=samples.identification(plantid_id, custom_id=custom_id, pending=True)
    )


def done_answer(plantid_id: int = 501, custom_id: int | None = 1) -> httpx.Response:
    return httpx.Response(200, json=samples.identification(plantid_id, custom_id=custom_id))


async def test_received_photo_is_stored_and_wakes_every_lane(
    service: IdentificationService, chat: MemoryChat
) -> None:
    record = await receive(service, chat)

    assert record.state == IdentificationState.RECEIVED
    assert not chat.statuses, "the handler only stores; a lane sends the status"
    assert service.wake_event(None).is_set()
    assert all(service.wake_event(lane).is_set() for lane in WorkLane)


async def test_status_lane_acknowledges_the_photo_with_a_reply(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    await receive(service, chat)

    await worker.run_once()

    record = await current(service)
    assert [text for _, _, text in chat.statuses] == ["🔎 Looking at your plant…"]
    assert record.status_message_id == chat.statuses[0][1]
    assert record.status_sent
    assert chat.statuses[0][0] == ReplyTo(CHAT_ID, 1, None)


async def test_the_same_request_twice_is_recorded_and_acknowledged_once(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    await receive(service, chat)
    await receive(service, chat)

    await worker.run_once()

    assert len(chat.statuses) == 1


async def test_a_chat_that_refuses_the_status_spends_no_credit(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    chat.refuse_status = ChatUnwritable("bot was blocked by the user")
    await receive(service, chat)

    await worker.run_once()
    await worker.run_once()

    record = await current(service)
    assert not enqueue.called
    assert record.state == IdentificationState.FAILED
    assert record.notified_at is not None, "nobody can be told: the row is finished"
    assert not chat.shown


async def test_received_becomes_pending_once_plantid_accepts_it(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    record = await receive(service, chat)

    await worker.run_once()

    after = await current(service)
    assert after.state == IdentificationState.PENDING
    assert after.plantid_id == 501
    assert after.custom_id == record.id
    body = json.loads(enqueue.calls.last.request.content)
    assert body["custom_id"] == record.id
    assert len(body["images"]) == 1


async def test_submitting_row_is_recovered_by_custom_id_without_paying_again(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    repository: SqliteIdentificationRepository,
    clock: Clock,
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    lookup = api.post("/get_identification_result/custom_id/1").mock(
        return_value=pending_answer(777)
    )
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(777, pending=True)])
    )
    record = await receive(service, chat)
    # A crash after the enqueue left: the row says submitting, Plant.id knows the custom_id.
    assert await repository.start_submitting(record.id, custom_id=record.id, now=clock.now)

    await worker.run_once()

    after = await current(service)
    assert after.state == IdentificationState.PENDING
    assert after.plantid_id == 777
    assert lookup.called
    assert not enqueue.called


async def test_submitting_row_unknown_to_plantid_is_submitted_again(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    repository: SqliteIdentificationRepository,
    clock: Clock,
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    api.post("/get_identification_result/custom_id/1").mock(
        return_value=httpx.Response(404, text="not found")
    )
    record = await receive(service, chat)
    assert await repository.start_submitting(record.id, custom_id=record.id, now=clock.now)

    await worker.run_once()

    assert (await current(service)).state == IdentificationState.PENDING
    assert enqueue.call_count == 1


async def test_pending_stays_pending_and_is_polled_later_while_plantid_works(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    poll = api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501, pending=True)])
    )
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.poll_interval_min

    await worker.run_once()

    after = await current(service)
    assert poll.called
    assert after.state == IdentificationState.PENDING
    assert after.polls == 1
    assert after.next_attempt_at > clock.now


async def test_finished_identification_is_completed_then_delivered_with_buttons(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    poll = api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501)])
    )
    details = api.post("/get_identification_result/501").mock(return_value=done_answer())
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.poll_interval_min

    await worker.run_once()
    sent = json.loads(poll.calls.last.request.content)
    assert sent["ids"] == [501]
    assert sent["plant_language"] == "en"
    assert "common_names" in sent["plant_details"]
    assert not details.called, "the details came with the poll: no second call"
    delivered = await current(service)
    assert delivered.result_json is not None
    assert delivered.state == IdentificationState.DELIVERED
    assert delivered.status_message_id is not None
    assert delivered.result_message_id == delivered.status_message_id
    [(message_id, message)] = chat.shown
    assert message_id == delivered.status_message_id
    assert "<b>Common dandelion</b> (<i>Taraxacum officinale</i>), 81%" in message.text
    assert message.keyboard is not None
    # Three suggestions, "none of these", compare and more, the health check.
    assert len(message.keyboard.inline_keyboard) == 6


async def test_a_result_polled_without_details_is_fetched_once_by_id(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    bare = samples.identification(501)
    for suggestion in bare["suggestions"]:
        suggestion["plant_details"] = None
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[bare])
    )
    details = api.post("/get_identification_result/501").mock(return_value=done_answer())
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.poll_interval_min

    await worker.run_once()

    assert details.call_count == 1
    assert json.loads(details.calls.last.request.content)["plant_language"] == "en"
    assert (await current(service)).state == IdentificationState.DELIVERED


async def test_one_garbage_item_fails_only_its_identification_with_an_honest_reason(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(
        side_effect=[pending_answer(501, 1), pending_answer(502, 2)]
    )
    garbage = samples.identification(502)
    garbage["suggestions"][0]["probability"] = "lots"
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501), garbage])
    )
    await receive(service, chat, message_id=1)
    await receive(service, chat, message_id=2)
    await worker.run_once()

    for _ in range(SETTINGS.max_attempts + 1):
        clock.now += SETTINGS.poll_interval_max
        await worker.run_once()

    healthy, broken = await current(service, 1), await current(service, 2)
    assert healthy.state == IdentificationState.DELIVERED
    assert broken.state == IdentificationState.FAILED
    assert FailureReason.parse(broken.failure_reason) == FailureReason.GARBLED
    assert broken.notified_at is not None
    texts = [message.text for _, message in chat.shown]
    assert any("couldn't read" in text for text in texts)


async def test_out_of_range_probabilities_are_clamped_not_shown_negative(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    odd = samples.identification(501)
    odd["suggestions"][0]["probability"] = 1.7
    odd["suggestions"][1]["probability"] = -0.4
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[odd])
    )
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.poll_interval_min

    await worker.run_once()

    [(_, message)] = chat.shown
    assert "100%" in message.text
    assert "-40" not in message.text


async def test_identification_that_plantid_failed_ends_failed_and_the_person_is_told(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    failed = samples.identification(501)
    failed["fail_cause"] = "unrecognized"
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[failed])
    )
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.poll_interval_min

    await worker.run_once()
    after = await current(service)
    assert after.state == IdentificationState.FAILED
    assert FailureReason.parse(after.failure_reason) == FailureReason.REJECTED

    await worker.run_once()
    assert (await current(service)).notified_at is not None
    [(_, message)] = chat.shown
    assert message.keyboard is None
    assert "Plant.id" in message.text


async def test_photo_too_big_fails_without_paying(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    await receive(service, chat, data=b"\xff" * (MAX_PHOTO_BYTES + 1))

    await worker.run_once()

    after = await current(service)
    assert after.state == IdentificationState.FAILED
    assert FailureReason.parse(after.failure_reason) == FailureReason.TOO_BIG
    assert not enqueue.called


async def test_a_photo_that_cannot_be_downloaded_ends_with_please_send_it_again(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    chat.refuse_download = TryLater(
        "photo download answered 404", per_row=True, failure=FailureReason.DOWNLOAD
    )
    await receive(service, chat)

    for _ in range(SETTINGS.max_attempts + 1):
        await worker.run_once()
        clock.now += SETTINGS.poll_interval_max

    after = await current(service)
    assert not enqueue.called
    assert FailureReason.parse(after.failure_reason) == FailureReason.DOWNLOAD
    assert after.notified_at is not None
    [(_, message)] = chat.shown
    assert "download" in message.text


async def test_unreadable_photo_fails_without_paying(
    service: IdentificationService, worker: Worker, chat: MemoryChat, api: respx.MockRouter
) -> None:
    enqueue = api.post("/enqueue_identification").mock(return_value=pending_answer())
    await receive(service, chat, data=solid_photo()[:200])

    await worker.run_once()

    after = await current(service)
    assert FailureReason.parse(after.failure_reason) == FailureReason.UNREADABLE
    assert not enqueue.called


async def test_plantid_outage_postpones_the_submission_instead_of_failing_it(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    enqueue = api.post("/enqueue_identification").mock(
        return_value=httpx.Response(503, text="maintenance")
    )
    api.post("/get_identification_result/custom_id/1").mock(
        return_value=httpx.Response(404, text="not found")
    )
    await receive(service, chat)

    await worker.run_once()
    next_due = await service.next_due_at(WorkLane.SUBMIT)

    after = await current(service)
    assert enqueue.called
    assert after.state in (IdentificationState.RECEIVED, IdentificationState.SUBMITTING)
    assert after.unavailable_since is not None
    assert next_due is not None
    assert next_due > clock.now

    enqueue.mock(return_value=pending_answer())
    clock.now = next_due
    await worker.run_once()
    assert (await current(service)).state == IdentificationState.PENDING


async def test_identification_unanswered_for_too_long_fails_as_timed_out(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    await receive(service, chat)
    await worker.run_once()
    clock.now += SETTINGS.identification_max_age + 1

    await worker.run_once()
    after = await current(service)
    assert after.state == IdentificationState.FAILED
    assert FailureReason.parse(after.failure_reason) == FailureReason.TIMED_OUT

    await worker.run_once()
    assert (await current(service)).notified_at is not None
    assert len(chat.shown) == 1


async def test_a_slow_identification_edits_the_status_once(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501, pending=True)])
    )
    await receive(service, chat)
    await worker.run_once()

    for _ in range(3):
        clock.now += SETTINGS.slow_notice_after
        await worker.run_once()

    after = await current(service)
    assert after.delay_notified
    assert len(chat.edits) == 1
    assert chat.edits[0][0] == after.status_message_id


async def test_a_result_for_a_chat_that_closed_ends_delivered_quietly(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    api.post("/enqueue_identification").mock(return_value=done_answer())
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501)])
    )
    api.post("/get_identification_result/501").mock(return_value=done_answer())
    await receive(service, chat)
    chat.refuse_show = ChatUnwritable("bot was blocked by the user")

    for _ in range(3):
        await worker.run_once()
        clock.now += SETTINGS.poll_interval_min

    after = await current(service)
    assert after.state == IdentificationState.DELIVERED
    assert after.result_message_id is None


async def delivered_dandelion(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> IdentificationRecord:
    api.post("/enqueue_identification").mock(return_value=pending_answer())
    api.post("/get_identification_result/multiple").mock(
        return_value=httpx.Response(200, json=[samples.identification(501)])
    )
    api.post("/get_identification_result/501").mock(return_value=done_answer())
    await receive(service, chat)
    for _ in range(3):
        await worker.run_once()
        clock.now += SETTINGS.poll_interval_min
    record = await current(service)
    assert record.state == IdentificationState.DELIVERED
    return record


async def test_pressing_a_suggestion_confirms_it_and_pressing_again_unconfirms(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    record = await delivered_dandelion(service, worker, chat, api, clock)
    confirm = api.post("/confirm_suggestion/148452111").mock(return_value=CONFIRMED)
    unconfirm = api.post("/unconfirm_suggestion/148452111").mock(return_value=CONFIRMED)

    answer = await service.press_confirm(
        ConfirmPress(record.id, 0), user_id=USER_ID, language_code="en"
    )
    assert confirm.called
    assert "Common dandelion" in (answer.text or "")
    assert (await current(service)).confirmed_suggestion_id == 148452111
    assert answer.keyboard is not None
    assert answer.keyboard.inline_keyboard[0][0].text == "☑️ Confirmed: Common dandelion"

    clock.now += 5.0
    answer = await service.press_confirm(
        ConfirmPress(record.id, 0), user_id=USER_ID, language_code="en"
    )
    assert unconfirm.called
    assert (await current(service)).confirmed_suggestion_id is None


async def test_a_double_tap_confirms_once(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    record = await delivered_dandelion(service, worker, chat, api, clock)
    confirm = api.post("/confirm_suggestion/148452111").mock(return_value=CONFIRMED)
    unconfirm = api.post("/unconfirm_suggestion/148452111").mock(return_value=CONFIRMED)

    first, second = await asyncio.gather(
        service.press_confirm(ConfirmPress(record.id, 0), user_id=USER_ID, language_code="en"),
        service.press_confirm(ConfirmPress(record.id, 0), user_id=USER_ID, language_code="en"),
    )

    assert confirm.call_count == 1
    assert not unconfirm.called
    assert (await current(service)).confirmed_suggestion_id == 148452111
    assert first.text == second.text == "Thanks! Marked as Common dandelion."


async def test_a_stranger_pressing_a_suggestion_gets_an_alert_and_changes_nothing(
    service: IdentificationService,
    worker: Worker,
    chat: MemoryChat,
    api: respx.MockRouter,
    clock: Clock,
) -> None:
    record = await delivered_dandelion(service, worker, chat, api, clock)
    confirm = api.post("/confirm_suggestion/148452111").mock(return_value=CONFIRMED)

    answer = await service.press_confirm(
        ConfirmPress(record.id, 0), user_id=USER_ID + 1, language_code="de"
    )

    assert answer.show_alert
    assert not confirm.called
    assert (await current(service)).confirmed_suggestion_id is None
