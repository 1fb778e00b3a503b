// Simplified Chinese (default) and English. The strings live in /static/i18n/strings.json,
// {"zh": {key: text}, "en": {key: text}}; "{name}" in a text is filled from vars.
// Elements carry their key: data-i18n (text), data-i18n-placeholder, data-i18n-title,
// data-i18n-aria-label; applyI18n() fills them, and again on every language switch. A text
// with "{name}" in it takes its vars from data-i18n-vars (JSON), so that it too relanguages.

export const LANGS = ["zh", "en"];
export const DEFAULT_LANG = "zh";
const STORE_KEY = "eldercare.lang";

let strings = { zh: {}, en: {} };
let lang = DEFAULT_LANG;
const listeners = new Set();

export function useStrings(dicts) {
  strings = dicts;
}

export async function loadStrings(url = "/static/i18n/strings.json") {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`strings: HTTP ${response.status}`);
  useStrings(await response.json());
}

export function getLang() {
  return lang;
}

/** The language remembered in localStorage, else Chinese. */
export function storedLang() {
  try {
    const saved = globalThis.localStorage?.getItem(STORE_KEY);
    return LANGS.includes(saved) ? saved : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage blocked (private mode): Chinese
  }
}

export function setLang(next, { remember = true } = {}) {
  lang = LANGS.includes(next) ? next : DEFAULT_LANG;
  if (remember) {
    try {
      globalThis.localStorage?.setItem(STORE_KEY, lang);
    } catch {
      // not remembered, still switched
    }
  }
  if (typeof document !== "undefined") {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    applyI18n(document);
  }
  for (const listener of listeners) listener(lang);
}

export function onLangChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The text of key in the current language, with {name} filled from vars. */
export function t(key, vars = {}) {
  const text = strings[lang]?.[key] ?? strings[DEFAULT_LANG]?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether there is a text for key in the current language. */
export function known(key) {
  return strings[lang]?.[key] !== undefined;
}

/** The name of a code in a group ("kind", "severity", ...); the raw code when unknown. */
export function named(group, code) {
  if (code === null || code === undefined || code === "") return "";
  return strings[lang]?.[`${group}.${code}`] ?? String(code);
}

/** A name inside a Chinese sentence: Latin names are set off with spaces, Han ones not. */
export function inline(name) {
  const text = String(name ?? "");
  return lang === "zh" && /^[\x00-\x7f]+$/.test(text) ? ` ${text} ` : text;
}

const ATTRS = [
  ["i18nPlaceholder", "placeholder"],
  ["i18nTitle", "title"],
  ["i18nAriaLabel", "aria-label"],
];

/** The vars an element keeps for its text (data-i18n-vars, JSON), or none. */
function varsOf(el) {
  try {
    return el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {};
  } catch {
    return {};
  }
}

export function applyI18n(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n, varsOf(el));
  for (const [data, attr] of ATTRS) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const el of root.querySelectorAll(selector)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

/** The 中文/EN button: shows the other language, switches on click. */
export function bindLangToggle(button) {
  const show = () => {
    button.textContent = t("lang.switch");
    button.title = t("lang.switch_title");
    button.setAttribute("lang", lang === "zh" ? "en" : "zh-CN");
  };
  button.addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  onLangChange(show);
  show();
}
