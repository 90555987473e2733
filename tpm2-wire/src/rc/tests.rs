use super::*;

fn text(rc: u32) -> std::string::String {
    std::format!("{}", ResponseCode(rc))
}

extern crate std;

#[test]
fn field_log_codes_decode_to_their_meaning() {
    assert_eq!(
        ResponseCode(0x921).kind(),
        RcKind::Warning(Warning::Lockout)
    );
    assert!(ResponseCode(0x921).is_lockout());
    assert_eq!(
        ResponseCode(0x18B).kind(),
        RcKind::Format1 {
            error: Fmt1Error::Handle,
            subject: Subject::Handle(1)
        }
    );
    assert_eq!(
        ResponseCode(0x9A2).kind(),
        RcKind::Format1 {
            error: Fmt1Error::BadAuth,
            subject: Subject::Session(1)
        }
    );
}

#[test]
fn format_bit_is_tested_before_warning_bits() {
    let rc = ResponseCode(0x9A2);
    assert!(
        !rc.is_warning(),
        "0x9A2 is BAD_AUTH on session 1, not a warning"
    );
    assert_eq!(rc.base(), ResponseCode(0x0A2));
    assert_eq!(rc.name(), Some("TPM_RC_BAD_AUTH"));
}

#[test]
fn parameters_eight_to_fifteen_keep_their_number() {
    assert_eq!(ResponseCode(0x9C4).subject(), Some(Subject::Parameter(9)));
    assert_eq!(ResponseCode(0x8C4).subject(), Some(Subject::Parameter(8)));
    assert_eq!(ResponseCode(0xFC4).subject(), Some(Subject::Parameter(15)));
    assert!(text(0x9C4).starts_with("tpm:parameter(9):value is out of range"));
}

#[test]
fn session_number_zero_and_n_zero_are_unspecified() {
    assert_eq!(ResponseCode(0x08B).subject(), Some(Subject::Unspecified));
    assert_eq!(ResponseCode(0x88E).subject(), Some(Subject::Unspecified));
    assert_eq!(ResponseCode(0x0C4).subject(), Some(Subject::Unspecified));
}

#[test]
fn vendor_and_tpm12_codes_are_kept_apart() {
    assert_eq!(
        ResponseCode(0x500).kind(),
        RcKind::Vendor {
            warning: false,
            number: 0
        }
    );
    assert_eq!(
        ResponseCode(0xD01).kind(),
        RcKind::Vendor {
            warning: true,
            number: 1
        }
    );
    assert_eq!(
        ResponseCode(0x01E).kind(),
        RcKind::Tpm12 {
            warning: false,
            number: 0x1E
        }
    );
    assert_eq!(ResponseCode::BAD_TAG.name(), Some("TPM_RC_BAD_TAG"));
}

#[test]
fn retryable_codes_are_exactly_the_transient_warnings() {
    for rc in [0x908, 0x909, 0x90A, 0x920, 0x922, 0x923] {
        assert!(ResponseCode(rc).is_retryable(), "{rc:#x}");
    }
    for rc in [0x921, 0x902, 0x100, 0x9A2, 0x0, 0xA000A] {
        assert!(!ResponseCode(rc).is_retryable(), "{rc:#x}");
    }
}

#[test]
fn not_used_is_the_spec_value() {
    assert_eq!(
        ResponseCode(0x97F).kind(),
        RcKind::Warning(Warning::NotUsed)
    );
}

#[test]
fn display_matches_tss2_rc_for_the_field_codes() {
    assert_eq!(
        text(0x921),
        "tpm:warn(2.0): authorizations for objects subject to DA protection are not allowed at \
         this time because the TPM is in DA lockout mode"
    );
    assert_eq!(
        text(0x18B),
        "tpm:handle(1):the handle is not correct for the use"
    );
    assert_eq!(
        text(0x9A2),
        "tpm:session(1):authorization failure without DA implications"
    );
    assert_eq!(text(0), "tpm:success");
    assert_eq!(text(0x1E), "tpm:error(1.2): unknown version 1.2 error code");
    assert_eq!(text(0x500), "tpm:error(2.0): Vendor specific error: 0x0");
    assert_eq!(text(0x928), "tpm:0x928");
    assert_eq!(text(0xA000A), "tcti:IO failure");
    assert_eq!(text(0x60036), "fapi:0x36");
    assert_eq!(text(0xB0921).split_once(':').map(|p| p.0), Some("rmt"));
    assert_eq!(text(0xE0001), "14:0xE0001");
}

#[test]
fn tss_layers_are_not_decoded_as_tpm_codes() {
    assert_eq!(
        ResponseCode(0xA0921).kind(),
        RcKind::Tss {
            layer: Layer::Tcti,
            number: 0x921
        }
    );
    assert_eq!(
        ResponseCode(0xB0921).kind(),
        RcKind::Warning(Warning::Lockout)
    );
}

#[test]
fn every_named_number_round_trips() {
    for n in 0..=0x7F_u8 {
        assert_eq!(Fmt0Error::from_number(n).number(), n);
        assert_eq!(Warning::from_number(n).number(), n);
        assert_eq!(Fmt1Error::from_number(n).number(), n);
    }
}
