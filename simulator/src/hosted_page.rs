//! The hosted journey page at `/journey/{instanceId}`: a server-rendered form a person
//! fills in (personal details, address, review), and the page shown once it is sent.
//! Every dynamic value goes through maud's HTML escaping.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::{Value, json};

use crate::body::is_form;
use crate::instances::{Instance, Status};
use crate::paths;
use crate::schema::{RequestBody, check};
use crate::state::AppState;

/// The form's fields, in page order: name, label, input type, hint.
const FIELDS: [Field; 7] = [
    Field::new("firstName", "First name", "text", ""),
    Field::new(
        "lastNames",
        "Last name(s)",
        "text",
        "Separate several last names with commas.",
    ),
    Field::new(
        "dateOfBirth",
        "Date of birth",
        "date",
        "For example, 23 April 1990.",
    ),
    Field::new("addressLine", "Street address", "text", ""),
    Field::new("locality", "Town or city", "text", ""),
    Field::new("postalCode", "Postcode", "text", ""),
    Field::new(
        "country",
        "Country code",
        "text",
        "Two or three capital letters, for example GB.",
    ),
];

/// Which fields each numbered step shows (the review step shows none).
const STEPS: [(&str, &[&str]); 3] = [
    (
        "Personal details",
        &["firstName", "lastNames", "dateOfBirth"],
    ),
    (
        "Address",
        &["addressLine", "locality", "postalCode", "country"],
    ),
    ("Review", &[]),
];

const STYLE: &str = "*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#eef1f5;color:#1b1d21;line-height:1.45}\
.brand{background:#12263f;color:#fff;padding:.85rem 1.5rem;display:flex;align-items:center;gap:.75rem}\
.brand strong{font-size:1.15rem;letter-spacing:.02em}.brand span{opacity:.85}\
.badge{margin-left:auto;font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;border:1px solid #9fb3c8;border-radius:999px;padding:.15rem .6rem}\
main{max-width:38rem;margin:2rem auto;background:#fff;padding:2rem 2.25rem;border-radius:12px;box-shadow:0 2px 10px rgba(18,38,63,.08)}\
h1{font-size:1.75rem;margin:0 0 .5rem}.lead{color:#3d434d;margin:0 0 1.25rem}\
ol.steps{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:0 0 1.75rem}\
ol.steps li{background:#e6f0fa;color:#12263f;border-radius:999px;padding:.3rem .9rem;font-size:.9rem;font-weight:600}\
ol.steps li+li::before{content:'\\2192';margin-right:.6rem;color:#6b7785;font-weight:400}\
fieldset{border:0;border-top:1px solid #dde3ea;padding:1.25rem 0 0;margin:0 0 1.5rem}\
legend{font-weight:700;font-size:1.15rem;padding-right:.5rem}\
label{display:block;margin:1rem 0 .25rem;font-weight:600}\
input{width:100%;padding:.6rem .7rem;font-size:1rem;border:1px solid #8a94a3;border-radius:6px;background:#fff}\
input:focus{outline:3px solid #ffbf47;outline-offset:0;border-color:#12263f}\
input[aria-invalid=true]{border:2px solid #b00020}\
.hint{color:#5a6472;font-size:.9rem;margin:.1rem 0 .35rem}.error{color:#b00020;font-weight:600;margin:.2rem 0}\
#errors{border:2px solid #b00020;border-radius:8px;padding:.75rem 1.25rem;margin-bottom:1.5rem;background:#fff5f6}\
#errors h2{font-size:1.15rem;margin:.25rem 0 .5rem}#errors a{color:#b00020;font-weight:600}\
button{font-size:1.05rem;font-weight:600;padding:.75rem 1.6rem;background:#00703c;color:#fff;border:0;border-radius:6px;cursor:pointer;box-shadow:0 2px 0 #002d18}\
button:hover{background:#005a30}button:focus{outline:3px solid #ffbf47;outline-offset:2px}\
.done{text-align:center}.done svg{width:4rem;height:4rem;margin:.5rem auto 1rem;display:block}\
.status{display:inline-block;border-radius:999px;padding:.3rem .9rem;font-weight:600;margin:.5rem 0 1rem}\
.status-Completed{background:#e3f4ea;color:#00572e}.status-Failed{background:#fde8ea;color:#8a0018}\
.status-Paused{background:#fff4d6;color:#6b4a00}.status-InProgress{background:#e6f0fa;color:#12263f}\
.reference{color:#5a6472;font-size:.9rem}\
footer{max-width:38rem;margin:0 auto 2rem;padding:0 1rem;color:#5a6472;font-size:.85rem;text-align:center}";

