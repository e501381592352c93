//! The service's log: stderr, which the engine keeps. At most one line per
//! kind of problem per instance, so that no caller can fill it, and never a
//! body, a header value or a secret.

use std::cell::RefCell;

thread_local! {
    /// The kinds this instance has logged.
    static LOGGED: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Writes `gbg-go-service: <message>` to stderr, unless this instance has
/// already written a line of `kind`. `message` is made only when written.
pub fn once(kind: &'static str, message: impl FnOnce() -> String) {
    let first = LOGGED.with(|logged| {
        let mut logged = logged.borrow_mut();
        let first = !logged.contains(&kind);
        if first {
            logged.push(kind);
        }
        first
    });
    if first {
        eprintln!("gbg-go-service: {}", message());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_kind() {
        let mut made = 0;
        for _ in 0..3 {
            once("test-kind", || {
                made += 1;
                "a line".to_owned()
            });
        }
        assert_eq!(made, 1);
        once("test-other-kind", || {
            made += 1;
            String::new()
        });
        assert_eq!(made, 2);
    }
}
