//! Files the commands read: subjects, answers, secrets.

use std::path::Path;

use crate::exit::CommandError;

/// The text of the `what` file at `path`.
pub fn read_file(path: &Path, what: &str) -> Result<String, CommandError> {
    std::fs::read_to_string(path).map_err(|e| {
        CommandError::usage(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })
}
