// Times and durations as people read them, in the user's locale and time zone.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

const zonedFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});
const zonedTimeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

/**
 * A moment with the user's time zone stated, as the zone's abbreviation or its UTC
 * offset: "17 Nov 2025, 14:05 CET"; `timeOnly` drops the date ("14:05 CET").
 */
export function zonedTime(t: string | number | Date, timeOnly = false): string {
  return (timeOnly ? zonedTimeFormat : zonedFormat).format(new Date(t));
}

/** The user's time zone at a moment, as `zonedTime` names it: "CET", "GMT+1", "UTC". */
export function zoneName(t: number | Date = new Date()): string {
  return zonedTimeFormat.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value ?? "";
}

/** A running duration to the second: "12 s", "4 min 12 s", "2 h 5 min", "3 d 4 h". */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return `${minutes} min ${seconds} s`;
  return `${seconds} s`;
}

/** A wait as people say it, rounded up to the minute: "1 min", "2 h 5 min", "3 d 4 h". */
export function roughDuration(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return rest > 0 ? `${hours} h ${rest} min` : `${hours} h`;
  return `${rest} min`;
}

const wholeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const smallFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** An event count; expectations are fractional, and below 10 a tenth still matters. */
export function count(n: number): string {
  return (Math.abs(n) < 10 ? smallFormat : wholeFormat).format(n);
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "17 Nov, 14:05" on other days. */
export function shortTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  return sameDay(d, now) ? timeFormat.format(d) : dateTimeFormat.format(d);
}

/** The unambiguous form, for tooltips and screen readers. */
export function fullTime(iso: string): string {
  return fullFormat.format(new Date(iso));
}

/** "just now", "3 min ago", "2 h ago", "4 d ago". */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** The local calendar day of a time, as a sortable key "2026-01-17". */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "Today", "Yesterday", or "Saturday, 17 January 2026". */
export function dayHeading(key: string, now: Date = new Date()): string {
  const [y, m, d] = key.split("-").map(Number);
  const day = new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  if (sameDay(day, now)) return "Today";
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (sameDay(day, yesterday)) return "Yesterday";
  return dayFormat.format(day);
}

/** Sentence case for labels that the engine gives in lower case. */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const CURRENCY_SYMBOL: Record<string, string> = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };
const NO_MINOR_UNIT = new Set(["JPY", "KRW", "ISK", "CLP", "VND"]);
const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, useGrouping: true });

/**
 * An amount as the engine's summaries write it (src/impact/money.rs), so that a table
 * and the figure above it agree: "$1,240", "$64.50", "€980", "1,240 CHF". From 100 up,
 * cents are noise and are dropped (an estimate is not an invoice).
 */
export function money(amount: number, currency: string): string {
  if (!Number.isFinite(amount)) return `? ${currency}`;
  const cents = Math.round(Math.abs(amount) * 100);
  const number =
    NO_MINOR_UNIT.has(currency) || cents >= 10_000
      ? grouped.format(Math.round(Math.abs(amount)))
      : cents % 100 === 0
        ? grouped.format(cents / 100)
        : `${grouped.format(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, "0")}`;
  const sign = amount < 0 && number !== "0" ? "-" : "";
  const symbol = CURRENCY_SYMBOL[currency];
  return symbol ? `${sign}${symbol}${number}` : `${sign}${number} ${currency}`;
}

/** A share from 0 to 1 as the engine writes it: "97%"; a sliver that rounds to 0% is "<1%". */
export function percent(share: number): string {
  const p = share * 100;
  return p > 0 && p < 0.5 ? "<1%" : `${Math.round(p)}%`;
}
