//! The domain elements the simulator knows, and where their data lives in
//! `context.subject` (the mapping of the API notes, §7.3).

use serde_json::Value;

/// Every domain element (and element slot) an interaction may collect.
pub const KNOWN: &[&str] = &[
    "FullName",
    "DateOfBirth",
    "CurrentAddress",
    "PreviousAddresses",
    "MobilePhone",
    "PersonalEmail",
    "SSN",
    "PrimaryDocument",
    "PrimaryDocument/side1Image",
    "PrimaryDocument/side2Image",
    "Selfie",
    "Selfie/selfieImage",
];

/// Whether `element` is a domain element or slot the simulator knows.
pub fn is_known(element: &str) -> bool {
    KNOWN.contains(&element)
}

/// Whether a participant naming `element` covers the `outstanding` entry `slot`: the
/// same entry, or a slot of that element (`PrimaryDocument` covers
/// `PrimaryDocument/side1Image`).
pub fn covers(element: &str, slot: &str) -> bool {
    slot == element
        || slot
            .strip_prefix(element)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `subject` holds data for `element`.
pub fn is_present(element: &str, subject: &Value) -> bool {
    let identity = &subject["identity"];
    match element {
        "FullName" => {
            non_empty_str(&identity["firstName"]) && non_empty_array(&identity["lastNames"])
        }
        "DateOfBirth" => non_empty_str(&identity["dateOfBirth"]),
        "CurrentAddress" => identity["currentAddress"]
            .as_object()
            .is_some_and(|address| !address.is_empty()),
        "PreviousAddresses" => non_empty_array(&identity["previousAddresses"]),
        "MobilePhone" => any_item(&identity["phones"], |phone| {
            type_is(phone, "mobile") && non_empty_str(&phone["number"])
        }),
        "PersonalEmail" => any_item(&identity["emails"], |email| {
            !type_is(email, "work") && non_empty_str(&email["email"])
        }),
        "SSN" => any_item(&identity["idNumbers"], |id| {
            type_is(id, "ssn") && non_empty_str(&id["idNumber"])
        }),
        "PrimaryDocument" | "PrimaryDocument/side1Image" => {
            any_item(&subject["documents"], |doc| {
                non_empty_str(&doc["side1Image"])
            })
        }
        "PrimaryDocument/side2Image" => any_item(&subject["documents"], |doc| {
            non_empty_str(&doc["side2Image"])
        }),
        "Selfie" | "Selfie/selfieImage" => any_item(&subject["biometrics"], |bio| {
            non_empty_str(&bio["selfieImage"])
        }),
        _ => false,
    }
}

fn non_empty_str(value: &Value) -> bool {
    value.as_str().is_some_and(|text| !text.trim().is_empty())
}

fn non_empty_array(value: &Value) -> bool {
    value.as_array().is_some_and(|items| !items.is_empty())
}

fn any_item(value: &Value, predicate: impl Fn(&Value) -> bool) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().any(predicate))
}

fn type_is(item: &Value, expected: &str) -> bool {
    item["type"]
        .as_str()
        .is_some_and(|kind| kind.eq_ignore_ascii_case(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_known_element_has_a_presence_rule() {
        let full = json!({
            "identity": {
                "firstName": "Jane", "lastNames": ["Doe"], "dateOfBirth": "1992-10-01",
                "currentAddress": {"lines": ["1 A St"]},
                "previousAddresses": [{"fromDate": "2000-01-01", "toDate": "2001-01-01"}],
                "phones": [{"type": "mobile", "number": "0700"}],
                "emails": [{"type": "personal", "email": "j@example.com"}],
                "idNumbers": [{"type": "SSN", "idNumber": "123"}]
            },
            "documents": [{"side1Image": "aGk=", "side2Image": "aGk="}],
            "biometrics": [{"type": "selfie", "selfieImage": "aGk="}]
        });
        for element in KNOWN {
            assert!(
                is_present(element, &full),
                "{element} not found in a full subject"
            );
            assert!(
                !is_present(element, &json!({})),
                "{element} found in an empty subject"
            );
        }
    }

    #[test]
    fn an_element_covers_its_slots_only() {
        assert!(covers("PrimaryDocument", "PrimaryDocument/side1Image"));
        assert!(covers("FullName", "FullName"));
        assert!(!covers("Primary", "PrimaryDocument/side1Image"));
        assert!(!covers("PrimaryDocument/side1Image", "PrimaryDocument"));
    }

    #[test]
    fn work_email_is_not_a_personal_email() {
        let subject = json!({"identity": {"emails": [{"type": "work", "email": "j@example.com"}]}});
        assert!(!is_present("PersonalEmail", &subject));
    }
}
