//! Every command of `tpm2-cmds` against the TCG reference implementation: libtpms
//! in-process, or the mssim simulator named in `TPM2_TEST_MSSIM` (see `tpm2_tests::peer`),
//! including the failures of the ESXi field logs reproduced on purpose.

use tpm2_cmds::ek::{EkKind, RSA_2048_TEMPLATE};
use tpm2_cmds::{
    Failure, Outcome, ProvisionConfig, StartupOutcome, Step, TemplateField, TemplateSource, Tpm,
};
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::peer::Peer;
use tpm2_wire::{
    AlgId, Auth, Capability, CapabilityData, Data, Handle, HandleType, NvAttributes, NvPublic,
    PcrSelection, PcrSelectionList, Property, PublicParameters, SensitiveCreate, StartupType,
    TaggedHash, reserved,
};

type Client = Tpm<Peer, VirtualClock>;

fn tpm() -> Client {
    tpm2_tests::peer::started().unwrap_or_else(|e| panic!("{e}"))
}

fn auth(bytes: &[u8]) -> Auth<'_> {
    Auth::new(bytes).unwrap()
}

#[test]
fn startup_self_test_random_and_capabilities() {
    let mut tpm = tpm();
    assert_eq!(
        tpm.startup(StartupType::CLEAR).unwrap(),
        StartupOutcome::AlreadyStarted
    );
    tpm.self_test(true).unwrap();
    let result = tpm.get_test_result().unwrap();
    assert!(result.result.is_success(), "{}", result.result);
    assert_eq!(tpm.get_random(16).unwrap().len(), 16);
    assert_eq!(
        tpm.get_property(Property::FAMILY_INDICATOR).unwrap(),
        Some(u32::from_be_bytes(*b"2.0\0"))
    );
    assert!(tpm.nv_buffer_max().unwrap() >= 512);

    // Paged: the commands capability, a few values per page, must cover every command once.
    let mut commands = Vec::new();
    let pages = tpm
        .for_each_capability(Capability::COMMANDS, 0, |data| {
            if let CapabilityData::Commands(list) = data {
                commands.extend(list.iter().map(tpm2_wire::CommandAttributes::command_index));
            }
        })
        .unwrap();
    assert!(
        pages >= 1 && commands.len() > 50,
        "{pages} pages, {} commands",
        commands.len()
    );
    let mut sorted = commands.clone();
    sorted.dedup();
    assert_eq!(sorted, commands, "no command twice across pages");
    let mut algs = 0;
    tpm.for_each_capability(Capability::ALGS, 0, |d| {
        if let CapabilityData::Algorithms(l) = d {
            algs += l.len();
        }
    })
    .unwrap();
    assert!(algs > 10);
    tpm.shutdown(StartupType::CLEAR).unwrap();
}

/// PCR_Extend of SHA-256 PCR `pcr` with `digest`.
fn extend_sha256(tpm: &mut Client, pcr: u32, digest: [u8; 32]) {
    let values = [TaggedHash {
        alg: AlgId::SHA256,
        digest: &digest,
    }];
    tpm.pcr_extend(
        pcr,
        Auth::EMPTY,
        &tpm2_wire::DigestValues::new(&values).unwrap(),
    )
    .unwrap();
}

#[test]
fn pcr_extend_then_read_back() {
    let mut tpm = tpm();
    let select = [0x80, 0, 0]; // PCR 7
    let selection = [PcrSelection {
        hash: AlgId::SHA256,
        select: &select,
    }];
    let selection = PcrSelectionList::new(&selection).unwrap();
    let before = tpm
        .pcr_read(&selection)
        .unwrap()
        .digests
        .iter()
        .next()
        .unwrap()
        .as_bytes()
        .to_vec();
    assert_eq!(before, [0u8; 32]);
    extend_sha256(&mut tpm, 7, [0x11; 32]);
    let read = tpm.pcr_read(&selection).unwrap();
    let after = read.digests.iter().next().unwrap();
    assert_ne!(after.as_bytes(), [0u8; 32]);
    assert!(read.selection.iter().next().unwrap().is_selected(7));
}

