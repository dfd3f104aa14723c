// The sandbox chat page. Everything from the server is placed with textContent or built
// element by element from an allow-list, never through innerHTML.
"use strict";

const ui = {
  person: new URLSearchParams(location.search).get("person") || "anna",
  chat: new URLSearchParams(location.search).get("chat") || "private",
  state: null,
  source: null,
  replyTo: null,
  picker: null,
  chosenSamples: [],
  upload: null,
  seenAnswers: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key.startsWith("data")) node.setAttribute(key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// ---------------------------------------------------------------- rich text (Telegram HTML)

const RICH_TAGS = { b: "b", i: "i", u: "u", s: "s", code: "code", pre: "pre", a: "a",
  blockquote: "blockquote", spoiler: "span", emoji: "span" };
const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

function richNodes(nodes) {
  const out = [];
  for (const node of nodes) {
    if (typeof node === "string") { out.push(document.createTextNode(node)); continue; }
    const tag = RICH_TAGS[node.t];
    if (!tag) { out.push(...richNodes(node.c || [])); continue; }
    const element = document.createElement(tag);
    if (node.t === "spoiler") element.className = "spoiler";
    if (node.t === "a" && typeof node.href === "string" && SAFE_LINK.test(node.href)) {
      element.href = node.href;
      element.target = "_blank";
      element.rel = "noopener noreferrer";
    }
    element.append(...richNodes(node.c || []));
    out.push(element);
  }
  return out;
}

// ---------------------------------------------------------------- server

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `request failed (${response.status})`);
  showError(null);
  return answer;
}

function showError(text) {
  $("error").hidden = !text;
  $("error").textContent = text || "";
}

function connect() {
  if (ui.source) ui.source.close();
  ui.source = new EventSource(`/api/events?person=${encodeURIComponent(ui.person)}`);
  ui.source.onmessage = (event) => render(JSON.parse(event.data));
}

function currentChat() {
  return ui.state && ui.state.chats.find((chat) => chat.key === ui.chat);
}

// ---------------------------------------------------------------- rendering

function render(state) {
  ui.state = state;
  renderPeople(state);
  renderChatList(state);
  renderChat(currentChat());
  renderPanel(state.plantid);
  renderToasts(state.answers);
  if (!$("samples").childElementCount) renderPickerChoices(state);
  document.body.dataset.ready = "true";
}

function renderPeople(state) {
  const select = $("person");
  if (select.childElementCount) { select.value = ui.person; return; }
  for (const person of state.people) {
    select.append(el("option", { value: person.key }, `${person.name} (${person.language})`));
  }
  select.value = ui.person;
}

function renderChatList(state) {
  const list = $("chat-list");
  list.replaceChildren(...state.chats.map((chat) => el("button", {
    type: "button",
    class: "chat-item" + (chat.key === ui.chat ? " active" : ""),
    dataChat: chat.key,
    onclick: () => { ui.chat = chat.key; setReply(null); closePicker(); render(ui.state); },
  }, chat.title, el("small", {}, chat.subtitle))));
}

function renderChat(chat) {
  if (!chat) return;
  $("chat-title").textContent = chat.title;
  $("chat-subtitle").textContent = chat.subtitle;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const items = [];
  let albumBox = null;
  let albumId = null;
  for (const message of chat.messages) {
    if (message.album && message.album === albumId && albumBox) {
      albumBox.append(photoNode(message));
      continue;
    }
    const node = messageNode(message, chat);
    albumId = message.album;
    albumBox = node.querySelector(".photos");
    items.push(node);
  }
  if (!items.length) items.push(el("div", { class: "empty" }, "No messages here yet. Say hello or send a photo."));
  box.replaceChildren(...items);
  if (atBottom) box.scrollTop = box.scrollHeight;
  renderReplyKeyboard(chat.keyboard);
}

function photoNode(message) {
  if (message.photo) return el("img", { src: message.photo, alt: "photo", loading: "lazy" });
  return el("div", { class: "photo-missing" }, "🖼 photo");
}

