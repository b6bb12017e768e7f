// Buurtbot playground: phones that talk to the real bot through the playground server.
// No framework, no CDN. Every text from the bot is drawn with DOM nodes (never innerHTML),
// from Telegram's plain text + entities, so nothing the bot or a person sends can inject HTML.
"use strict";

const state = { config: null, phones: [], version: -1, generation: -1, posters: [] };
const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

async function api(path, body) {
  const opts = body instanceof FormData ? { method: "POST", body }
    : body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }
    : {};
  const r = await fetch(path, opts);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// ---------------------------------------------------------------- rich text (entities)

function deepLinkPayload(url) {
  const m = /^https?:\/\/t\.me\/(\w+)\?start=([A-Za-z0-9_-]+)$/.exec(url || "");
  return m && state.config && m[1].toLowerCase() === state.config.bot.username.toLowerCase() ? m[2] : null;
}

function link(phone, url, label) {
  const safe = /^(https?:|mailto:|tg:)/i.test(url) ? url : "#";
  return el("a", {
    href: safe, target: "_blank", rel: "noopener noreferrer",
    onclick: (ev) => {
      const payload = deepLinkPayload(url);
      if (payload) { ev.preventDefault(); phone.sendText(`/start ${payload}`); }
    },
  }, label);
}

function entityNode(phone, e, inner) {
  switch (e.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": return el("span", { class: "spoiler", onclick: (ev) => ev.currentTarget.classList.add("shown") });
    case "text_link": return link(phone, e.url);
    case "url": return link(phone, /^https?:/i.test(inner) ? inner : `https://${inner}`);
    case "email": return link(phone, `mailto:${inner}`);
    case "bot_command": return el("a", { href: "#", class: "cmd", onclick: (ev) => { ev.preventDefault(); phone.sendText(inner.split("@")[0]); } });
    default: return el("span", { class: `e-${e.type}` });
  }
}

// Offsets are UTF-16 code units, like JavaScript strings: no conversion needed.
function renderRich(phone, parent, text, ents, start = 0, end = text.length) {
  const list = ents.filter((e) => e.offset >= start && e.offset + e.length <= end)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  let pos = start;
  for (const e of list) {
    if (e.offset < pos) continue; // nested in the previous one: drawn by the recursion
    if (e.offset > pos) parent.append(text.slice(pos, e.offset));
    const stop = e.offset + e.length;
    const node = entityNode(phone, e, text.slice(e.offset, stop));
    const inner = list.filter((x) => x !== e && x.offset >= e.offset && x.offset + x.length <= stop);
    renderRich(phone, node, text, inner, e.offset, stop);
    parent.append(node);
    pos = stop;
  }
  if (pos < end) parent.append(text.slice(pos, end));
}

// ---------------------------------------------------------------- time

const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "Europe/Brussels" });
const TIME = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Brussels" });

// Like Telegram: the time, with the day when it is not the bot's today.
function stamp(seconds) {
  const d = new Date(seconds * 1000);
  const today = state.clockIso ? DAY.format(new Date(state.clockIso)) : "";
  return DAY.format(d) === today ? TIME.format(d) : `${DAY.format(d)} ${TIME.format(d)}`;
}

function fileSize(n) {
  return n > 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n > 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;
}

// ---------------------------------------------------------------- a phone

