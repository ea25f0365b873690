//! Vendor text is untrusted markup: it is turned into plain text here, once, and is
//! shown as text everywhere after that. JSON bodies are decoded here too, so every
//! source names what came instead of JSON the same way.

use super::CheckError;

/// Tags that sit inside a sentence; removing them must not split a word.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "code", "em", "font", "i", "mark", "s", "small", "span", "strong", "sub",
    "sup", "u", "var",
];

/// Elements whose content is never text for people.
const HIDDEN_ELEMENTS: &[&str] = &["script", "style", "head", "template"];

/// Strip tags, decode entities and collapse whitespace into single spaces.
pub(crate) fn plain_text(markup: &str) -> String {
    let stripped = strip_tags(markup);
    let decoded = decode_entities(&stripped);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A body that is an HTML document rather than the data asked for: a captive portal,
/// a login page, an error page served with status 200.
pub(crate) fn is_html_page(body: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|ct| media_type(ct) == "text/html") {
        return true;
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// A JSON body into `T`, with errors that say what came instead (a login page, an
/// empty body, a document cut short). `expected` names the document: "not {expected}".
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    content_type: Option<&str>,
    expected: &str,
) -> Result<T, CheckError> {
    let parse_error = |detail: String| CheckError::Parse { detail };
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    // Any JSON value may start the document (a bare count is one); what cannot is an
    // HTML page, plain text or nothing, and those are named rather than parsed.
    let json_start = matches!(
        first,
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    );
    if !json_start {
        return Err(parse_error(format!(
            "expected JSON, got {}",
            describe_unexpected(body, content_type)
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        use serde_json::error::Category;
        parse_error(match e.classify() {
            Category::Eof => format!(
                "the JSON ends early at line {} (truncated response?)",
                e.line()
            ),
            Category::Syntax | Category::Io => format!("invalid JSON: {e}"),
            Category::Data => format!("not {expected}: {e}"),
        })
    })
}

/// How to name a body that is not what was expected, for an error message.
pub(crate) fn describe_unexpected(body: &[u8], content_type: Option<&str>) -> String {
    if is_html_page(body, content_type) {
        format!(
            "an HTML page ({})",
            content_type.map(media_type).unwrap_or("text/html".into())
        )
    } else if body.iter().all(u8::is_ascii_whitespace) {
        "an empty body".to_owned()
    } else {
        match content_type {
            Some(ct) => format!("{} content", media_type(ct)),
            None => "content of no declared type".to_owned(),
        }
    }
}

/// `text/html; charset=utf-8` → `text/html`.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn strip_tags(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    let mut rest = markup;
    let mut hidden_until: Option<String> = None;
    while let Some(start) = rest.find('<') {
        let (text, from_lt) = rest.split_at(start);
        if hidden_until.is_none() {
            out.push_str(text);
        }
        let after = &from_lt[1..];
        let Some(first) = after.chars().next() else {
            // A trailing '<' is a literal character, not a tag.
            if hidden_until.is_none() {
                out.push('<');
            }
            return out;
        };
        if !(first.is_ascii_alphabetic() || matches!(first, '/' | '!' | '?')) {
            if hidden_until.is_none() {
                out.push('<');
            }
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(end) = tag_end(after) else {
            // An unterminated tag swallows the rest: showing half a tag is worse.
            return out;
        };
        let tag = &after[..end];
        rest = &after[end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match &hidden_until {
            Some(hidden) if closing && *hidden == name => hidden_until = None,
            Some(_) => {}
            None if !closing && HIDDEN_ELEMENTS.contains(&name.as_str()) => {
                hidden_until = Some(name);
            }
            None if !INLINE_TAGS.contains(&name.as_str()) => out.push(' '),
            None => {}
        }
    }
    if hidden_until.is_none() {
        out.push_str(rest);
    }
    out
}

/// The index of the `>` that ends a tag, skipping quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let candidate = &rest[start + 1..];
        let decoded = candidate
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .and_then(|(end, _)| entity(&candidate[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &candidate[end + 1..];
            }
            None => {
                out.push('&');
                rest = candidate;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        // NUL and unassigned code points become the replacement character rather than
        // vanishing, so the reader sees that something was there.
        return Some(
            char::from_u32(code)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{fffd}'),
        );
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "deg" => '°',
        "times" => '×',
        "rarr" => '→',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_plain_text() {
        assert_eq!(
            plain_text("<p>Deliveries to <b>TikTok</b> are <em>delayed</em>.</p><p>Next&nbsp;update&hellip;</p>"),
            "Deliveries to TikTok are delayed. Next update…"
        );
    }

    #[test]
    fn block_tags_separate_words() {
        assert_eq!(
            plain_text("one<br>two<br/>three</p><p>four<li>five"),
            "one two three four five"
        );
    }

    #[test]
    fn entities_decode_including_numeric_ones() {
        assert_eq!(
            plain_text("A &amp; B &lt;3 &quot;ok&quot; &#39;x&#39; &#x2019; &#8212; &copy;"),
            "A & B <3 \"ok\" 'x' ’ — ©"
        );
        assert_eq!(plain_text("&#0; &#xFFFFFFFF;"), "\u{fffd} \u{fffd}");
    }

    #[test]
    fn unknown_or_unterminated_entities_stay_as_written() {
        assert_eq!(
            plain_text("AT&T &bogus; & more &amp"),
            "AT&T &bogus; & more &amp"
        );
    }

    #[test]
    fn literal_angle_brackets_are_text() {
        assert_eq!(
            plain_text("latency < 5 s and 3<4 <"),
            "latency < 5 s and 3<4 <"
        );
    }

    #[test]
    fn scripts_styles_and_comments_vanish() {
        assert_eq!(
            plain_text(
                "a<script>alert('<b>x</b>')</script>b<style>p{}</style> c<!-- <b>hidden</b> -->d"
            ),
            "ab cd"
        );
    }

    #[test]
    fn attributes_with_angle_brackets_are_skipped() {
        assert_eq!(
            plain_text(r#"see <a href="https://x.test/?a=1&b=>2" title='>'>the page</a> now"#),
            "see the page now"
        );
    }

    #[test]
    fn an_unterminated_tag_is_dropped() {
        assert_eq!(plain_text("before <a href=\"x"), "before");
    }

    #[test]
    fn whitespace_collapses() {
        assert_eq!(plain_text("  a\n\n\tb   c \r\n"), "a b c");
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn html_pages_are_recognised() {
        assert!(is_html_page(b"{}", Some("text/html; charset=utf-8")));
        assert!(is_html_page(b"\xef\xbb\xbf  <!DOCTYPE html><html>", None));
        assert!(is_html_page(
            b"<HTML><body>Login</body></HTML>",
            Some("application/octet-stream")
        ));
        assert!(!is_html_page(b"{\"page\":{}}", Some("application/json")));
        assert!(!is_html_page(b"<?xml version=\"1.0\"?><rss/>", None));
    }

    #[test]
    fn unexpected_bodies_are_named() {
        assert_eq!(
            describe_unexpected(b"<html>", Some("text/html; charset=UTF-8")),
            "an HTML page (text/html)"
        );
        assert_eq!(
            describe_unexpected(b"<!doctype html>", None),
            "an HTML page (text/html)"
        );
        assert_eq!(
            describe_unexpected(b" \n", Some("application/json")),
            "an empty body"
        );
        assert_eq!(
            describe_unexpected(b"hello", Some("text/plain")),
            "text/plain content"
        );
        assert_eq!(
            describe_unexpected(b"hello", None),
            "content of no declared type"
        );
    }
}