#[test]
fn nv_define_write_and_chunked_read() {
    let mut tpm = tpm();
    let index = Handle(0x0150_0001);
    let data: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let public = NvPublic {
        index,
        name_alg: AlgId::SHA256,
        attributes: NvAttributes::OWNERWRITE
            | NvAttributes::OWNERREAD
            | NvAttributes::AUTHREAD
            | NvAttributes::AUTHWRITE,
        auth_policy: tpm2_wire::Digest::EMPTY,
        data_size: u16::try_from(data.len()).unwrap(),
    };
    tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, Auth::EMPTY, &public)
        .unwrap();
    let again = tpm
        .nv_define_space(Handle::OWNER, Auth::EMPTY, Auth::EMPTY, &public)
        .unwrap_err();
    assert!(again.is(Failure::AlreadyDefined), "{again}");
    tpm.nv_write(Handle::OWNER, Auth::EMPTY, index, 0, &data)
        .unwrap();
    let read = tpm.nv_read_public(index).unwrap();
    assert_eq!(read.public.data_size, 2000);
    assert!(read.public.attributes.contains(NvAttributes::WRITTEN));
    let mut back = vec![0u8; data.len()];
    tpm.nv_read_into(Handle::OWNER, Auth::EMPTY, index, 0, &mut back)
        .unwrap();
    assert_eq!(back, data, "2000 bytes read back in NV_BUFFER_MAX chunks");
    tpm.nv_undefine_space(Handle::OWNER, Auth::EMPTY, index)
        .unwrap();
    assert!(
        tpm.nv_read_public(index)
            .unwrap_err()
            .is(Failure::NvIndexNotDefined)
    );
}

#[test]
fn field_failure_0x921_da_lockout_from_lock_reset() {
    let mut tpm = tpm();
    tpm.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, auth(b"lockout-secret"))
        .unwrap();
    let wrong = tpm
        .dictionary_attack_lock_reset(auth(b"guess"))
        .unwrap_err();
    assert_eq!(wrong.tpm().unwrap().code.raw(), 0x98E);
    assert!(wrong.is(Failure::BadLockoutAuth), "{wrong}");
    let locked = tpm
        .dictionary_attack_lock_reset(auth(b"lockout-secret"))
        .unwrap_err();
    let e = locked.tpm().unwrap();
    assert_eq!(e.code.raw(), 0x921, "{locked}");
    assert_eq!(e.failure(), Failure::LockoutHierarchyLocked);
    assert!(
        locked
            .to_string()
            .starts_with("DictionaryAttackLockReset: (0x921) tpm:warn(2.0)"),
        "{locked}"
    );
}

#[test]
fn field_failure_0x18b_no_ek_certificate() {
    let mut tpm = tpm();
    let err = tpm.nv_read_public(reserved::RSA_EK_CERT_NV).unwrap_err();
    assert_eq!(err.tpm().unwrap().code.raw(), 0x18B);
    assert!(err.is(Failure::NvIndexNotDefined), "{err}");
}

#[test]
fn field_failure_0x9a2_foreign_endorsement_auth() {
    let mut tpm = tpm();
    tpm.hierarchy_change_auth(Handle::ENDORSEMENT, Auth::EMPTY, auth(b"someone-else"))
        .unwrap();
    let err = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap_err();
    assert_eq!(err.tpm().unwrap().code.raw(), 0x9A2, "{err}");
    assert!(err.is(Failure::BadHierarchyAuth));
    // The report names the step and the code.
    let report = tpm.provision_ek(&ProvisionConfig::rsa()).unwrap();
    assert_eq!(report.outcome, Outcome::Failed);
    assert!(matches!(report.create_primary, Step::Failed(e) if e.code.raw() == 0x9A2));
    assert_eq!(report.certificate, Step::Absent);
}

#[test]
fn template_errors_name_the_field() {
    let mut tpm = tpm();
    let mut cases = Vec::new();
    let mut t = RSA_2048_TEMPLATE;
    t.name_alg = AlgId(0x0099);
    cases.push((t, TemplateField::NameAlg));
    let mut t = RSA_2048_TEMPLATE;
    t.attributes |= tpm2_wire::ObjectAttributes::SIGN_ENCRYPT;
    cases.push((t, TemplateField::Attributes));
    let mut t = RSA_2048_TEMPLATE;
    if let PublicParameters::Rsa { parms, .. } = &mut t.parameters {
        parms.scheme = tpm2_wire::Scheme {
            scheme: AlgId::RSASSA,
            hash: AlgId::SHA256,
            extra: 0,
        };
    }
    cases.push((t, TemplateField::Scheme));
    let mut t = tpm2_cmds::ek::ECC_P256_TEMPLATE;
    if let PublicParameters::Ecc { parms, .. } = &mut t.parameters {
        parms.curve = tpm2_wire::EccCurve(0x0099);
    }
    cases.push((t, TemplateField::Curve));
    for (template, field) in cases {
        let err = tpm
            .create_primary(
                Handle::OWNER,
                Auth::EMPTY,
                &template,
                &SensitiveCreate::default(),
                Data::EMPTY,
                &PcrSelectionList::empty(),
            )
            .unwrap_err();
        assert_eq!(
            err.tpm().unwrap().failure(),
            Failure::TemplateRejected(field),
            "{err}"
        );
        assert_eq!(
            err.tpm().unwrap().code.subject(),
            Some(tpm2_wire::Subject::Parameter(2))
        );
    }
}