class Phone {
  constructor(userId) {
    this.node = $("#phone-template").content.firstElementChild.cloneNode(true);
    this.chat = $(".chat", this.node);
    this.keyboard = $(".keyboard", this.node);
    this.menu = $(".menu", this.node);
    this.input = $(".text", this.node);
    this.toast = $(".toast", this.node);
    this.drawn = "";
    this.lastToast = 0;
    const who = $(".who", this.node);
    for (const p of state.config.people) who.append(el("option", { value: p.id }, p.label));
    who.value = String(userId);
    who.addEventListener("change", () => { this.setUser(Number(who.value)); refresh(); });
    $(".close", this.node).addEventListener("click", () => removePhone(this));
    $(".composer", this.node).addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (text) { this.input.value = ""; this.sendText(text); }
    });
    $(".attach", this.node).addEventListener("click", () => this.toggleMenu("attach"));
    $(".commands", this.node).addEventListener("click", () => this.toggleMenu("commands"));
    $(".photo-file", this.node).addEventListener("change", (ev) => this.upload(ev.target, "photo"));
    $(".voice-file", this.node).addEventListener("change", (ev) => this.upload(ev.target, "voice"));
    this.setUser(userId);
  }

  setUser(userId) {
    this.user = userId;
    this.person = state.config.people.find((p) => p.id === userId);
    this.node.dataset.user = String(userId);
    this.node.classList.toggle("rtl", this.person && this.person.lang === "ar");
    this.drawn = "";
    this.chat.replaceChildren();
    this.hideMenu();
  }

  async act(fn) {
    this.node.classList.add("busy");
    try { await fn(); } catch (err) { this.showToast(String(err.message || err)); }
    finally { this.node.classList.remove("busy"); refresh(); }
  }

  sendText(text) { this.hideMenu(); return this.act(() => api("/api/send", { user: this.user, text })); }
  press(messageId, data) { return this.act(() => api("/api/press", { user: this.user, message_id: messageId, data })); }
  sendLocation(h) { this.hideMenu(); return this.act(() => api("/api/location", { user: this.user, lat: h.lat, lon: h.lon })); }

  async upload(input, kind) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    this.hideMenu();
    const form = new FormData();
    form.append("user", String(this.user));
    form.append("kind", kind);
    if (kind === "photo") { form.append("caption", this.input.value.trim()); this.input.value = ""; }
    if (kind === "voice") form.append("duration", String(await audioDuration(file)));
    form.append("file", file, file.name);
    return this.act(() => api("/api/upload", form));
  }

  toggleMenu(which) {
    if (!this.menu.hidden && this.menu.dataset.kind === which) { this.hideMenu(); return; }
    this.menu.dataset.kind = which;
    this.menu.replaceChildren(...(which === "attach" ? this.attachItems() : this.commandItems()));
    this.menu.hidden = false;
  }

  hideMenu() { this.menu.hidden = true; this.menu.dataset.kind = ""; }

  attachItems() {
    const items = [
      el("button", { type: "button", class: "item", onclick: () => $(".photo-file", this.node).click() }, "🖼 Photo…"),
      el("button", { type: "button", class: "item", onclick: () => $(".voice-file", this.node).click() }, "🎤 Voice note (audio file)…"),
      el("div", { class: "head" }, "📍 Share a location"),
      ...state.config.neighbourhoods.map((h) =>
        el("button", { type: "button", class: "item loc", onclick: () => this.sendLocation(h) }, `📍 ${h.name}`)),
      el("div", { class: "head" }, "📷 Scan a QR poster"),
    ];
    if (!state.posters.length) items.push(el("div", { class: "none" }, "No posters yet (a worker makes one with /newgroup)."));
    for (const p of state.posters) {
      items.push(el("button", { type: "button", class: "item poster", "data-payload": p.payload, dir: "auto",
        onclick: () => this.sendText(`/start ${p.payload}`) }, `📷 ${p.title}`));
    }
    return items;
  }

  commandItems() {
    const cmds = (this.lastChat && this.lastChat.commands) || [];
    if (!cmds.length) return [el("div", { class: "none" }, "No commands.")];
    return cmds.map((c) => el("button", { type: "button", class: "item cmd-item", dir: "auto", onclick: () => this.sendText(`/${c.command}`) },
      el("b", {}, `/${c.command}`), " ", c.description));
  }

  showToast(text) {
    this.toast.textContent = text;
    this.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.toast.hidden = true; }, 3000);
  }

  draw(chat) {
    this.lastChat = chat;
    if (chat.toast && chat.toast.version > this.lastToast) {
      if (this.lastToast) this.showToast(chat.toast.text);
      this.lastToast = chat.toast.version;
    } else if (!this.lastToast) this.lastToast = 1;
    const key = JSON.stringify([chat.messages, chat.keyboard]);
    if (key === this.drawn) return;
    const atBottom = this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 40;
    const grew = !this.drawn || chat.messages.length !== (JSON.parse(this.drawn)[0] || []).length;
    this.drawn = key;
    this.chat.replaceChildren(...chat.messages.map((m) => this.bubble(m)));
    this.drawKeyboard(chat.keyboard);
    if (atBottom || grew) this.chat.scrollTop = this.chat.scrollHeight;
  }

  bubble(m) {
    const b = el("div", { class: `msg ${m.from}`, "data-id": m.id });
    if (m.photo) {
      const src = `/files/${encodeURIComponent(m.photo)}`;
      b.append(el("a", { href: src, target: "_blank", class: "photo" }, el("img", { src, alt: "photo", loading: "lazy" })));
      b.append(el("a", { href: `${src}?download=1`, class: "download" }, "⬇ save photo"));
    }
    if (m.audio) {
      b.append(el("div", { class: "voice" }, "🎤 ", el("audio", { controls: true, preload: "none", src: `/files/${encodeURIComponent(m.audio)}` }),
        m.duration ? ` ${m.duration}s` : ""));
    }
    if (m.document) {
      const src = `/files/${encodeURIComponent(m.document.file_id)}`;
      b.append(el("div", { class: "document" }, "📄 ",
        el("a", { href: src, target: "_blank", class: "doc-open" }, m.document.name), ` · ${fileSize(m.document.size)} · `,
        el("a", { href: `${src}?download=1`, class: "doc-download", download: m.document.name }, "download")));
    }
    if (m.location) {
      b.append(el("div", { class: "location" }, `📍 near ${m.location.near} (${m.location.lat.toFixed(4)}, ${m.location.lon.toFixed(4)})`));
    }
    if (m.text) {
      const t = el("div", { class: "text", dir: "auto" });
      renderRich(this, t, m.text, m.entities || []);
      b.append(t);
    }
    b.append(el("div", { class: "meta" }, m.edited ? "edited " : "", stamp(m.date)));
    if (m.buttons) {
      const kb = el("div", { class: "ikb" });
      for (const row of m.buttons) {
        const r = el("div", { class: "row" });
        for (const btn of row) {
          const attrs = { type: "button", class: "ib", dir: "auto" };
          if (btn.callback_data !== undefined) {
            attrs["data-cb"] = btn.callback_data;
            attrs.onclick = () => this.press(m.id, btn.callback_data);
          } else if (btn.url) {
            attrs.onclick = () => {
              const payload = deepLinkPayload(btn.url);
              if (payload) this.sendText(`/start ${payload}`);
              else window.open(btn.url, "_blank", "noopener");
            };
          }
          r.append(el("button", attrs, btn.text + (btn.url ? " ↗" : "")));
        }
        kb.append(r);
      }
      b.append(kb);
    }
    return b;
  }

  drawKeyboard(rows) {
    this.keyboard.replaceChildren();
    this.keyboard.hidden = !rows || !rows.length;
    for (const row of rows || []) {
      const r = el("div", { class: "row" });
      for (const btn of row) {
        const label = typeof btn === "string" ? btn : btn.text;
        r.append(el("button", { type: "button", class: "kb", dir: "auto", onclick: () => {
          if (btn.request_location) this.toggleMenu("attach");
          else this.sendText(label);
        } }, label));
      }
      this.keyboard.append(r);
    }
  }
}

