//! Every command's response parsing, fed fuzzer bytes as the TPM's answers: one frame per
//! command, so that the multi-command flows (paging, chunked NV reads, EK provisioning)
//! reach their later steps with a different answer at each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_cmds::{ProvisionConfig, RetryPolicy, Tpm};
use tpm2_fuzz::{Instant, Script};
use tpm2_wire::{AlgId, Auth, Capability, Handle, PcrSelection, PcrSelectionList, StartupType};

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
    match which % 16 {
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
        _ => {
            let mut dst = [0u8; 3000];
            drop(tpm.nv_read_into(Handle::OWNER, Auth::EMPTY, Handle(0x0150_0000), 0, &mut dst));
        }
    }
});
