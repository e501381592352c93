//! Scrubbing secrets from error text.
//!
//! A server may echo what it received, and not always verbatim: the form body
//! of the token request, a header, a JSON copy, an upper-cased copy. Each
//! secret is therefore looked for character by character in every spelling
//! such an echo uses: the character itself, percent-encoded (either hex case;
//! `+` for a space), JSON-escaped (`\"`, `\\`, `\/`, `\n`, `\u00XX`, surrogate
//! pairs), in any letter case, and any mix of these.
//!
//! A match is widened to the whole whitespace-separated words it touches, and
//! those are replaced by one [`REDACTED`]: where a replacement starts and ends
//! says nothing about the secret, and a short secret cannot cut a host name in
//! two. Texts are shortened ([`scrub`]) only after that, so that no cut can
//! leave a secret's prefix behind.

use crate::types::{ApiFailure, Error, JourneyStatus};

/// What replaces the words that held a secret.
pub const REDACTED: &str = "[redacted]";

/// The longest text an error keeps, in characters; server text beyond it is
/// dropped once secrets are redacted.
pub const MAX_TEXT_CHARS: usize = 1000;

/// Redacts `secrets` from every text of `error` ([`redact`]), then shortens
/// each text to [`MAX_TEXT_CHARS`]. The last step before an error leaves the
/// client.
pub fn scrub(error: Error, secrets: &[&str]) -> Error {
    let mut error = redact(error, secrets);
    for_each_text(&mut error, &mut |text| {
        if let Some((end, _)) = text.char_indices().nth(MAX_TEXT_CHARS) {
            text.truncate(end);
        }
    });
    error
}

/// Replaces, in every text of `error`, each word that holds one of `secrets`
/// in any spelling by [`REDACTED`]. Secrets are looked for without the
/// whitespace around them, which an echo may have trimmed; blank ones are
/// ignored.
pub fn redact(mut error: Error, secrets: &[&str]) -> Error {
    let patterns: Vec<Pattern> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(Pattern::new)
        .collect();
    if !patterns.is_empty() {
        for_each_text(&mut error, &mut |text| redact_text(text, &patterns));
    }
    error
}

/// A secret as the spellings of each of its characters, case-folded.
struct Pattern {
    units: Vec<Vec<Vec<char>>>,
    /// The first folded character of each spelling of the first character.
    first: Vec<char>,
}

impl Pattern {
    /// The pattern of a non-empty `secret`.
    fn new(secret: &str) -> Self {
        let units: Vec<Vec<Vec<char>>> = secret.chars().map(spellings).collect();
        let first = units
            .first()
            .into_iter()
            .flatten()
            .filter_map(|spelling| spelling.first().copied())
            .collect();
        Self { units, first }
    }

    /// Where a match starting at `start`, whose folded character is
    /// `first`, ends, if one does (the furthest end). `scratch` holds the
    /// positions reached so far.
    fn match_at(
        &self,
        text: &str,
        start: Cursor,
        first: char,
        scratch: &mut Scratch,
    ) -> Option<Cursor> {
        if !self.first.contains(&first) {
            return None;
        }
        let Scratch { ends, next } = scratch;
        ends.clear();
        ends.push(start);
        for spellings in &self.units {
            next.clear();
            for &at in ends.iter() {
                for spelling in spellings {
                    if let Some(end) = spelled_at(text, at, spelling)
                        && !next.contains(&end)
                    {
                        next.push(end);
                    }
                }
            }
            if next.is_empty() {
                return None;
            }
            std::mem::swap(ends, next);
        }
        ends.iter().max().copied()
    }
}

/// The positions a match has reached, kept between matches to spare
/// allocations.
#[derive(Default)]
struct Scratch {
    ends: Vec<Cursor>,
    next: Vec<Cursor>,
}

