//! What the commands print: sentences for people, or JSON on stdout with
//! `--json`. Nothing printed here ever contains a credential or token, and
//! text from a server reaches a terminal only with its control characters
//! escaped ([`printable`]); JSON is escaped by serde.

use std::borrow::Cow;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::{Value, json};

use gbg_go_host::contract::views::{self, Document};
use gbg_go_host::{
    ElementInput, ElementRequirement, Interaction, InteractionStep, JourneyState, StartedJourney,
    Submission, TokenInfo, status_text,
};

use crate::exit::CommandError;

/// Prints one line for people on stdout, with control characters escaped
/// ([`printable`]).
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", printable(&format!($($arg)*)))
    };
}

/// Where and how results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether stdout carries JSON.
    pub fn is_json(self) -> bool {
        self.json
    }

    /// A progress line for people (stderr); silent in JSON mode.
    pub fn note(self, line: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", printable(line.as_ref()));
        }
    }

    /// A line on stderr that matters in JSON mode too: where the hosts came
    /// from, a setting that was ignored, an exposed simulator.
    pub fn notice(self, line: impl AsRef<str>) {
        eprintln!("{}", printable(line.as_ref()));
    }

    /// A started journey.
    pub fn started(self, started: &StartedJourney) {
        if self.json {
            print_json(&started_json(started));
        } else {
            say!("instance id: {}", started.instance_id);
            match &started.instance_url {
                Some(url) => say!("hosted URL:  {url}"),
                None => say!("hosted URL:  (none: an API journey)"),
            }
        }
    }

    /// The hosted URL with a QR code for a phone, for people only.
    pub fn hosted_page(self, started: &StartedJourney) {
        if self.json {
            return;
        }
        let Some(url) = &started.instance_url else {
            return;
        };
        say!("Send the end user to: {url}");
        if let Ok(code) = QrCode::new(url.as_bytes()) {
            // Block characters and line breaks only: no server text.
            println!("{}", code.render::<Dense1x2>().quiet_zone(true).build());
        }
    }

    /// A journey state: a summary for people, the whole document as JSON.
    pub fn state(self, state: &JourneyState) {
        self.print_state(state, None);
    }

    /// The final state of `run` / `demo`, with the hosted URL in JSON.
    pub fn outcome(self, started: &StartedJourney, state: &JourneyState, took: Duration) {
        if self.json {
            self.print_state(state, Some(started));
        } else {
            say!(
                "Journey {} {} after {:.1} s.",
                state.instance_id,
                status_text(&state.status),
                took.as_secs_f64()
            );
            print_summary(state);
        }
    }

    fn print_state(self, state: &JourneyState, started: Option<&StartedJourney>) {
        if self.json {
            let mut out = state_json(state);
            if let Some(started) = started {
                out["instance_url"] = json!(started.instance_url);
            }
            print_json(&out);
        } else {
            say!("instance id: {}", state.instance_id);
            say!("status:      {}", state.status_text);
            print_summary(state);
        }
    }

    /// An interaction the `interact` loop is about to answer (people only).
    pub fn interaction(self, interaction: &Interaction) {
        self.note(format!("interaction {}", interaction.interaction_id));
        self.note(format!(
            "  collects:    {}",
            requirements(&interaction.collects)
        ));
        self.note(format!(
            "  outstanding: {}",
            interaction.outstanding.join(", ")
        ));
    }

    /// The answer of `interaction fetch`.
    pub fn interaction_step(self, instance_id: &str, step: &InteractionStep) {
        if self.json {
            print_json(&step_json(instance_id, step));
            return;
        }
        match step {
            InteractionStep::Ready(interaction) => {
                say!("interaction id: {}", interaction.interaction_id);
                say!(
                    "journey:        {}",
                    status_text(&interaction.journey_status)
                );
                say!("collects:       {}", requirements(&interaction.collects));
                say!("consumes:       {}", requirements(&interaction.consumes));
                say!("outstanding:    {}", interaction.outstanding.join(", "));
            }
            InteractionStep::NotReady(status) => say!(
                "no interaction ready (journey {}): modules are running, or the journey has ended",
                status_text(status)
            ),
        }
    }

    /// The end of `interact`: the state, and what was submitted.
    pub fn interactions_outcome(
        self,
        state: &JourneyState,
        submitted: &[(Interaction, Submission)],
        took: Duration,
    ) {
        if !self.json {
            say!(
                "Journey {} {} after {:.1} s and {} submissions.",
                state.instance_id,
                status_text(&state.status),
                took.as_secs_f64(),
                submitted.len()
            );
            print_summary(state);
            return;
        }
        let steps: Vec<Value> = submitted
            .iter()
            .map(|(interaction, submission)| {
                json!({
                    "interaction_id": interaction.interaction_id,
                    "outstanding": interaction.outstanding,
                    "submitted": submission.participants.iter().map(|p| &p.domain_element_id).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut out = state_json(state);
        out["interactions"] = Value::Array(steps);
        print_json(&out);
    }

    /// A token's lifetime.
    pub fn token(self, token: &TokenInfo) {
        if self.json {
            print_json(&json!({
                "token_type": token.token_type,
                "expires_in_s": token.expires_in_s,
                "expires_at_ms": token.expires_at_ms,
            }));
        } else {
            say!(
                "authenticated: {} token valid for {} s",
                token.token_type,
                token.expires_in_s
            );
        }
    }

    /// A one-value result such as the health message.
    pub fn message(self, key: &str, value: &str) {
        if self.json {
            print_json(&json!({ key: value }));
        } else {
            say!("{key}: {value}");
        }
    }

    /// A failure: always a sentence on stderr; also a JSON object on stdout
    /// in JSON mode.
    pub fn failure(self, failure: &CommandError) {
        eprintln!("error: {}", printable(&failure.message));
        if self.json {
            print_json(&json!({
                "error": { "kind": failure.kind, "message": failure.message, "exit": failure.exit as u8 }
            }));
        }
    }

    /// A spinner on stderr while waiting (hidden when stderr is not a
    /// terminal, and in JSON mode).
    pub fn spinner(self, message: &str) -> ProgressBar {
        if self.json {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::new_spinner().with_message(message.to_owned());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            spinner.set_style(style);
        }
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    }
}

/// A state as `state --json` prints it.
fn state_json(state: &JourneyState) -> Value {
    views::to_value(&views::State {
        instance_id: &state.instance_id,
        status: &state.status_text,
        created_at: state.created_at.as_deref(),
        completed_at: state.completed_at.as_deref(),
        state: Document(&state.document),
    })
}

/// `interaction fetch --json`.
fn step_json(instance_id: &str, step: &InteractionStep) -> Value {
    let view = match step {
        InteractionStep::Ready(interaction) => views::Step {
            instance_id: &interaction.instance_id,
            ready: true,
            journey_status: status_text(&interaction.journey_status),
            interaction: Some(views::Ready {
                interaction_id: &interaction.interaction_id,
                collects: interaction.collects.iter().map(requirement_view).collect(),
                consumes: interaction.consumes.iter().map(requirement_view).collect(),
                outstanding: &interaction.outstanding,
                interaction: Document(&interaction.document),
            }),
        },
        InteractionStep::NotReady(status) => views::Step {
            instance_id,
            ready: false,
            journey_status: status_text(status),
            interaction: None,
        },
    };
    views::to_value(&view)
}

fn requirement_view(requirement: &ElementRequirement) -> views::Requirement<'_> {
    let element = &requirement.element;
    views::Requirement::new(
        input_view(element),
        requirement.combinator.as_deref(),
        requirement.inputs.iter().map(input_view).collect(),
    )
}

fn input_view(input: &ElementInput) -> views::Input<'_> {
    views::Input {
        element: &input.ref_,
        spec: &input.spec,
        recommended: input.recommended,
    }
}

/// `FullName (required), PersonalEmail (optional)`
fn requirements(requirements: &[ElementRequirement]) -> String {
    requirements
        .iter()
        .map(|r| format!("{} ({})", r.element.ref_, r.element.spec))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The start answer as `start --json` prints it.
fn started_json(started: &StartedJourney) -> Value {
    views::to_value(&views::Started {
        instance_id: &started.instance_id,
        instance_url: started.instance_url.as_deref(),
        status: &started.status,
        message: started.message.as_deref(),
    })
}

/// Times and the decision, when the state document has them.
fn print_summary(state: &JourneyState) {
    if let Some(created) = &state.created_at {
        say!("started:     {created}");
    }
    if let Some(completed) = &state.completed_at {
        say!("ended:       {completed}");
    }
    if let Some(decision) = decision(&state.document) {
        say!("decision:    {decision}");
    }
}

/// The journey's decision: `context.result.outcome`, else a top-level
/// `result.outcome` (both locations occur in GBG's material).
fn decision(document: &str) -> Option<String> {
    let document: Value = serde_json::from_str(document).ok()?;
    ["/context/result/outcome", "/result/outcome"]
        .iter()
        .find_map(|pointer| document.pointer(pointer)?.as_str().map(str::to_owned))
}

/// Prints `value` as one line of JSON in which every character
/// [`unsafe_on_a_terminal`] is a `\uXXXX` escape, so that JSON output read on
/// a terminal cannot be reordered or restyled by server text either.
pub fn print_json(value: &Value) {
    let mut line = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, TerminalSafe);
    serde::Serialize::serialize(value, &mut serializer).expect("a JSON value serializes");
    line.push(b'\n');
    let mut stdout = std::io::stdout().lock();
    // As println! would, but a closed pipe ends the output, not the process.
    let _ = std::io::Write::write_all(&mut stdout, &line);
}

/// serde_json's compact output, with [`unsafe_on_a_terminal`] characters
/// escaped (serde_json escapes only those below U+0020 itself).
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if unsafe_on_a_terminal(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every such character is in the Basic Multilingual Plane.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Control characters, and the bidirectional controls that reorder what a
/// terminal shows.
fn unsafe_on_a_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe to show on a terminal: [`unsafe_on_a_terminal`] characters
/// written as `\u{..}` escapes, so that server text cannot move the cursor,
/// change colours or forge a line of output.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = unsafe_on_a_terminal;
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::{decision, printable};

    #[test]
    fn json_output_escapes_what_a_terminal_would_act_on() {
        let value = serde_json::json!({"m": "a\u{1b}[2K\u{9b}b\u{202e}c\u{7f}é\""});
        let mut line = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut line, super::TerminalSafe);
        serde::Serialize::serialize(&value, &mut serializer).unwrap();
        let line = String::from_utf8(line).unwrap();
        assert_eq!(line, r#"{"m":"a\u001b[2K\u009bb\u202ec\u007fé\""}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            value
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("plain text: ✓ é"), "plain text: ✓ é");
        assert_eq!(
            printable("bad\u{1b}[2K\rerror: forged\nline\u{202e}"),
            "bad\\u{1b}[2K\\u{d}error: forged\\u{a}line\\u{202e}"
        );
    }

    #[test]
    fn finds_the_decision_in_either_location() {
        assert_eq!(
            decision(r#"{"context":{"result":{"outcome":"Decision: Accept"}}}"#).as_deref(),
            Some("Decision: Accept")
        );
        assert_eq!(
            decision(r#"{"result":{"outcome":"Decision: Reject"}}"#).as_deref(),
            Some("Decision: Reject")
        );
        assert_eq!(decision(r#"{"context":{}}"#), None);
    }
}
