//! Golden frames: commands built by `CommandWriter` must equal the bytes real stacks send
//! (tpm2-protocol's frames, accepted by the TCG reference simulator), and responses must parse
//! to the values they hold.

mod common;

use common::{POLICY_A_SHA256, ek_rsa_template, hex};
use tpm2_wire::{
    AlgId, Auth, AuthCommand, CommandCode, CommandWriter, Handle, List, Name, NvAttributes,
    NvPublic, Public, Reader, Response, ResponseCode, SensitiveCreate, Tag, Tpm2b, Unmarshal,
    WireError,
};

const NV_READ_PUBLIC: &str = "80010000000e0000016901c00002";
const DA_LOCK_RESET: &str = "80020000001b000001394000000a00000009400000090000000000";

fn ek_create_primary_hex() -> String {
    let policy = POLICY_A_SHA256.iter().fold(String::new(), |mut s, b| {
        use core::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    });
    format!(
        "8002 00000163 00000131 4000000b 00000009 40000009 0000 00 0000 0004 0000 0000 \
         013a 0001 000b 000300b2 0020 {policy} 0006 0080 0043 0010 0800 00000000 0100 {} \
         0000 00000000",
        "00".repeat(256)
    )
}

#[test]
fn nv_read_public_frame_is_byte_exact() {
    let mut buf = [0u8; 64];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::NV_READ_PUBLIC);
    cmd.handle(Handle(0x01C0_0002));
    let len = cmd.finish().unwrap();
    assert_eq!(&buf[..len], hex(NV_READ_PUBLIC));
}

#[test]
fn dictionary_attack_lock_reset_with_password_session_is_byte_exact() {
    let mut buf = [0u8; 64];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::DICTIONARY_ATTACK_LOCK_RESET);
    cmd.handle(Handle::LOCKOUT);
    cmd.sessions(&[AuthCommand::password(Auth::EMPTY)]);
    let auth = cmd.auth_range().unwrap();
    let len = cmd.finish().unwrap();
    assert_eq!(&buf[..len], hex(DA_LOCK_RESET));
    assert_eq!(auth, 14..27, "the authorization area, for wiping secrets");
}

/// `CommandWriter::password` writes what `sessions` writes for one password session, for
/// the empty password, a short one and the longest, and refuses the same misplacements.
#[test]
fn the_password_area_is_the_one_password_session_area() {
    let long = [0xA5u8; 64];
    for password in [&b""[..], b"hunter2", &long] {
        let auth = Auth::new(password).unwrap();
        let frame = |one: bool| {
            let mut buf = [0u8; 128];
            let mut cmd = CommandWriter::new(&mut buf, CommandCode::NV_WRITE);
            cmd.handle(Handle(0x0100_0001));
            cmd.handle(Handle(0x0100_0001));
            if one {
                cmd.password(auth);
            } else {
                cmd.sessions(&[AuthCommand::password(auth)]);
            }
            let auth_range = cmd.auth_range().unwrap();
            cmd.param(&tpm2_wire::Data::EMPTY);
            let len = cmd.finish().unwrap();
            (buf[..len].to_vec(), auth_range)
        };
        assert_eq!(frame(true), frame(false), "{} bytes", password.len());
    }
    let mut buf = [0u8; 64];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::DICTIONARY_ATTACK_LOCK_RESET);
    cmd.handle(Handle::LOCKOUT);
    cmd.password(Auth::EMPTY).password(Auth::EMPTY);
    assert_eq!(cmd.finish(), Err(WireError::OutOfOrder { offset: 27 }));
    let mut small = [0u8; 20];
    let mut cmd = CommandWriter::new(&mut small, CommandCode::DICTIONARY_ATTACK_LOCK_RESET);
    cmd.handle(Handle::LOCKOUT).password(Auth::EMPTY);
    assert!(matches!(
        cmd.finish(),
        Err(WireError::BufferFull { offset: 14, .. })
    ));
}