function messageNode(message, chat) {
  const mine = !message.from_bot && message.sender === personName();
  const bubble = el("div", { class: "bubble" });
  if (chat.key !== "private" || message.from_bot) {
    bubble.append(el("div", { class: "sender" }, message.sender));
  }
  if (message.reply_to) {
    bubble.append(el("div", { class: "quote", title: `message #${message.reply_to.id}` }, message.reply_to.preview));
  }
  if (message.photo !== null) bubble.append(el("div", { class: "photos" }, photoNode(message)));
  if (message.document) bubble.append(el("div", { class: "document" }, "📄", message.document));
  if (message.location) {
    const [lat, lon] = message.location;
    bubble.append(el("div", { class: "location" }, "📍", `${lat.toFixed(5)}, ${lon.toFixed(5)}`));
  }
  if (message.text.length) bubble.append(el("div", { class: "text" }, ...richNodes(message.text)));
  bubble.append(el("div", { class: "meta" },
    message.edited ? el("span", { class: "edited" }, "edited") : null,
    el("span", {}, `#${message.id}`),
    el("button", { type: "button", class: "reply-button", onclick: () => setReply(message) }, "↩ reply")));
  const node = el("div", {
    class: `message ${message.from_bot ? "bot" : "person"}${mine ? " mine" : ""}`,
    dataId: String(message.id),
  }, bubble);
  if (message.buttons.length) node.append(keyboardNode(message));
  return node;
}

function keyboardNode(message) {
  return el("div", { class: "inline-keyboard" }, ...message.buttons.map((row) => el("div", { class: "row" },
    ...row.map((button) => button.url
      ? el("a", { href: SAFE_LINK.test(button.url) ? button.url : "#", target: "_blank", rel: "noopener noreferrer" }, button.text)
      : el("button", { type: "button", onclick: () => press(message, button) }, button.text)))));
}

function renderReplyKeyboard(keyboard) {
  const box = $("reply-keyboard");
  box.hidden = !keyboard;
  if (!keyboard) { box.replaceChildren(); return; }
  box.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "row" }, ...row.map((button) => el("button", {
    type: "button",
    onclick: () => button.location ? openPicker("location") : send({ kind: "text", text: button.text }),
  }, button.location ? `📍 ${button.text}` : button.text)))));
}

function personName() {
  const person = ui.state.people.find((p) => p.key === ui.person);
  return person ? person.name : "";
}

function renderPanel(panel) {
  if (document.activeElement !== $("delay")) $("delay").value = panel.delay === null ? "" : panel.delay;
  $("hold").checked = panel.delay === null;
  $("delay").disabled = panel.delay === null;
  for (const box of document.querySelectorAll("[data-switch]")) box.checked = panel.switches[box.dataset.switch];
  $("credits").textContent = panel.credits_left === null ? "unlimited" : String(panel.credits_left);
  $("pending").replaceChildren(...panel.pending.map((item) => el("li", { dataId: String(item.id) },
    el("span", {}, `#${item.id}`, item.due_in === null ? " (held)" : ` (ready in ${item.due_in} s)`),
    el("button", { type: "button", class: "finish", onclick: () => plantid({ action: "finish", id: item.id }) }, "Finish now"))));
  if (!panel.pending.length) $("pending").append(el("li", { class: "none" }, "none"));
  $("journal").replaceChildren(...panel.journal.map((entry) => {
    const status = entry.status === null ? "…" : String(entry.status);
    const good = entry.status !== null && entry.status < 300;
    const details = Object.entries(entry.details).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
    return el("li", { title: entry.path },
      el("span", { class: `status ${good ? "good" : "bad"}` }, status), " ",
      `${entry.method} ${entry.endpoint}`,
      details ? el("div", { class: "details" }, details) : null);
  }));
}

function renderToasts(answers) {
  if (ui.seenAnswers === null) { ui.seenAnswers = new Set(answers.map((a) => a.id)); return; }
  for (const answer of answers) {
    if (ui.seenAnswers.has(answer.id)) continue;
    ui.seenAnswers.add(answer.id);
    if (!answer.text) continue;
    if (answer.alert) {
      const toast = el("div", { class: "toast alert", role: "alertdialog" }, el("div", {}, answer.text));
      toast.append(el("button", { type: "button", class: "primary", onclick: () => toast.remove() }, "OK"));
      $("toasts").append(toast);
    } else {
      const toast = el("div", { class: "toast", role: "status" }, answer.text);
      $("toasts").append(toast);
      setTimeout(() => toast.remove(), 4000);
    }
  }
}

// ---------------------------------------------------------------- acting

