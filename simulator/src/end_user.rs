//! A stand-in for the person on the other side of a hosted journey: it opens
//! the hosted page and submits its form over HTTP, as a browser would. Used by
//! `gbg-go demo` and by tests.

use std::fmt;

/// What the stand-in types into the hosted page's form.
pub const ANSWERS: [(&str, &str); 7] = [
    ("firstName", "Jane"),
    ("lastNames", "Doe"),
    ("dateOfBirth", "1992-10-01"),
    ("addressLine", "12 Example Street"),
    ("locality", "London"),
    ("postalCode", "SW1A 1AA"),
    ("country", "GB"),
];

/// Why the hosted page could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum EndUserError {
    /// The page could not be loaded or the form not submitted.
    #[error("{step} {url} failed: {source}")]
    Http {
        /// What was being done.
        step: Step,
        /// The hosted page.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The page did not look like a hosted journey page.
    #[error("{step} {url} showed no {expected}")]
    UnexpectedPage {
        /// What was being done.
        step: Step,
        /// The hosted page.
        url: String,
        /// What was missing.
        expected: &'static str,
    },
}

/// The two things the stand-in does.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// `GET` the hosted page.
    Open,
    /// `POST` its form.
    Submit,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Open => "opening the hosted page",
            Step::Submit => "submitting the hosted page",
        })
    }
}

/// Loads the hosted page at `url`, checks that it offers the journey form,
/// and submits the form with [`ANSWERS`].
pub async fn complete_hosted_page(url: &str) -> Result<(), EndUserError> {
    let http = reqwest::Client::new();
    let page = fetch(Step::Open, url, http.get(url)).await?;
    expect(
        Step::Open,
        url,
        &page,
        "id=\"journey-form\"",
        "journey form",
    )?;
    let done = fetch(Step::Submit, url, http.post(url).form(&ANSWERS)).await?;
    expect(Step::Submit, url, &done, "id=\"outcome\"", "confirmation")
}

async fn fetch(
    step: Step,
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<String, EndUserError> {
    let failed = |source| EndUserError::Http {
        step,
        url: url.to_owned(),
        source,
    };
    let response = request.send().await.map_err(failed)?;
    let response = response.error_for_status().map_err(failed)?;
    response.text().await.map_err(failed)
}

fn expect(
    step: Step,
    url: &str,
    page: &str,
    marker: &str,
    expected: &'static str,
) -> Result<(), EndUserError> {
    if page.contains(marker) {
        Ok(())
    } else {
        Err(EndUserError::UnexpectedPage {
            step,
            url: url.to_owned(),
            expected,
        })
    }
}
