//! How a long operation reports as it goes — the steps it takes, the output of the
//! commands it runs, events of its own kind — leaving what to show to whoever watches.

/// What a long operation tells whoever watches it. Every method does nothing unless the
/// watcher overrides it; `E` is the operation's own kind of event (`()` when it has none).
pub trait Progress<E = ()> {
    /// A step began ("merging agents/api into main"); it lasts until the next one.
    fn step(&mut self, _what: &str) {}
    /// Output of a command run for the operation (a test suite's), as it arrives.
    fn output(&mut self, _chunk: &[u8]) {}
    /// Something the operation reports in its own terms.
    fn event(&mut self, _event: E) {}
}

/// Nobody is watching.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl<E> Progress<E> for Silent {}

/// The steps of an operation, and nothing else, to a function: for callers that only
/// want to hear what is being done.
pub struct Steps<F>(pub F);

impl<E, F: FnMut(&str)> Progress<E> for Steps<F> {
    fn step(&mut self, what: &str) {
        (self.0)(what);
    }
}

/// The events of an operation, and nothing else, to a function.
pub struct Events<F>(pub F);

impl<E, F: FnMut(E)> Progress<E> for Events<F> {
    fn event(&mut self, event: E) {
        (self.0)(event);
    }
}

/// The steps and output of `inner`, a watcher of another kind of events: what an
/// operation hands to the smaller operations it is made of.
pub struct Plain<'a, E>(pub &'a mut dyn Progress<E>);

impl<E> Progress for Plain<'_, E> {
    fn step(&mut self, what: &str) {
        self.0.step(what);
    }

    fn output(&mut self, chunk: &[u8]) {
        self.0.output(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_overridden_is_heard() {
        let mut heard = Vec::new();
        {
            let mut steps = Steps(|what: &str| heard.push(what.to_owned()));
            let progress: &mut dyn Progress<u8> = &mut steps;
            progress.step("one");
            progress.output(b"ignored");
            progress.event(7);
            let mut plain = Plain(progress);
            plain.step("two");
        }
        assert_eq!(heard, ["one", "two"]);
        Progress::<()>::step(&mut Silent, "nobody hears this");
    }
}
