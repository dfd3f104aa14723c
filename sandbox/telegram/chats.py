"""Build the world the tests act in: people, chats, topics, memberships, group migration."""

from __future__ import annotations

from typing import Any

from sandbox.telegram.model import FakeChat, FakeUser
from sandbox.telegram.state import (
    GROUP_ANONYMOUS_BOT,
    MEMBER_STATUSES,
    PRESENT,
    TELEGRAM_SERVICE,
    ChatState,
    World,
    member_json,
    now,
)
from sandbox.telegram.updates import UpdateFeed

_SUPERGROUP_BASE = -1_000_000_000_000


class ChatBuilders:
    """The world-building half of FakeTelegram: who exists, which chats, who may do what."""

    _world: World
    _feed: UpdateFeed

    def user(
        self,
        first_name: str = "Alice",
        *,
        language_code: str | None = "en",
        username: str | None = None,
    ) -> FakeUser:
        """Create a Telegram user."""
        world = self._world
        with world.lock:
            user = FakeUser(
                id=next(world.user_ids),
                first_name=first_name,
                username=username,
                language_code=language_code,
            )
            world.users[user.id] = user
            return user

    def private_chat(self, user: FakeUser) -> FakeChat:
        """Return the private chat between `user` and the bot."""
        with self._world.lock:
            chat = FakeChat(
                id=user.id, type="private", first_name=user.first_name, username=user.username
            )
            return self._world.register_chat(chat).chat

    def group(
        self,
        title: str = "Plant lovers",
        *,
        forum: bool = False,
        supergroup: bool = True,
        with_bot: bool = True,
        creator: FakeUser | None = None,
    ) -> FakeChat:
        """Create a supergroup (a forum when `forum`) or, unless `supergroup`, a basic group.

        The bot is already a plain member unless `with_bot` is false (then add it with
        `add_bot_to_group`); `creator` becomes the group's owner.
        """
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        world = self._world
        with world.lock:
            serial = next(world.group_ids)
            chat = FakeChat(
                id=_SUPERGROUP_BASE - serial if supergroup else -serial,
                type="supergroup" if supergroup else "group",
                title=title,
                is_forum=forum,
            )
            state = world.register_chat(chat)
            state.bot_status = "member" if with_bot else "left"
            if creator is not None:
                state.statuses[creator.id] = "creator"
            return chat

    def channel(self, title: str = "Plant news", *, username: str | None = None) -> FakeChat:
        """Create a channel, to post in groups on its behalf (see `sender_chat`)."""
        world = self._world
        with world.lock:
            chat = FakeChat(
                id=_SUPERGROUP_BASE - next(world.group_ids),
                type="channel",
                title=title,
                username=username,
            )
            world.register_chat(chat).bot_status = "left"
            return chat

    def topic(self, group: FakeChat, name: str = "Ferns") -> int:
        """Create a forum topic in `group` and return its message_thread_id."""
        if not group.is_forum:
            raise ValueError("topics exist only in forum groups")
        world = self._world
        with world.lock:
            state = world.state_of(group)
            message = world.store(state, dict(TELEGRAM_SERVICE), from_bot=False)
            message.thread_id = message.message_id
            message.service = {"forum_topic_created": {"name": name, "icon_color": 7322096}}
            state.topics[message.message_id] = name
            return message.message_id

    # ------------------------------------------------------------------ memberships

    def set_member_status(self, group: FakeChat, user: FakeUser, status: str) -> None:
        """Set a person's status in a group: creator, administrator, member, left or kicked."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {MEMBER_STATUSES}")
        with self._world.lock:
            state = self._group_state(group)
            state.statuses[user.id] = status
        self._world.waiters.notify_all()

    def make_admin(self, group: FakeChat, user: FakeUser) -> None:
        """Make `user` an administrator of `group`."""
        self.set_member_status(group, user, "administrator")

    def join_group(self, user: FakeUser, group: FakeChat) -> dict[str, Any]:
        """Let `user` join `group`; the bot sees the new_chat_members service message."""
        with self._world.lock:
            state = self._group_state(group)
            state.statuses[user.id] = "member"
            return self._service(state, user.to_dict(), {"new_chat_members": [user.to_dict()]})

    def add_bot_to_group(self, group: FakeChat, by: FakeUser, *, admin: bool = False) -> None:
        """Add the bot to `group`: a my_chat_member update and a new_chat_members message."""
        with self._world.lock:
            state = self._group_state(group)
            if state.bot_status in PRESENT:
                raise ValueError(f"the bot is already in chat {group.id}")
            if self._world.status_of(state, by.id) not in PRESENT:
                state.statuses[by.id] = "member"
            self._change_bot_status(state, by.to_dict(), "administrator" if admin else "member")
            bot = self._world.bot_user()
            self._service(state, by.to_dict(), {"new_chat_members": [bot]})

    def remove_bot_from_group(self, group: FakeChat, by: FakeUser) -> None:
        """Remove (ban) the bot: a my_chat_member update; its sends answer 403 from now on."""
        with self._world.lock:
            state = self._group_state(group)
            if state.bot_status not in PRESENT:
                raise ValueError(f"the bot is not in chat {group.id}")
            self._change_bot_status(state, by.to_dict(), "kicked")

    def set_bot_admin(
        self, group: FakeChat, admin: bool = True, *, by: FakeUser | None = None
    ) -> None:
        """Promote (or demote) the bot; admins see every message, privacy mode or not."""
        with self._world.lock:
            state = self._group_state(group)
            if state.bot_status not in PRESENT:
                raise ValueError(f"the bot is not in chat {group.id}")
            new = "administrator" if admin else "member"
            if state.bot_status != new:
                self._change_bot_status(state, self._actor(state, by), new)

    def migrate_to_supergroup(self, group: FakeChat, *, by: FakeUser | None = None) -> FakeChat:
        """Upgrade a basic group to a new supergroup and return it.

        The old chat keeps its history and gets `migrate_to_chat_id`; the new one starts with
        `migrate_from_chat_id`; bot calls on the old id answer 400 with migrate_to_chat_id.
        """
        world = self._world
        with world.lock:
            old = self._group_state(group)
            if group.type != "group":
                raise ValueError("only basic groups migrate to supergroups")
            actor = self._actor(old, by)
            chat = FakeChat(
                id=_SUPERGROUP_BASE - next(world.group_ids),
                type="supergroup",
                title=group.title,
            )
            new = world.register_chat(chat)
            new.statuses = dict(old.statuses)
            new.bot_status = old.bot_status
            self._service(old, actor, {"migrate_to_chat_id": chat.id})
            old.migrated_to = chat.id
            self._service(new, actor, {"migrate_from_chat_id": group.id})
            return chat

    # ------------------------------------------------------------------ helpers

    def _group_state(self, group: FakeChat) -> ChatState:
        state = self._world.state_of(group)
        if group.type not in ("group", "supergroup"):
            raise ValueError(f"chat {group.id} is not a group")
        if state.migrated_to is not None:
            raise ValueError(f"group {group.id} became supergroup {state.migrated_to}")
        return state

    def _actor(self, state: ChatState, by: FakeUser | None) -> dict[str, Any]:
        if by is not None:
            return by.to_dict()
        for user_id, status in state.statuses.items():
            if status in ("creator", "administrator"):
                return self._world.users[user_id].to_dict()
        return dict(GROUP_ANONYMOUS_BOT)

    def _service(
        self, state: ChatState, sender: dict[str, Any], service: dict[str, Any]
    ) -> dict[str, Any]:
        message = self._world.store(state, sender, from_bot=False)
        message.service = service
        payload = self._world.message_json(message)
        # Service messages reach the bot whenever it is in the chat, privacy mode or not.
        if state.bot_status in PRESENT:
            self._feed.push("message", payload)
        return payload

    def _change_bot_status(self, state: ChatState, actor: dict[str, Any], status: str) -> None:
        bot = self._world.bot_user()
        old = state.bot_status
        state.bot_status = status
        self._feed.push(
            "my_chat_member",
            {
                "chat": state.chat.to_dict(),
                "from": actor,
                "date": now(),
                "old_chat_member": member_json(old, bot),
                "new_chat_member": member_json(status, bot),
            },
        )