/// A tick in a circle, drawn inline (the page loads no resources).
const TICK: &str = r##"<svg viewBox="0 0 64 64" aria-hidden="true"><circle cx="32" cy="32" r="30" fill="#00703c"/><path d="M18 33l9 9 19-20" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/></svg>"##;

struct Field {
    name: &'static str,
    label: &'static str,
    input_type: &'static str,
    hint: &'static str,
}

impl Field {
    const fn new(
        name: &'static str,
        label: &'static str,
        input_type: &'static str,
        hint: &'static str,
    ) -> Field {
        Field {
            name,
            label,
            input_type,
            hint,
        }
    }
}

/// Submitted (or prefilled) values and the problems found with them, by field name.
#[derive(Default)]
struct FormState {
    values: HashMap<String, String>,
    errors: Vec<(&'static str, String)>,
}

impl FormState {
    fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, message)| message.as_str())
    }
}

/// `GET /journey/{instanceId}`: the form while the journey waits for it, otherwise what
/// happened since; 404 for an unknown or expired instance.
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let page = state.with_instance(&id, |instance| {
        if instance.awaits_page() {
            page(
                StatusCode::OK,
                form_page(instance, &prefill(&instance.subject)),
            )
        } else {
            page(StatusCode::OK, status_page(instance, "Thank you"))
        }
    });
    page.unwrap_or_else(|_| not_found())
}

/// `POST /journey/{instanceId}` (form-encoded): records the subject and moves the
/// journey on; 422 with the form again when a field is missing or malformed.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        let body = message_page(
            "Unsupported form",
            "The form must be sent form-encoded (application/x-www-form-urlencoded).",
        );
        return page(StatusCode::UNSUPPORTED_MEDIA_TYPE, body);
    }
    let values: HashMap<String, String> =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .unwrap_or_default()
            .into_iter()
            .collect();
    let page = state.with_instance(&id, |instance| {
        if !instance.awaits_page() {
            return page(
                StatusCode::CONFLICT,
                status_page(instance, "Already submitted"),
            );
        }
        let mut form = FormState {
            values,
            errors: Vec::new(),
        };
        let subject = validate(&mut form);
        match subject {
            Some(subject) if form.errors.is_empty() => {
                instance.submit_page(subject);
                tracing::info!(instance_id = %instance.id, "hosted page submitted");
                page(StatusCode::OK, status_page(instance, "Thank you"))
            }
            _ => page(StatusCode::UNPROCESSABLE_ENTITY, form_page(instance, &form)),
        }
    });
    page.unwrap_or_else(|_| not_found())
}