/// Every spelling of `c` in echoed text, case-folded.
fn spellings(c: char) -> Vec<Vec<char>> {
    let mut utf8 = [0; 4];
    let mut utf16 = [0; 2];
    let mut spellings = vec![
        c.to_string(),
        c.encode_utf8(&mut utf8)
            .bytes()
            .map(|b| format!("%{b:02x}"))
            .collect(),
        c.encode_utf16(&mut utf16)
            .iter()
            .map(|u| format!("\\u{u:04x}"))
            .collect(),
    ];
    let short_escape = match c {
        ' ' => Some("+"),
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' => Some("\\/"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        '\u{8}' => Some("\\b"),
        '\u{c}' => Some("\\f"),
        _ => None,
    };
    spellings.extend(short_escape.map(str::to_owned));
    let mut folded: Vec<Vec<char>> = spellings
        .iter()
        .map(|s| s.chars().flat_map(fold).collect())
        .collect();
    folded.sort_unstable();
    folded.dedup();
    folded
}

/// `c` case-folded: upper-cased, then lower-cased, so that `ß`, `SS` and
/// `ss` meet.
fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_uppercase().flat_map(char::to_lowercase)
}

/// A position in the case-folded text: the byte offset of a character of the
/// text, and which character of its folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Cursor {
    byte: usize,
    folded: usize,
}

/// The folded character at `at`, and the position after it.
fn folded_at(text: &str, at: Cursor) -> Option<(char, Cursor)> {
    let c = text[at.byte..].chars().next()?;
    if c.is_ascii() {
        let next = Cursor {
            byte: at.byte + 1,
            folded: 0,
        };
        return Some((c.to_ascii_lowercase(), next));
    }
    let mut folding = fold(c).skip(at.folded);
    let folded = folding.next()?;
    let next = if folding.next().is_some() {
        Cursor {
            folded: at.folded + 1,
            ..at
        }
    } else {
        Cursor {
            byte: at.byte + c.len_utf8(),
            folded: 0,
        }
    };
    Some((folded, next))
}

/// The position after `spelling` if the folded text spells it at `at`.
fn spelled_at(text: &str, mut at: Cursor, spelling: &[char]) -> Option<Cursor> {
    for &expected in spelling {
        let (found, next) = folded_at(text, at)?;
        if found != expected {
            return None;
        }
        at = next;
    }
    Some(at)
}

/// Replaces the words of `text` that hold a match of any of `patterns`.
fn redact_text(text: &mut String, patterns: &[Pattern]) {
    // The byte ranges to replace, widened to whole words, merged, in order:
    // matches are found in the order of their starts.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut scratch = Scratch::default();
    for (byte, _) in text.char_indices() {
        // A match may start at each character of this character's folding.
        let mut start = Cursor { byte, folded: 0 };
        while let Some((first, next)) = folded_at(text, start) {
            for pattern in patterns {
                let Some(end) = pattern.match_at(text, start, first, &mut scratch) else {
                    continue;
                };
                // A match ending inside a character's folding covers that character.
                let end = match end.folded {
                    0 => end.byte,
                    _ => end.byte + text[end.byte..].chars().next().map_or(0, char::len_utf8),
                };
                match spans.last_mut() {
                    Some(last) if byte <= last.1 => {
                        if end > last.1 {
                            last.1 = word_end(text, end);
                        }
                    }
                    _ => spans.push((word_start(text, byte), word_end(text, end))),
                }
            }
            if next.folded == 0 {
                break;
            }
            start = next;
        }
    }
    if spans.is_empty() {
        return;
    }
    let mut redacted = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in spans {
        redacted.push_str(&text[copied..start]);
        redacted.push_str(REDACTED);
        copied = end;
    }
    redacted.push_str(&text[copied..]);
    *text = redacted;
}

/// Where the word holding the byte at `at` starts: after the whitespace
/// before it, or at the start of `text`.
fn word_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Where the word holding the byte before `at` ends: at the whitespace
/// after it, or at the end of `text`.
fn word_end(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| at + i)
}