#[test]
fn the_default_ek_of_each_kind_is_the_ek_of_its_default_template() {
    let mut tpm = tpm();
    for kind in [EkKind::Rsa2048, EkKind::EccP256] {
        let created = tpm.create_default_ek(kind, Auth::EMPTY).unwrap();
        let (handle, name) = (created.handle, created.name.as_bytes().to_vec());
        tpm.flush_context(handle).unwrap();
        let created = tpm
            .create_ek(&kind.default_template(), Auth::EMPTY)
            .unwrap();
        let (again, same) = (created.handle, created.name.as_bytes().to_vec());
        tpm.flush_context(again).unwrap();
        assert_eq!(
            name, same,
            "{kind:?}: the same key, derived from the same template"
        );
    }
    let err = tpm
        .create_default_ek(EkKind::Rsa2048, auth(b"not-the-endorsement-auth"))
        .unwrap_err();
    assert!(err.is(Failure::BadHierarchyAuth), "{err}");
}

#[test]
fn create_primary_read_public_evict_and_flush() {
    let mut tpm = tpm();
    let created = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap();
    assert_eq!(created.handle.handle_type(), HandleType::TRANSIENT);
    assert_eq!(created.public.attributes, RSA_2048_TEMPLATE.attributes);
    let name = created.name.as_bytes().to_vec();
    let handle = created.handle;
    assert_eq!(name.len(), 34);
    let read = tpm.read_public(handle).unwrap();
    assert_eq!(read.name.as_bytes(), name);
    let PublicParameters::Rsa { unique, .. } = read.public.parameters else {
        panic!("not RSA")
    };
    assert_eq!(unique.len(), 256, "the modulus");
    tpm.evict_control(Handle::OWNER, Auth::EMPTY, handle, reserved::RSA_EK)
        .unwrap();
    tpm.flush_context(handle).unwrap();
    assert!(
        tpm.read_public(handle)
            .unwrap_err()
            .is(Failure::ObjectNotFound)
    );
    assert_eq!(
        tpm.read_public(reserved::RSA_EK).unwrap().name.as_bytes(),
        name
    );
    tpm.evict_control(
        Handle::OWNER,
        Auth::EMPTY,
        reserved::RSA_EK,
        reserved::RSA_EK,
    )
    .unwrap();
    assert!(
        tpm.read_public(reserved::RSA_EK)
            .unwrap_err()
            .is(Failure::ObjectNotFound)
    );
}

#[test]
fn provisioning_persists_the_ek_at_0x81010001_then_finds_it() {
    let mut tpm = tpm();
    let config = ProvisionConfig {
        lockout_auth: Some(Auth::EMPTY),
        ..ProvisionConfig::rsa()
    };
    let report = tpm.provision_ek(&config).unwrap();
    assert_eq!(report.outcome, Outcome::Provisioned, "{report:?}");
    assert_eq!(report.da_reset, Step::Done);
    assert_eq!(report.persisted_ek, Step::Absent);
    assert_eq!(report.vendor_template, Step::Absent);
    assert_eq!(report.certificate, Step::Absent);
    assert_eq!(
        (report.create_primary, report.evict_control),
        (Step::Done, Step::Done)
    );
    assert_eq!(report.ek_handle, Some(reserved::RSA_EK));
    assert_eq!(report.template, TemplateSource::Default);
    let name = report.ek_name.clone();
    assert_eq!(
        tpm.read_public(reserved::RSA_EK).unwrap().name.as_bytes(),
        &name[..]
    );

    let again = tpm.provision_ek(&config).unwrap();
    assert_eq!(again.outcome, Outcome::AlreadyProvisioned);
    assert_eq!(again.ek_name, name);
    assert_eq!(again.create_primary, Step::Skipped);
}