#[test]
fn ek_create_primary_is_the_355_byte_frame() {
    let unique = [0u8; 256];
    let mut buf = [0u8; 4096];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::CREATE_PRIMARY);
    cmd.handle(Handle::ENDORSEMENT);
    cmd.sessions(&[AuthCommand::password(Auth::EMPTY)]);
    cmd.param(&Tpm2b(SensitiveCreate::default()));
    cmd.param(&Tpm2b(ek_rsa_template(&unique)));
    cmd.param(&tpm2_wire::Data::EMPTY);
    cmd.param(&tpm2_wire::PcrSelectionList::empty());
    let len = cmd.finish().unwrap();
    assert_eq!(len, 355);
    assert_eq!(&buf[..len], hex(&ek_create_primary_hex()));
}

#[test]
fn ek_create_primary_frame_parses_back_to_the_template() {
    let frame = hex(&ek_create_primary_hex());
    let mut r = Reader::new(&frame);
    assert_eq!(r.u16(), Tag::SESSIONS.0);
    assert_eq!(r.u32(), 355);
    assert_eq!(
        CommandCode::unmarshal(&mut r).unwrap(),
        CommandCode::CREATE_PRIMARY
    );
    assert_eq!(Handle::unmarshal(&mut r).unwrap(), Handle::ENDORSEMENT);
    let auth_size = r.u32();
    let mut auth = Reader::at(r.bytes(auth_size as usize), 18);
    assert_eq!(
        AuthCommand::unmarshal(&mut auth).unwrap(),
        AuthCommand::password(Auth::EMPTY)
    );
    auth.finish().unwrap();
    assert_eq!(
        Tpm2b::<SensitiveCreate>::unmarshal(&mut r).unwrap().0,
        SensitiveCreate::default()
    );
    let public: Tpm2b<Public> = Tpm2b::unmarshal(&mut r).unwrap();
    assert_eq!(public.0, ek_rsa_template(&[0u8; 256]));
    assert!(tpm2_wire::Data::unmarshal(&mut r).unwrap().is_empty());
    assert!(
        tpm2_wire::PcrSelectionList::unmarshal(&mut r)
            .unwrap()
            .is_empty()
    );
    r.finish().unwrap();
}

#[test]
fn lockout_error_response_parses_to_its_code_and_no_body() {
    let frame = hex("80010000000a00000921");
    let rsp = Response::parse(&frame, 1).unwrap();
    assert_eq!(rsp.code(), ResponseCode::LOCKOUT);
    assert!(rsp.code().is_lockout());
    assert_eq!(rsp.handle(0), None, "an error response has no handle area");
    assert!(rsp.parameters().is_empty());
}

#[test]
fn vendor_and_unknown_codes_still_give_a_typed_frame() {
    for code in ["00000500", "0000097f", "00080001", "ffffffff"] {
        let frame = hex(&format!("80010000000a{code}"));
        let rsp = Response::parse(&frame, 0).unwrap();
        assert_eq!(rsp.code().raw(), u32::from_str_radix(code, 16).unwrap());
    }
}

#[test]
fn nv_read_public_response_parses_zero_copy() {
    let name_digest = "11".repeat(32);
    let frame = hex(&format!(
        "8001 0000003e 00000000 000e 01c00002 000b 620f000a 0000 0500 0022 000b {name_digest}"
    ));
    let rsp = Response::parse(&frame, 0).unwrap();
    let mut params = rsp.parameters();
    let public = Tpm2b::<NvPublic>::unmarshal(&mut params).unwrap().0;
    let name = Name::unmarshal(&mut params).unwrap();
    params.finish().unwrap();
    assert_eq!(public.index, Handle(0x01C0_0002));
    assert_eq!(public.name_alg, AlgId::SHA256);
    assert!(
        public
            .attributes
            .contains(NvAttributes::OWNERWRITE | NvAttributes::PPREAD | NvAttributes::WRITTEN)
    );
    assert_eq!(public.data_size, 0x500);
    assert_eq!(name.len(), 34);
    let frame_range = frame.as_ptr_range();
    assert!(
        frame_range.contains(&name.as_bytes().as_ptr()),
        "Name borrows the frame"
    );
}

