//! The doctor's log explainer fed arbitrary text (decoded lossily, as a log with invalid
//! UTF-8 is): it must annotate without panicking, each annotation naming a line that exists
//! with its text, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_examples::explain::explain;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    let mut previous = 0;
    for a in explain(&text) {
        assert!(a.line_no > previous && a.line_no <= lines.len());
        assert_eq!(a.line, lines[a.line_no - 1]);
        assert!(!a.notes.is_empty());
        previous = a.line_no;
    }
});