#[test]
fn provisioning_uses_a_vendor_template_and_nonce_from_nv() {
    let mut tpm = tpm();
    // A vendor template: the default one with noDA set, and a 16-byte nonce.
    let mut template = RSA_2048_TEMPLATE;
    template.attributes |= tpm2_wire::ObjectAttributes::NO_DA;
    let mut bytes = [0u8; 512];
    let mut w = tpm2_wire::Writer::new(&mut bytes);
    tpm2_wire::Marshal::marshal(&template, &mut w);
    let len = w.result().unwrap();
    let nonce = [0x5Au8; 16];
    for (index, data) in [
        (EkKind::Rsa2048.template_index(), &bytes[..len]),
        (EkKind::Rsa2048.nonce_index(), &nonce[..]),
    ] {
        let public = NvPublic {
            index,
            name_alg: AlgId::SHA256,
            attributes: NvAttributes::OWNERWRITE | NvAttributes::OWNERREAD,
            auth_policy: tpm2_wire::Digest::EMPTY,
            data_size: u16::try_from(data.len()).unwrap(),
        };
        tpm.nv_define_space(Handle::OWNER, Auth::EMPTY, Auth::EMPTY, &public)
            .unwrap();
        tpm.nv_write(Handle::OWNER, Auth::EMPTY, index, 0, data)
            .unwrap();
    }
    let report = tpm
        .provision_ek(&ProvisionConfig {
            persist: false,
            ..ProvisionConfig::rsa()
        })
        .unwrap();
    assert_eq!(report.template, TemplateSource::Vendor, "{report:?}");
    assert_eq!(
        report.vendor_template,
        Step::Present {
            size: u16::try_from(len).unwrap()
        }
    );
    assert_eq!(report.vendor_nonce, Step::Present { size: 16 });
    assert_eq!(report.outcome, Outcome::Created);
    let handle = report.ek_handle.unwrap();
    let public = tpm.read_public(handle).unwrap().public;
    assert!(
        public
            .attributes
            .contains(tpm2_wire::ObjectAttributes::NO_DA),
        "the vendor template was used"
    );
}

#[test]
fn pcr_values_are_paired_with_their_bank_and_index() {
    use tpm2_wire::PcrBitmap;
    let mut tpm = tpm();
    extend_sha256(&mut tpm, 4, [0x22; 32]);
    let pcrs = PcrBitmap::of(&[0, 4, 16]);
    let banks = [
        PcrSelection::new(AlgId::SHA1, &pcrs),
        PcrSelection::new(AlgId::SHA256, &pcrs),
    ];
    let read = tpm
        .pcr_read(&PcrSelectionList::new(&banks).unwrap())
        .unwrap();
    let got: Vec<(AlgId, u32, bool)> = read
        .values()
        .map(|v| (v.bank, v.index, v.digest.as_bytes().iter().all(|&b| b == 0)))
        .collect();
    // The banks the TPM has (libtpms: SHA-1 and SHA-256; the reference simulator: SHA-256
    // only; a bank it does not have comes back with an empty bitmap), each with PCRs 0, 4,
    // 16 in order; only SHA-256 PCR 4 was extended.
    let want: Vec<(AlgId, u32, bool)> = read
        .selection
        .iter()
        .flat_map(|sel| sel.indices().map(move |i| (sel.hash, i)))
        .map(|(bank, i)| (bank, i, !(bank == AlgId::SHA256 && i == 4)))
        .collect();
    let sha256: Vec<u32> = want
        .iter()
        .filter(|w| w.0 == AlgId::SHA256)
        .map(|w| w.1)
        .collect();
    assert_eq!(sha256, [0, 4, 16]);
    assert_eq!(got, want);
}

#[test]
fn typed_property_readers() {
    let mut tpm = tpm();
    let da = tpm.dictionary_attack_state().unwrap();
    assert_eq!(
        (da.failed_tries, da.in_lockout(), da.lockout_auth_set()),
        (0, false, false)
    );
    assert!(da.max_tries > 0 && da.lockout_recovery > 0, "{da:?}");
    tpm.hierarchy_change_auth(Handle::LOCKOUT, Auth::EMPTY, auth(b"set"))
        .unwrap();
    assert!(tpm.dictionary_attack_state().unwrap().lockout_auth_set());
    assert!(
        tpm.permanent()
            .unwrap()
            .contains(tpm2_wire::PermanentAttributes::LOCKOUT_AUTH_SET)
    );
    let clear = tpm.startup_clear().unwrap();
    assert!(
        clear.contains(tpm2_wire::StartupClearAttributes::SH_ENABLE),
        "{clear:?}"
    );
    let id = tpm.fixed_properties().unwrap();
    assert_eq!(&id.family[..3], b"2.0");
    // libtpms says "IBM", the reference simulator "XYZ": four printable ASCII bytes either way.
    assert!(
        id.manufacturer[..3].iter().all(u8::is_ascii_alphanumeric),
        "{id:?}"
    );
    if !Peer::is_external() {
        assert_eq!(&id.manufacturer[..3], b"IBM");
    }
    assert!(id.revision >= 116, "{id:?}");
}