/// Checks the form and builds `context.subject` from it; problems go to `form.errors`.
fn validate(form: &mut FormState) -> Option<Value> {
    for field in &FIELDS {
        let value = form.values.entry(field.name.to_owned()).or_default();
        *value = value.trim().to_owned();
        if field.name == "country" {
            *value = value.to_ascii_uppercase();
        }
        if value.is_empty() {
            form.errors.push((
                field.name,
                format!("Enter your {}.", field.label.to_lowercase()),
            ));
        }
    }
    if form.error("dateOfBirth").is_none() && !is_date(form.value("dateOfBirth")) {
        form.errors.push((
            "dateOfBirth",
            "Enter your date of birth as a real date, YYYY-MM-DD.".to_owned(),
        ));
    }
    let country = form.value("country");
    if form.error("country").is_none()
        && !((2..=3).contains(&country.len()) && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        form.errors.push((
            "country",
            "Enter a two- or three-letter country code, for example GB.".to_owned(),
        ));
    }
    let last_names: Vec<String> = form
        .value("lastNames")
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    if form.error("lastNames").is_none() && last_names.is_empty() {
        form.errors
            .push(("lastNames", "Enter your last name(s).".to_owned()));
    }
    if !form.errors.is_empty() {
        return None;
    }
    let subject = json!({
        "identity": {
            "firstName": form.value("firstName"),
            "lastNames": last_names,
            "dateOfBirth": form.value("dateOfBirth"),
            "currentAddress": {
                "lines": [form.value("addressLine")],
                "locality": form.value("locality"),
                "postalCode": form.value("postalCode"),
                "country": form.value("country"),
            },
        }
    });
    if let Err(error) = check(RequestBody::Subject, &subject, "context.subject") {
        form.errors.push((
            "firstName",
            format!("These details cannot be accepted ({}).", error.problem()),
        ));
        return None;
    }
    Some(subject)
}

/// Whether `text` is a real calendar date written `YYYY-MM-DD`.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// Form values taken from a prefilled `context.subject`.
fn prefill(subject: &Value) -> FormState {
    let identity = &subject["identity"];
    let address = &identity["currentAddress"];
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let last_names: Vec<&str> = identity["lastNames"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let values = [
        ("firstName", text(&identity["firstName"])),
        ("lastNames", last_names.join(", ")),
        ("dateOfBirth", text(&identity["dateOfBirth"])),
        ("addressLine", text(&address["lines"][0])),
        ("locality", text(&address["locality"])),
        ("postalCode", text(&address["postalCode"])),
        ("country", text(&address["country"])),
    ];
    FormState {
        values: values
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        errors: Vec::new(),
    }
}

fn layout(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header.brand {
                    strong { "GBG GO" }
                    span { "Identity verification" }
                    span.badge { "Simulator" }
                }
                main { (content) }
                footer {
                    "Served by the local GBG GO simulator for testing. No real identity check takes place."
                }
            }
        }
    }
}

fn form_page(instance: &Instance, form: &FormState) -> Markup {
    let title = &instance.journey.title;
    let content = html! {
        h1 { (title) }
        p.lead { "Please tell us who you are so we can verify your identity. It takes about two minutes." }
        ol.steps aria-label="Steps" {
            @for (number, (name, _)) in STEPS.iter().enumerate() {
                li { (number + 1) " " (name) }
            }
        }
        @if !form.errors.is_empty() {
            div #errors role="alert" {
                h2 { "There is a problem" }
                ul { @for (field, message) in &form.errors { li { a href={ "#" (field) } { (message) } } } }
            }
        }
        form id="journey-form" method="post" action=(paths::hosted_page(&instance.id)) novalidate {
            @for (number, (name, fields)) in STEPS.iter().enumerate() {
                fieldset {
                    legend { (number + 1) " " (name) }
                    @for field in FIELDS.iter().filter(|f| fields.contains(&f.name)) {
                        (input(field, form))
                    }
                    @if fields.is_empty() {
                        p { "Check your details above, then submit them. You cannot change them afterwards." }
                        button type="submit" id="submit" { "Submit my details" }
                    }
                }
            }
        }
    };
    layout(title, content)
}