function audioDuration(file) {
  return new Promise((resolve) => {
    const audio = document.createElement("audio");
    const url = URL.createObjectURL(file);
    const done = (d) => { URL.revokeObjectURL(url); resolve(Number.isFinite(d) && d > 0 ? Math.round(d) : 3); };
    audio.preload = "metadata";
    audio.onloadedmetadata = () => done(audio.duration);
    audio.onerror = () => done(3);
    setTimeout(() => done(3), 1500);
    audio.src = url;
  });
}

// ---------------------------------------------------------------- the page

function addPhone(userId) {
  const phone = new Phone(userId);
  phone.node.id = `phone-${state.phones.length}`;
  state.phones.push(phone);
  $("#phones").append(phone.node);
  return phone;
}

function removePhone(phone) {
  state.phones = state.phones.filter((p) => p !== phone);
  phone.node.remove();
}

function apply(s) {
  if (s.generation !== state.generation) {
    state.generation = s.generation;
    for (const p of state.phones) { p.drawn = ""; p.lastToast = 0; }
  }
  state.version = s.version;
  state.posters = s.posters || [];
  $("#clock").textContent = s.clock.text;
  $("#clock").dataset.iso = s.clock.iso;
  if (state.clockIso !== s.clock.iso) { state.clockIso = s.clock.iso; for (const p of state.phones) p.drawn = ""; }
  for (const p of state.phones) {
    const chat = s.chats[String(p.user)];
    if (chat) p.draw(chat);
  }
  document.body.dataset.version = String(s.version);
}

const users = () => [...new Set(state.phones.map((p) => p.user))].join(",");

async function refresh() {
  try { apply(await api(`/api/state?users=${users()}`)); } catch (err) { console.warn(err); }
}

async function poll() {
  for (;;) {
    try {
      apply(await api(`/api/state?since=${state.version}&wait=20&users=${users()}`));
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function clock(action, button) {
  button.disabled = true;
  try { await api("/api/clock", { action }); } catch (err) { alert(err.message); }
  finally { button.disabled = false; refresh(); }
}

async function main() {
  state.config = await api("/api/config");
  const f = state.config.features;
  $("#features").textContent = f.length ? `Features on: ${f.join(", ")}` : "Core bot (joining, groups, languages); no extra features registered.";
  for (const id of state.config.default_phones) addPhone(id);
  for (const b of document.querySelectorAll("#clock-box button")) b.addEventListener("click", () => clock(b.dataset.action, b));
  $("#add-phone").addEventListener("click", () => { addPhone(state.config.people[state.phones.length % state.config.people.length].id); refresh(); });
  $("#reset").addEventListener("click", async (ev) => {
    ev.target.disabled = true;
    document.body.classList.add("resetting");
    try { await api("/api/reset", {}); state.config = await api("/api/config"); }
    finally { ev.target.disabled = false; document.body.classList.remove("resetting"); refresh(); }
  });
  await refresh();
  document.body.classList.add("ready");
  poll();
}

main();