#[test]
fn sessions_response_splits_parameters_and_auth_area() {
    // CreatePrimary-like: handle, parameterSize 4, one parameter u32, one password session.
    let frame = hex("8002 0000001b 00000000 80000000 00000004 deadbeef 0000 01 0000");
    let rsp = Response::parse(&frame, 1).unwrap();
    assert_eq!(rsp.handle(0), Some(Handle(0x8000_0000)));
    let mut params = rsp.parameters();
    assert_eq!(params.u32(), 0xDEAD_BEEF);
    params.finish().unwrap();
    let sessions: Vec<_> = rsp.sessions().collect();
    assert_eq!(sessions.len(), 1);
    assert!(
        sessions[0]
            .attributes
            .contains(tpm2_wire::SessionAttributes::CONTINUE_SESSION)
    );
}

#[test]
fn malformed_frames_each_give_their_own_error() {
    let cases: &[(&str, WireError)] = &[
        ("800100", WireError::FrameTooShort { size: 3 }),
        (
            "8001 00000008 00000000",
            WireError::FrameTooShort { size: 8 },
        ),
        (
            "8001 00000010 00000000",
            WireError::SizeMismatch {
                declared: 16,
                actual: 10,
            },
        ),
        (
            "8001 0000000a 00000000 00",
            WireError::SizeMismatch {
                declared: 10,
                actual: 11,
            },
        ),
        (
            "1234 0000000a 00000000",
            WireError::BadTag {
                offset: 0,
                tag: 0x1234,
            },
        ),
        (
            "00c4 0000000a 0000001e",
            WireError::Tpm12Response { code: 0x1E },
        ),
        (
            "8001 0000000c 00000921 0000",
            WireError::ErrorWithBody { size: 12 },
        ),
        (
            "8001 0000000c 00000000 0000",
            WireError::Truncated {
                offset: 10,
                needed: 4,
                available: 2,
            },
        ),
        (
            "8002 00000014 00000000 80000000 00000008 0000",
            WireError::Truncated {
                offset: 18,
                needed: 8,
                available: 2,
            },
        ),
    ];
    for (frame, expected) in cases {
        assert_eq!(Response::parse(&hex(frame), 1), Err(*expected), "{frame}");
    }
}

#[test]
fn trailing_parameter_bytes_and_oversized_tpm2b_are_rejected_with_offsets() {
    let frame = hex("8001 0000000f 00000000 0002 abcd 00");
    let rsp = Response::parse(&frame, 0).unwrap();
    let mut params = rsp.parameters();
    assert_eq!(
        tpm2_wire::Digest::unmarshal(&mut params)
            .unwrap()
            .as_bytes(),
        [0xAB, 0xCD]
    );
    assert_eq!(
        params.finish(),
        Err(WireError::TrailingBytes {
            offset: 14,
            count: 1
        })
    );

    // A TPM2B_DIGEST that claims 65 bytes: larger than any digest.
    let frame = hex(&format!("8001 0000004d 00000000 0041 {}", "00".repeat(65)));
    let rsp = Response::parse(&frame, 0).unwrap();
    assert_eq!(
        tpm2_wire::Digest::unmarshal(&mut rsp.parameters()),
        Err(WireError::TooLarge {
            offset: 10,
            value: 65,
            max: 64
        })
    );

    // A TPM2B_NV_PUBLIC of 14 bytes whose authPolicy claims 32: longer than its container.
    let frame = hex("8001 0000001a 00000000 000e 01c00002 000b 00000000 0020 0000");
    let rsp = Response::parse(&frame, 0).unwrap();
    assert_eq!(
        Tpm2b::<NvPublic>::unmarshal(&mut rsp.parameters()),
        Err(WireError::Truncated {
            offset: 24,
            needed: 32,
            available: 2
        })
    );
}