/// Calls `f` on every text of `error`.
fn for_each_text(error: &mut Error, f: &mut impl FnMut(&mut String)) {
    let failure_texts = |failure: &mut ApiFailure, f: &mut dyn FnMut(&mut String)| {
        failure.request_id.iter_mut().for_each(&mut *f);
        failure.message.iter_mut().for_each(&mut *f);
        for p in &mut failure.problems {
            for text in [
                &mut p.code,
                &mut p.name,
                &mut p.location,
                &mut p.problem,
                &mut p.action,
            ] {
                f(text);
            }
        }
    };
    match error {
        Error::InvalidInput(e) => {
            f(&mut e.field);
            f(&mut e.reason);
        }
        Error::BadRequest(a)
        | Error::Unauthorized(a)
        | Error::Forbidden(a)
        | Error::NotFound(a)
        | Error::ServerError(a) => failure_texts(a, f),
        Error::RateLimited(r) => failure_texts(&mut r.failure, f),
        Error::Transport(t) => {
            f(&mut t.authority);
            f(&mut t.message);
        }
        Error::InvalidResponse(r) => {
            r.request_id.iter_mut().for_each(&mut *f);
            f(&mut r.reason);
        }
        Error::Timeout(t) => {
            f(&mut t.instance_id);
            if let Some(JourneyStatus::Other(text)) = &mut t.last_status {
                f(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ODD_SECRET as SECRET, echoes, percent_encoded};
    use crate::types::{ApiProblem, TransportError, TransportKind};

    fn redacted(text: &str, secrets: &[&str]) -> String {
        let error = Error::Transport(TransportError {
            kind: TransportKind::Other,
            authority: "host".into(),
            message: text.into(),
        });
        match redact(error, secrets) {
            Error::Transport(t) => t.message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_spelling_of_a_secret_is_redacted_as_whole_words() {
        for echo in echoes(SECRET) {
            let text = format!("bad client_secret={echo}&scope=gbg.token here");
            assert_eq!(redacted(&text, &[SECRET]), "bad [redacted] here", "{echo}");
        }
    }

    #[test]
    fn a_secret_inside_a_word_takes_the_whole_word() {
        let secret = "tok-9Xq2Lm5v";
        assert_eq!(
            redacted(&format!("see api.auth.{secret}gbgplc.com now"), &[secret]),
            "see [redacted] now"
        );
        assert_eq!(
            redacted(&format!("{secret}{secret}"), &[secret]),
            "[redacted]"
        );
    }

    #[test]
    fn text_without_a_secret_is_left_alone() {
        let text = "GBG GO at api.auth.gbgplc.com said: Sup3r s3cret+ (not the whole secret)";
        assert_eq!(redacted(text, &[SECRET]), text);
        assert_eq!(redacted(text, &["", "  "]), text);
    }

    #[test]
    fn case_folding_covers_characters_whose_case_changes_length() {
        let secret = "straße-Kq81Lm";
        assert_eq!(redacted("x STRASSE-KQ81LM y", &[secret]), "x [redacted] y");
        assert_eq!(redacted("x strasse-kq81lm y", &[secret]), "x [redacted] y");
        let emoji = "key-😀-Vb93Kq";
        assert_eq!(
            redacted(r"x key-\ud83d\ude00-vb93kq y", &[emoji]),
            "x [redacted] y"
        );
        assert_eq!(
            redacted("x key-%F0%9F%98%80-Vb93Kq y", &[emoji]),
            "x [redacted] y"
        );
    }

    #[test]
    fn whitespace_around_a_secret_need_not_be_echoed() {
        assert_eq!(
            redacted("echo: tok-12345678.", &["  tok-12345678\n"]),
            "echo: [redacted]"
        );
    }

    #[test]
    fn overlapping_and_nested_secrets_leave_one_marker() {
        let text = "a tok-1234567 tok-12345678 b";
        assert_eq!(
            redacted(text, &["tok-1234567", "tok-12345678"]),
            "a [redacted] [redacted] b"
        );
    }

    #[test]
    fn scrub_redacts_before_it_shortens() {
        let padding = "p".repeat(990);
        for text in [
            format!("{padding}{SECRET}"),
            format!("{padding} {SECRET} tail"),
            format!("{} {SECRET}", "pad ".repeat(248)),
        ] {
            let error = Error::BadRequest(ApiFailure {
                status: 400,
                request_id: None,
                problems: vec![ApiProblem {
                    code: String::new(),
                    name: String::new(),
                    location: String::new(),
                    problem: text.clone(),
                    action: String::new(),
                }],
                message: Some(text),
            });
            let Error::BadRequest(failure) = scrub(error, &[SECRET]) else {
                panic!("the variant is kept");
            };
            for shown in [
                failure.message.unwrap(),
                failure.problems[0].problem.clone(),
            ] {
                assert!(shown.chars().count() <= MAX_TEXT_CHARS);
                assert!(!shown.contains("Sup3"), "a prefix survived: {shown}");
            }
        }
        let padded = Error::InvalidInput(crate::types::InvalidInput {
            field: "f".into(),
            reason: format!("{padding}{SECRET}"),
        });
        assert_eq!(
            scrub(padded, &[SECRET]),
            Error::InvalidInput(crate::types::InvalidInput {
                field: "f".into(),
                reason: REDACTED.into(),
            })
        );
    }

    #[test]
    fn every_text_of_every_variant_is_redacted() {
        let error = Error::Transport(TransportError {
            kind: TransportKind::Other,
            authority: "host".into(),
            message: "echo tok-12345678 and pw-87654321".into(),
        });
        let text = format!("{:?}", redact(error, &["tok-12345678", "pw-87654321", ""]));
        assert!(
            !text.contains("tok-12345678") && !text.contains("pw-87654321"),
            "{text}"
        );
        assert!(text.contains("echo [redacted] and [redacted]"), "{text}");

        let mut failure = ApiFailure {
            status: 400,
            request_id: Some("r tok-12345678".into()),
            problems: vec![ApiProblem {
                code: "tok-12345678".into(),
                name: String::new(),
                location: String::new(),
                problem: "bad tok-12345678".into(),
                action: String::new(),
            }],
            message: Some("tok-12345678".into()),
        };
        let redacted = redact(Error::BadRequest(failure.clone()), &["tok-12345678"]);
        failure.request_id = Some("r [redacted]".into());
        failure.problems[0].code = REDACTED.into();
        failure.problems[0].problem = "bad [redacted]".into();
        failure.message = Some(REDACTED.into());
        assert_eq!(redacted, Error::BadRequest(failure));
    }

    proptest::proptest! {
        /// Whatever the secret (at least 8 characters) and wherever a server
        /// puts it, in whichever spelling, no spelling of it survives, and
        /// text around it on other words does.
        #[test]
        fn no_spelling_of_any_secret_survives(
            secret in "[ -~éß😀]{8,24}",
            before in "[a-z ]{0,20}",
            after in "[a-z ]{0,20}",
            spelling in 0usize..6,
        ) {
            let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            let json = serde_json::to_string(&secret).unwrap();
            let echo = match spelling {
                0 => secret.clone(),
                1 => form,
                2 => percent_encoded(&secret, true),
                3 => percent_encoded(&secret, false),
                4 => json[1..json.len() - 1].to_owned(),
                _ => secret.to_uppercase(),
            };
            let shown = redacted(&format!("{before} {echo} {after}"), &[&secret]);
            proptest::prop_assert!(shown.contains(REDACTED));
            for form in echoes(&secret) {
                proptest::prop_assert!(!shown.contains(&form), "{} in {}", form, shown);
            }
            proptest::prop_assert!(shown.starts_with(&format!("{before} ")), "{}", shown);
        }
    }
}
