// Buurtbot playground: phones that talk to the real bot through the playground server.
// No framework, no CDN. Every text from the bot is drawn with DOM nodes (never innerHTML),
// from Telegram's plain text + entities, so nothing the bot or a person sends can inject HTML.
"use strict";

const state = { config: null, phones: [], version: -1, generation: -1, posters: [], lang: "en" };
const $ = (sel, root = document) => root.querySelector(sel);

// ---------------------------------------------------------------- the page's own language

const LANG_KEY = "buurtbot-playground-lang";

// ?lang=fr in the address, else the last choice on this computer, else the browser's languages
// (nl-BE → nl), else English.
function initialLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  let stored = null;
  try { stored = localStorage.getItem(LANG_KEY); } catch (err) { /* storage off: fine */ }
  for (const tag of [asked, stored, ...(navigator.languages || []), navigator.language]) {
    const primary = String(tag || "").toLowerCase().split("-")[0];
    if (PAGE_LANGS.includes(primary)) return primary;
  }
  return "en";
}

function t(key, vars = {}) {
  const text = (PAGE_TEXT[state.lang] || {})[key] ?? PAGE_TEXT.en[key] ?? key;
  return typeof text === "string" ? text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? "")) : text;
}

// Fills data-t (text), data-t-title, data-t-placeholder and data-t-aria-label under ``root``.
function translate(root = document) {
  for (const n of root.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  for (const attr of ["title", "placeholder", "aria-label"]) {
    for (const n of root.querySelectorAll(`[data-t-${attr}]`)) n.setAttribute(attr, t(n.getAttribute(`data-t-${attr}`)));
  }
}

function personLabel(p) {
  return `${p.name} – ${t("roles")[p.role] || p.role} (${p.lang})`;
}

// The guide: one chip per story; the chosen story's steps on the line below.
function drawGuide() {
  const stories = t("guide");
  state.story = Math.min(state.story || 0, stories.length - 1);
  $("#guide-list").replaceChildren(...stories.map(([title], i) => el("li", {},
    el("button", { type: "button", class: "story", "aria-pressed": String(i === state.story),
      onclick: () => { state.story = i; drawGuide(); } }, title))));
  $("#guide-steps").textContent = stories[state.story][1];
}

function setLang(lang, remember = true) {
  state.lang = PAGE_LANGS.includes(lang) ? lang : "en";
  if (remember) { try { localStorage.setItem(LANG_KEY, state.lang); } catch (err) { /* fine */ } }
  document.documentElement.lang = state.lang;
  document.title = t("title");
  for (const b of document.querySelectorAll("#langs button")) b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  translate();
  drawGuide();
  for (const p of state.phones) p.relabel();
  if (state.clockIso) $("#clock").textContent = clockText(state.clockIso);
  for (const p of state.phones) p.drawn = "";
  if (state.config) refresh();
}

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

const TZ = "Europe/Brussels";
const LOCALE = { nl: "nl-BE", fr: "fr-BE", en: "en-GB" };
const formats = {};
function fmt(kind) {
  const key = `${state.lang}:${kind}`;
  if (!formats[key]) {
    const opts = {
      day: { day: "numeric", month: "short", timeZone: TZ },
      time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TZ },
      clock: { weekday: "short", day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TZ },
    }[kind];
    formats[key] = new Intl.DateTimeFormat(LOCALE[state.lang] || "en-GB", opts);
  }
  return formats[key];
}

