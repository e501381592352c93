//! Host bindings generated from the `gbg:go` WIT package.

wasmtime::component::bindgen!({
    world: "gbg-go",
    path: "../wit",
    exports: { default: async },
    additional_derives: [PartialEq, Eq],
});

use exports::gbg::go::types::{AcceptedElement, Submission};

impl Submission {
    /// What the interaction accepted when the service took this submission:
    /// the entries to add to the `accepted` list of
    /// [`Client::plan_submission`](crate::Client::plan_submission).
    pub fn accepted(&self) -> impl Iterator<Item = AcceptedElement> + '_ {
        self.participants.iter().map(|p| AcceptedElement {
            interaction_id: self.interaction_id.clone(),
            domain_element_id: p.domain_element_id.clone(),
        })
    }
}