async function send(message) {
  try {
    await post("/api/send", { person: ui.person, chat: ui.chat, reply_to: ui.replyTo, ...message });
    setReply(null);
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

async function press(message, button) {
  try {
    await post("/api/press", { person: ui.person, chat: ui.chat, message_id: message.id, data: button.data });
  } catch (error) {
    showError(error.message);
  }
}

async function plantid(body) {
  try { await post("/api/plantid", body); } catch (error) { showError(error.message); }
}

function setReply(message) {
  ui.replyTo = message ? message.id : null;
  $("reply-bar").hidden = !message;
  if (message) {
    const preview = message.text.length ? textOf(message.text) : (message.photo !== null ? "photo" : "message");
    $("reply-preview").textContent = preview.slice(0, 60);
    $("text").focus();
  }
}

function textOf(nodes) {
  return nodes.map((n) => typeof n === "string" ? n : textOf(n.c || [])).join("");
}

// ---------------------------------------------------------------- picker (photo, album, file, location)

const PICKER_TITLES = {
  photo: "Send a photo: pick a sample or upload one",
  album: "Send an album: pick 2 to 10 samples",
  document: "Send an image as a file",
  location: "Share a location: pick a place or type coordinates",
};

function renderPickerChoices(state) {
  $("samples").replaceChildren(...state.samples.map((sample) => el("button", {
    type: "button", class: "sample", dataSample: sample.name, title: sample.label,
    onclick: () => chooseSample(sample.name),
  }, el("img", { src: sample.url, alt: sample.label }), sample.label)));
  $("places").replaceChildren(...state.places.map((place) => el("button", {
    type: "button", dataPlace: place.name,
    onclick: () => {
      $("latitude").value = place.latitude;
      $("longitude").value = place.longitude;
    },
  }, place.name)));
}

function chooseSample(name) {
  if (ui.picker === "album") {
    const at = ui.chosenSamples.indexOf(name);
    if (at >= 0) ui.chosenSamples.splice(at, 1); else ui.chosenSamples.push(name);
  } else {
    ui.chosenSamples = [name];
  }
  ui.upload = null;
  $("upload").value = "";
  for (const button of document.querySelectorAll(".sample")) {
    button.classList.toggle("selected", ui.chosenSamples.includes(button.dataset.sample));
  }
}

function openPicker(kind) {
  ui.picker = kind;
  ui.chosenSamples = [];
  ui.upload = null;
  $("picker").hidden = false;
  $("picker").dataset.kind = kind;
  $("picker-title").textContent = PICKER_TITLES[kind];
  $("picker-images").hidden = kind === "location";
  $("picker-location").hidden = kind !== "location";
  $("upload").multiple = kind === "album";
  $("upload").value = "";
  $("caption").value = "";
  for (const button of document.querySelectorAll(".sample")) button.classList.remove("selected");
}

function closePicker() {
  ui.picker = null;
  $("picker").hidden = true;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ data: reader.result, file_name: file.name });
    reader.onerror = () => reject(new Error("the file could not be read"));
    reader.readAsDataURL(file);
  });
}

async function sendFromPicker() {
  const kind = ui.picker;
  if (kind === "location") {
    const ok = await send({ kind: "location", latitude: $("latitude").value, longitude: $("longitude").value });
    if (ok) closePicker();
    return;
  }
  let images = ui.chosenSamples.map((name) => ({ sample: name, file_name: `${name}.jpg` }));
  const files = Array.from($("upload").files || []);
  if (files.length) images = await Promise.all(files.map(readFile));
  if (!images.length) { showError("pick a sample or a file first"); return; }
  const caption = $("caption").value || null;
  const message = kind === "album"
    ? { kind: "album", images, caption }
    : { kind, image: images[0], caption };
  if (await send(message)) closePicker();
}

// ---------------------------------------------------------------- wiring

$("person").addEventListener("change", (event) => {
  ui.person = event.target.value;
  ui.seenAnswers = null;
  setReply(null);
  connect();
});
$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  if (await send({ kind: "text", text })) $("text").value = "";
});
$("attach-photo").addEventListener("click", () => openPicker("photo"));
$("attach-album").addEventListener("click", () => openPicker("album"));
$("attach-file").addEventListener("click", () => openPicker("document"));
$("attach-location").addEventListener("click", () => openPicker("location"));
$("picker-close").addEventListener("click", closePicker);
$("picker-send").addEventListener("click", sendFromPicker);
$("upload").addEventListener("change", () => {
  ui.chosenSamples = [];
  for (const button of document.querySelectorAll(".sample")) button.classList.remove("selected");
});
$("reply-cancel").addEventListener("click", () => setReply(null));
$("delay").addEventListener("change", () => plantid({ action: "delay", delay: $("delay").value }));
$("hold").addEventListener("change", () => plantid({ action: "delay", delay: $("hold").checked ? null : ($("delay").value || 3) }));
for (const box of document.querySelectorAll("[data-switch]")) {
  box.addEventListener("change", () => plantid({ action: "switches", switches: { [box.dataset.switch]: box.checked } }));
}
$("finish-all").addEventListener("click", () => plantid({ action: "finish_all" }));

connect();
