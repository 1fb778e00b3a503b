// What the API refused, in the reader's words. The API answers in English for the programs
// that call it, with what a program can read beside it: a `code` ("absence_over"), or for
// a request that does not fit its schema a list of problems, each with where (`loc`, e.g.
// ["body", "resident", "birth_year"]), what kind (`type`, e.g. "less_than_equal") and its
// limits (`ctx`, e.g. {le: 2026}). The pages say those in the chosen language and name the
// field as the form labels it; what they have no words for keeps the API's own.

import { known, t } from "./i18n.js";

/**
 * The sentence for `error` (an ApiError, or a sentence already). `fields` maps a field's
 * path or name ("resident/name", "timezone") to the i18n key of its label.
 */
export function explain(error, fields = {}) {
  if (!error?.status) return String(error?.message ?? error ?? "");
  if (error.code && known(`error.${error.code}`)) return t(`error.${error.code}`);
  if (error.problems?.length) return error.problems.map((p) => problem(p, fields)).join(t("error.sep"));
  return error.detail || error.message;
}

function problem(p, fields) {
  const path = (p.loc ?? []).filter((part) => typeof part === "string" && !["body", "path", "query"].includes(part));
  const name = path.at(-1) ?? "";
  const key = fields[path.join("/")] ?? fields[name];
  const field = key ? t(key) : name;
  const input = typeof p.input === "object" ? "" : String(p.input ?? "");
  const vars = { ...(p.ctx ?? {}), field, input, msg: p.msg ?? "" };
  for (const candidate of [`error.${name}.${p.type}`, `error.${p.type}`]) {
    if (known(candidate)) return t(candidate, vars);
  }
  return field ? t("error.field", vars) : p.msg ?? "";
}
