//! Every command's response parsing, fed fuzzer bytes as the TPM's answers: one frame per
//! command, so that the multi-command flows (paging, chunked NV reads, EK provisioning)
//! reach their later steps with a different answer at each. The attestation commands
//! (Create, Load, Quote, Certify, ActivateCredential, contexts, whole-bank PCR reads) too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::ek::{EkKind, RSA_2048_TEMPLATE};
use tpm2_cmds::templates::AK_RSA_2048;
use tpm2_cmds::{ProvisionConfig, RetryPolicy, Tpm};
use tpm2_fuzz::{Instant, Script};
use tpm2_wire::{
    AlgId, Auth, Capability, Data, Handle, PcrSelection, PcrSelectionList, SigScheme, StartupType,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rsp)) = data.split_first() else {
        return;
    };
    let mut tpm = Tpm::new(Script::new(rsp), Instant).with_retry(RetryPolicy::NEVER);
    let select = [PcrSelection {
        hash: AlgId::SHA256,
        select: &[0xFF, 0xFF, 0xFF],
    }];
    let selection = PcrSelectionList::new(&select).unwrap();
    let creation = tpm2_wire::CreationTicket {
        hierarchy: Handle::OWNER,
        digest: tpm2_wire::Digest::EMPTY,
    };
    let context = tpm2_wire::Context {
        sequence: 1,
        saved_handle: Handle(0x8000_0000),
        hierarchy: Handle::OWNER,
        blob: tpm2_wire::ContextData::EMPTY,
    };
    let ak = (Handle(0x8000_0001), Auth::EMPTY);
    match which % 29 {
        0 => drop(tpm.startup(StartupType::CLEAR)),
        1 => drop(tpm.get_test_result()),
        2 => drop(tpm.get_random(32)),
        3 => drop(tpm.get_capability(Capability::TPM_PROPERTIES, 0x100, 64)),
        4 => drop(tpm.nv_read_public(Handle(0x01C0_0002))),
        5 => drop(tpm.nv_read(Handle::OWNER, Auth::EMPTY, Handle(0x01C0_0002), 64, 0)),
        6 => drop(tpm.read_public(Handle(0x8101_0001))),
        7 => drop(tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY)),
        8 => drop(tpm.pcr_read(&selection)),
        9 => drop(tpm.dictionary_attack_lock_reset(Auth::EMPTY)),
        10 => drop(tpm.evict_control(
            Handle::OWNER,
            Auth::EMPTY,
            Handle(0x8000_0000),
            Handle(0x8101_0001),
        )),
        11 => drop(tpm.flush_context(Handle(0x8000_0000))),
        12 => drop(tpm.hierarchy_change_auth(Handle::OWNER, Auth::EMPTY, Auth::EMPTY)),
        13 => drop(tpm.for_each_capability(Capability::HANDLES, 0x8100_0000, |_| {})),
        14 => drop(tpm.provision_ek(&ProvisionConfig {
            lockout_auth: Some(Auth::EMPTY),
            ..ProvisionConfig::rsa()
        })),
        16 => drop(tpm.create(
            Handle(0x8000_0000),
            Auth::EMPTY,
            &AK_RSA_2048,
            &Default::default(),
        )),
        17 => drop(tpm.load(
            Handle(0x8000_0000),
            Auth::EMPTY,
            tpm2_wire::Private::EMPTY,
            &AK_RSA_2048,
        )),
        18 => drop(tpm.create_loaded(
            Handle::OWNER,
            Auth::EMPTY,
            &AK_RSA_2048,
            &Default::default(),
        )),
        19 => drop(tpm.quote(ak.0, ak.1, Data::EMPTY, SigScheme::NULL, &selection)),
        20 => drop(tpm.certify(ak, ak, Data::EMPTY, SigScheme::NULL)),
        21 => drop(tpm.certify_creation(
            ak,
            ak.0,
            Data::EMPTY,
            (tpm2_wire::Digest::EMPTY, &creation),
            SigScheme::NULL,
        )),
        22 => drop(tpm.sign(
            ak,
            tpm2_wire::Digest::EMPTY,
            SigScheme::NULL,
            &tpm2_wire::HashcheckTicket::NULL,
        )),
        23 => drop(tpm.read_clock()),
        24 => drop(tpm.activate_credential(
            ak,
            (Handle(0x8000_0000), Auth::EMPTY),
            tpm2_wire::IdObject::EMPTY,
            tpm2_wire::EncryptedSecret::EMPTY,
        )),
        25 => drop(tpm.context_save(ak.0)),
        26 => drop(tpm.context_load(&context)),
        27 => drop(tpm.pcr_read_bank(AlgId::SHA256)),
        28 => drop(tpm.create_default_ek(EkKind::EccP256, Auth::EMPTY)),
        15 => {
            let mut dst = [0u8; 3000];
            drop(tpm.nv_read_into(Handle::OWNER, Auth::EMPTY, Handle(0x0150_0000), 0, &mut dst));
        }
        _ => {}
    }
});
