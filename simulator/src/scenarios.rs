//! The built-in scenarios that [`SimulatorConfig::default`](crate::SimulatorConfig) publishes,
//! with stable resource ids and versions.

use crate::config::{
    Completion, ElementConfig, ElementSpec, InteractionConfig, JourneyConfig, Outcome, PageConfig,
};

/// The scenario [`Simulator::resource_id`](crate::Simulator::resource_id) names by default.
pub const DEFAULT_JOURNEY: &str = "accept";

/// State fetches the `slow` scenario answers `InProgress` after its page is submitted.
pub const SLOW_POLLS: u32 = 3;

/// State fetches the `auto` scenario answers `InProgress` before it completes.
pub const AUTO_POLLS: u32 = 2;

/// Fetches without an interaction after each interaction of `api-kyc`.
pub const API_KYC_PROCESSING_FETCHES: u32 = 1;

/// Every built-in scenario: `accept`, `reject`, `refer`, `fail`, `pause`, `slow`, `auto`
/// and `api-kyc`.
pub fn demo_journeys() -> Vec<JourneyConfig> {
    let hosted = |polls_after_submit| Completion::HostedPage { polls_after_submit };
    vec![
        journey(
            "accept",
            "6a56c8e05ed8415787eeff9bec98c04894f7abbbf049171708a526c562948284",
            "cc65c498",
            Outcome::Accept,
            hosted(0),
        ),
        journey(
            "reject",
            "f6c8aac1cf117789f6de9d722a9dce5cb72e81045e8ea3d04d02e2e6223b1410",
            "9649175f",
            Outcome::Reject,
            hosted(0),
        ),
        journey(
            "refer",
            "585becd2abbdc279aecd2ce697f7ec8fe1d00e4fb922875c5a5fba399d485953",
            "08f2e7af",
            Outcome::Refer,
            hosted(0),
        ),
        journey(
            "fail",
            "97f708c9b4f9bce0e46347f90e18721a869f5e80941fe7e47972814de1a37335",
            "105aec6f",
            Outcome::Fail,
            hosted(0),
        ),
        journey(
            "pause",
            "83e458c04468a56fd2b4b53f574c097ef204d61d63cb8a6e3d0daf49d81e819f",
            "85a5cccf",
            Outcome::Pause,
            hosted(0),
        ),
        journey(
            "slow",
            "11a93f661b8ee771e0649202259516147a500374c840a90d08871b6ad8370d36",
            "899eb32e",
            Outcome::Accept,
            hosted(SLOW_POLLS),
        ),
        journey(
            "auto",
            "649000b32a863d24ec0f571836199e4f0c483ae0d8218fbda2e0da8f452b3966",
            "1161a16d",
            Outcome::Accept,
            Completion::Polls { polls: AUTO_POLLS },
        ),
        journey(
            "api-kyc",
            "e41a6e0347a61cbf96dc0b9afdf0890a10810e58fde8273635746dd038c8b958",
            "3e22fb03",
            Outcome::Accept,
            Completion::Interactions {
                interactions: vec![personal_details(), document_capture()],
                processing_fetches: API_KYC_PROCESSING_FETCHES,
            },
        ),
    ]
}

fn journey(
    name: &str,
    resource_id: &str,
    version: &str,
    outcome: Outcome,
    completion: Completion,
) -> JourneyConfig {
    JourneyConfig {
        name: name.to_owned(),
        title: format!("Identity check ({name})"),
        resource_id: resource_id.to_owned(),
        version: version.to_owned(),
        outcome,
        completion,
    }
}

fn element(name: &str, spec: ElementSpec) -> ElementConfig {
    ElementConfig {
        element: name.to_owned(),
        spec,
        outstanding: Vec::new(),
    }
}

fn page(id: &str, label: &str, cards: &[&str]) -> PageConfig {
    PageConfig {
        id: id.to_owned(),
        label: label.to_owned(),
        cards: cards.iter().map(|card| (*card).to_owned()).collect(),
    }
}

/// The hosted page's form as an interaction, which a hosted journey started with
/// `delivery: "api"` waits for instead of its page: the same domain elements (name, date
/// of birth, current address), one page per step of the form that has fields. Its id and
/// name are those of the docs' second interaction example.
pub fn form_interaction() -> InteractionConfig {
    InteractionConfig {
        id: "identity-form".to_owned(),
        name: "Identity Verification".to_owned(),
        pages: vec![
            personal_details_page(),
            page(
                "address_details",
                "Address",
                &["AddressCard", "ControlCard"],
            ),
        ],
        collects: identity_elements(),
        consumes: Vec::new(),
    }
}

/// `FullName`, `DateOfBirth` and `CurrentAddress`, required.
fn identity_elements() -> Vec<ElementConfig> {
    ["FullName", "DateOfBirth", "CurrentAddress"]
        .map(|name| element(name, ElementSpec::Required))
        .into()
}

fn personal_details_page() -> PageConfig {
    page(
        "personal_details",
        "Personal details",
        &["NameCard", "DateOfBirthCard", "ControlCard"],
    )
}

fn personal_details() -> InteractionConfig {
    InteractionConfig {
        id: "personal-details".to_owned(),
        name: "Personal details".to_owned(),
        pages: vec![
            personal_details_page(),
            page(
                "contact_details",
                "Contact details",
                &["EmailCardPersonalEmail", "ControlCard"],
            ),
            page(
                "address_details",
                "Address details",
                &["AddressCard", "ControlCard"],
            ),
        ],
        collects: [
            identity_elements(),
            vec![element("PersonalEmail", ElementSpec::Optional)],
        ]
        .concat(),
        consumes: Vec::new(),
    }
}

fn document_capture() -> InteractionConfig {
    InteractionConfig {
        id: "document-capture".to_owned(),
        name: "Document capture".to_owned(),
        pages: vec![page(
            "document_capture",
            "Document Capture",
            &["DocumentCard"],
        )],
        collects: vec![ElementConfig {
            outstanding: vec!["PrimaryDocument/side1Image".to_owned()],
            ..element("PrimaryDocument", ElementSpec::Required)
        }],
        consumes: vec![element("FullName", ElementSpec::Required)],
    }
}
