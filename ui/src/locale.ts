// Imported for its effect, before uPlot: uPlot builds `new Intl.NumberFormat(
// navigator.language)` when it loads. Under a POSIX locale (LANG=C, common on servers,
// minimal desktops and CI) WebKit reports the language "C", which Intl rejects with a
// RangeError, and the whole page would fail to load. Such a language is replaced by the
// locale Intl itself falls back to; a valid one is left alone.

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length > 0;
  } catch {
    return false;
  }
}

if (!isLanguageTag(navigator.language)) {
  const fallback = new Intl.NumberFormat().resolvedOptions().locale;
  Object.defineProperty(navigator, "language", { value: fallback, configurable: true });
}
