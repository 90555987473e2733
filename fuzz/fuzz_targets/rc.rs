//! ResponseCode decoding and Display for any value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_wire::ResponseCode;

fuzz_target!(|raw: u32| {
    let code = ResponseCode(raw);
    let _ = (
        code.kind(),
        code.name(),
        code.subject(),
        code.base(),
        code.layer(),
    );
    let _ = (
        code.is_warning(),
        code.is_retryable(),
        code.is_lockout(),
        code.is_success(),
    );
    let text = code.to_string();
    assert!(text.contains(':'), "{text}");
    let _ = format!("{code:?}");
});