#[test]
fn command_parts_out_of_order_and_full_buffers_are_refused() {
    let mut buf = [0u8; 64];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::NV_READ_PUBLIC);
    cmd.param(&0u16).handle(Handle::OWNER);
    assert_eq!(cmd.finish(), Err(WireError::OutOfOrder { offset: 12 }));
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::NV_READ_PUBLIC);
    cmd.param(&0u16).sessions(&[]);
    assert_eq!(cmd.finish(), Err(WireError::OutOfOrder { offset: 12 }));

    // The first failure is the one reported, and nothing is written after it: not the
    // parameter that would still fit, not the header's size and tag.
    let mut small = [0xEEu8; 15];
    let mut cmd = CommandWriter::new(&mut small, CommandCode::NV_READ_PUBLIC);
    cmd.handle(Handle::OWNER).handle(Handle::OWNER).param(&7u8);
    assert_eq!(
        cmd.finish(),
        Err(WireError::BufferFull {
            offset: 14,
            needed: 4,
            available: 1
        })
    );
    assert_eq!(small[14], 0xEE, "nothing written after the failed write");
    assert_eq!(
        small[..6],
        [0; 6],
        "no tag or size patched into a failed frame"
    );
    // The 10-byte header is written at once: a 9-byte buffer holds none of it.
    let mut tiny = [0xEEu8; 9];
    assert_eq!(
        CommandWriter::new(&mut tiny, CommandCode::STARTUP).finish(),
        Err(WireError::BufferFull {
            offset: 0,
            needed: 10,
            available: 9
        })
    );
    assert_eq!(tiny, [0xEE; 9]);
}

#[test]
fn values_beyond_a_type_maximum_are_refused_when_encoding() {
    assert!(tpm2_wire::Digest::new(&[0u8; 65]).is_none());
    let selections = [tpm2_wire::PcrSelection {
        hash: AlgId::SHA256,
        select: &[0xFF; 9],
    }];
    let list = List::<_, 16>::new(&selections).unwrap();
    let mut buf = [0u8; 64];
    let mut w = tpm2_wire::Writer::new(&mut buf);
    tpm2_wire::Marshal::marshal(&list, &mut w);
    assert_eq!(
        w.result(),
        Err(WireError::TooLarge {
            offset: 4,
            value: 9,
            max: 8
        })
    );
}

#[test]
fn bytes_a_sized_structure_leaves_and_the_first_of_several_failures_are_reported() {
    // A TPM2B_NV_PUBLIC that says 16 bytes around a 14-byte NV public area: the two bytes
    // the area leaves are refused where they start, not read as what follows.
    let bytes = hex("0010 01c00002 000b 00000000 0000 0010 ffff");
    assert_eq!(
        Tpm2b::<NvPublic>::from_bytes(&bytes),
        Err(WireError::TrailingBytes {
            offset: 16,
            count: 2
        })
    );
    // An object type no TPM defines, then bytes no public area of any type would leave:
    // the first failure is the one reported, and nothing is read after it.
    let bytes = hex("0099 000b 00000072 0000 0001 0002");
    assert_eq!(
        tpm2_wire::Public::from_bytes(&bytes),
        Err(WireError::BadSelector {
            offset: 0,
            value: 0x99
        })
    );
    let mut r = Reader::new(&bytes);
    let _ = tpm2_wire::Public::decode(&mut r);
    assert_eq!(
        (r.remaining(), r.u16()),
        (0, 0),
        "reading stops at the failure"
    );
}

#[test]
fn a_finished_command_refuses_later_writes_as_out_of_order() {
    let mut buf = [0u8; 64];
    let mut cmd = CommandWriter::new(&mut buf, CommandCode::NV_READ_PUBLIC);
    cmd.handle(Handle(0x01C0_0002));
    assert_eq!(cmd.finish(), Ok(14));
    cmd.param(&0u16);
    assert_eq!(cmd.finish(), Err(WireError::OutOfOrder { offset: 14 }));
    assert_eq!(
        &buf[2..6],
        &[0, 0, 0, 14],
        "the finished frame is left as it was"
    );
}