fn input(field: &Field, form: &FormState) -> Markup {
    let error = form.error(field.name);
    let hint_id = format!("{}-hint", field.name);
    let error_id = format!("{}-error", field.name);
    let described = [
        (!field.hint.is_empty()).then_some(hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    html! {
        label for=(field.name) { (field.label) }
        @if !field.hint.is_empty() { p.hint id=(hint_id) { (field.hint) } }
        @if let Some(message) = error { p.error id=(error_id) { (message) } }
        input id=(field.name) name=(field.name) type=(field.input_type) value=(form.value(field.name))
            required aria-invalid=[error.map(|_| "true")]
            aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
    }
}

/// What happened to the journey, for the person who sent the form.
fn status_page(instance: &Instance, heading: &str) -> Markup {
    let status = instance.status();
    let message = if instance.current_interaction().is_some() {
        "This verification continues in the app or website where you started it."
    } else {
        match status {
            Status::InProgress if instance.awaits_page() => {
                "We are still waiting for your details."
            }
            Status::InProgress => "We have received your details and are checking them now.",
            Status::Completed => "We have received and checked your details.",
            Status::Paused => {
                "We have received your details; someone will review them and be in touch."
            }
            Status::Failed => "We have received your details but could not finish checking them.",
        }
    };
    let title = &instance.journey.title;
    let status_text = status.as_str();
    layout(
        title,
        html! {
            h1 { (title) }
            div.done {
                @if status == Status::Completed { (PreEscaped(TICK)) }
                h2 { (heading) }
                p #outcome data-status=(status_text) { (message) }
                p class={ "status status-" (status_text) } { "Status: " (status_label(status)) }
                p.reference { "Reference: " (instance.id) }
                p { "You can close this window." }
            }
        },
    )
}

/// How a person is told a journey's status.
fn status_label(status: Status) -> &'static str {
    match status {
        Status::InProgress => "being checked",
        Status::Completed => "checked",
        Status::Failed => "could not be checked",
        Status::Paused => "under review",
    }
}

fn message_page(heading: &str, message: &str) -> Markup {
    layout(heading, html! { h1 { (heading) } p { (message) } })
}

fn not_found() -> Response {
    let body = message_page(
        "Page not found",
        "This link is not valid or has expired. Ask the service that sent it for a new one.",
    );
    page(StatusCode::NOT_FOUND, body)
}

/// The headers of every page: no scripts, frames or foreign form targets, no
/// sniffing, no referrer and no caching.
const PAGE_HEADERS: [(HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
];

fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    let headers = response.headers_mut();
    for (name, value) in PAGE_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real() {
        assert!(is_date("2000-02-29"));
        assert!(!is_date("1900-02-29"));
        assert!(!is_date("1990-13-01"));
        assert!(!is_date("1990/01/01"));
        assert!(!is_date("90-01-01"));
    }

    fn filled_in() -> FormState {
        let mut form = FormState::default();
        for (name, value) in [
            ("firstName", " Jane "),
            ("lastNames", "Doe, Smith"),
            ("dateOfBirth", "1992-10-01"),
            ("addressLine", "12 Example Street"),
            ("locality", "London"),
            ("postalCode", "SW1A 1AA"),
            ("country", "gb"),
        ] {
            form.values.insert(name.to_owned(), value.to_owned());
        }
        form
    }

    #[test]
    fn a_valid_form_becomes_a_subject() {
        let subject = validate(&mut filled_in()).unwrap();
        assert_eq!(subject["identity"]["firstName"], "Jane");
        assert_eq!(subject["identity"]["lastNames"], json!(["Doe", "Smith"]));
        assert_eq!(subject["identity"]["currentAddress"]["country"], "GB");
    }

    #[test]
    fn the_form_interaction_collects_exactly_what_the_form_fills_in() {
        let subject = validate(&mut filled_in()).unwrap();
        let interaction = crate::scenarios::form_interaction();
        for element in &interaction.collects {
            assert!(
                crate::domain_elements::is_present(&element.element, &subject),
                "the form does not fill in {}",
                element.element
            );
        }
        let collected = |name: &&str| interaction.collects.iter().any(|e| e.element == *name);
        let filled: Vec<&str> = crate::domain_elements::KNOWN
            .iter()
            .filter(|name| crate::domain_elements::is_present(name, &subject))
            .copied()
            .collect();
        assert!(filled.iter().all(collected), "{filled:?}");
    }

    #[test]
    fn missing_fields_are_reported() {
        let mut form = FormState::default();
        assert!(validate(&mut form).is_none());
        assert_eq!(form.errors.len(), FIELDS.len());
    }
}