// The bot's clock as "Mon 02 Mar 2026, 09:00" (en), "ma 02 mrt 2026, 09:00" (nl), ...
function clockText(iso) {
  const parts = Object.fromEntries(fmt("clock").formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute}`;
}

// Like Telegram: the time, with the day when it is not the bot's today.
function stamp(seconds) {
  const d = new Date(seconds * 1000);
  const today = state.clockIso ? fmt("day").format(new Date(state.clockIso)) : "";
  const day = fmt("day").format(d);
  return day === today ? fmt("time").format(d) : `${day} ${fmt("time").format(d)}`;
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
    // Follow the newest message unless the person scrolled up to read; images that load later
    // (a photo just sent, a QR poster) keep it followed.
    this.stick = true;
    this.chat.addEventListener("scroll", () => {
      this.stick = this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 40;
    });
    this.chat.addEventListener("load", () => { if (this.stick) this.toBottom(); }, true);
    translate(this.node);
    const who = $(".who", this.node);
    for (const p of state.config.people) who.append(el("option", { value: p.id }, personLabel(p)));
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

  relabel() {
    translate(this.node);
    for (const o of this.node.querySelectorAll(".who option")) {
      const p = state.config.people.find((x) => String(x.id) === o.value);
      if (p) o.textContent = personLabel(p);
    }
    if (!this.menu.hidden) this.toggleMenu(this.menu.dataset.kind, true);
  }

  toBottom() { this.chat.scrollTop = this.chat.scrollHeight; this.stick = true; }

  setUser(userId) {
    this.user = userId;
    this.person = state.config.people.find((p) => p.id === userId);
    this.node.dataset.user = String(userId);
    this.node.classList.toggle("rtl", this.person && this.person.lang === "ar");
    this.drawn = "";
    this.stick = true;
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

  toggleMenu(which, redraw = false) {
    if (!redraw && !this.menu.hidden && this.menu.dataset.kind === which) { this.hideMenu(); return; }
    this.menu.dataset.kind = which;
    this.menu.replaceChildren(...(which === "attach" ? this.attachItems() : this.commandItems()));
    this.menu.hidden = false;
  }

  hideMenu() { this.menu.hidden = true; this.menu.dataset.kind = ""; }

  attachItems() {
    const items = [
      el("button", { type: "button", class: "item", onclick: () => $(".photo-file", this.node).click() }, t("photo")),
      el("button", { type: "button", class: "item", onclick: () => $(".voice-file", this.node).click() }, t("voice")),
      el("div", { class: "head" }, t("shareLocation")),
      ...state.config.neighbourhoods.map((h) =>
        el("button", { type: "button", class: "item loc", onclick: () => this.sendLocation(h) }, `📍 ${h.name}`)),
      el("div", { class: "head" }, t("scan")),
    ];
    if (!state.posters.length) items.push(el("div", { class: "none" }, t("noPosters")));
    for (const p of state.posters) {
      items.push(el("button", { type: "button", class: "item poster", "data-payload": p.payload, dir: "auto",
        onclick: () => this.sendText(`/start ${p.payload}`) }, `📷 ${p.title}`));
    }
    return items;
  }

  commandItems() {
    const cmds = (this.lastChat && this.lastChat.commands) || [];
    if (!cmds.length) return [el("div", { class: "none" }, t("noCommands"))];
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
    const atBottom = this.stick || this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 40;
    const grew = !this.drawn || chat.messages.length !== (JSON.parse(this.drawn)[0] || []).length;
    this.drawn = key;
    this.chat.replaceChildren(...chat.messages.map((m) => this.bubble(m)));
    this.drawKeyboard(chat.keyboard);
    if (atBottom || grew) this.toBottom();
  }

  bubble(m) {
    const b = el("div", { class: `msg ${m.from}`, "data-id": m.id });
    if (m.photo) {
      const src = `/files/${encodeURIComponent(m.photo)}`;
      b.append(el("a", { href: src, target: "_blank", class: "photo" }, el("img", { src, alt: "photo", loading: "lazy" })));
      b.append(el("a", { href: `${src}?download=1`, class: "download" }, t("savePhoto")));
    }
    if (m.audio) {
      b.append(el("div", { class: "voice" }, "🎤 ", el("audio", { controls: true, preload: "none", src: `/files/${encodeURIComponent(m.audio)}` }),
        m.duration ? ` ${m.duration}s` : ""));
    }
    if (m.document) {
      const src = `/files/${encodeURIComponent(m.document.file_id)}`;
      b.append(el("div", { class: "document" }, "📄 ",
        el("a", { href: src, target: "_blank", class: "doc-open" }, m.document.name), ` · ${fileSize(m.document.size)} · `,
        el("a", { href: `${src}?download=1`, class: "doc-download", download: m.document.name }, t("download"))));
    }
    if (m.location) {
      b.append(el("div", { class: "location" }, `📍 ${t("near", { place: m.location.near })} (${m.location.lat.toFixed(4)}, ${m.location.lon.toFixed(4)})`));
    }
    if (m.text) {
      const t = el("div", { class: "text", dir: "auto" });
      renderRich(this, t, m.text, m.entities || []);
      b.append(t);
    }
    b.append(el("div", { class: "meta" }, m.edited ? `${t("edited")} ` : "", stamp(m.date)));
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
  $(".num", phone.node).textContent = String(state.phones.length + 1);
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
  $("#clock").textContent = clockText(s.clock.iso);
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
  setLang(initialLang(), false);
  for (const b of document.querySelectorAll("#langs button")) b.addEventListener("click", () => setLang(b.dataset.lang));
  state.config = await api("/api/config");
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
