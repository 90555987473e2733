//! Writes the fuzz seed corpus from real peers (run by `cargo xtask fuzz-corpus`, ignored in
//! `cargo xtask test`): libtpms' answers to each command the `responses` target sends, the
//! register reads QEMU's tpm-tis and tpm-crb return during a GetRandom round trip, the EK
//! templates, the field codes, and an mssim stream.

use std::path::PathBuf;

use tpm2_cmds::ek::{ECC_P256_TEMPLATE, RSA_2048_TEMPLATE};
use tpm2_cmds::{ProvisionConfig, RetryPolicy, Tpm};
use tpm2_tests::delay::{CountingDelay, VirtualClock};
use tpm2_tests::libtpms::Libtpms;
use tpm2_tests::qemu::{Device, QemuTpm};
use tpm2_tests::tap::{Access, Tap};
use tpm2_wire::{
    AlgId, Auth, Capability, Handle, Marshal, PcrSelection, PcrSelectionList, StartupType,
    Transport, Writer,
};

fn corpus(target: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keeps the responses a transport returned since the last seed was saved.
struct Recording<T> {
    inner: T,
    frames: Vec<Vec<u8>>,
}

impl<T: Transport> Transport for Recording<T> {
    type Error = T::Error;
    fn transact<'b>(&mut self, buf: &'b mut [u8], len: usize) -> Result<&'b [u8], T::Error> {
        let rsp = self.inner.transact(buf, len)?;
        self.frames.push(rsp.to_vec());
        Ok(rsp)
    }
}

fn get_random_frame(buf: &mut [u8]) -> usize {
    let mut cmd = tpm2_wire::CommandWriter::new(buf, tpm2_wire::CommandCode::GET_RANDOM);
    cmd.param(&16u16);
    cmd.finish().unwrap()
}

#[test]
#[ignore = "writes the fuzz seed corpus; run by cargo xtask fuzz-corpus"]
fn capture_fuzz_seed_corpus() {
    // responses: selector byte (as in fuzz_targets/responses.rs) + libtpms' answers to
    // every command of the operation, each behind its u16 length.
    let mut tpm = Tpm::new(
        Recording {
            inner: Libtpms::start().unwrap(),
            frames: Vec::new(),
        },
        VirtualClock::default(),
    )
    .with_retry(RetryPolicy::NEVER);
    let dir = corpus("responses");
    let save = |which: u8, tpm: &mut Tpm<Recording<Libtpms>, VirtualClock>| {
        let mut seed = vec![which];
        for frame in core::mem::take(&mut tpm.transport_mut().frames) {
            seed.extend(u16::try_from(frame.len()).unwrap().to_be_bytes());
            seed.extend(frame);
        }
        std::fs::write(dir.join(format!("libtpms-{which:02}")), seed).unwrap();
    };
    let _ = tpm.startup(StartupType::CLEAR);
    save(0, &mut tpm);
    let _ = tpm.self_test(true);
    tpm.transport_mut().frames.clear();
    let _ = tpm.get_test_result();
    save(1, &mut tpm);
    let _ = tpm.get_random(32);
    save(2, &mut tpm);
    let _ = tpm.get_capability(Capability::TPM_PROPERTIES, 0x100, 64);
    save(3, &mut tpm);
    let _ = tpm.nv_read_public(Handle(0x01C0_0002));
    save(4, &mut tpm);
    let created = tpm
        .create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY)
        .map(|c| c.handle);
    save(7, &mut tpm);
    if let Ok(handle) = created {
        let _ = tpm.read_public(handle);
        save(6, &mut tpm);
        let _ = tpm.flush_context(handle);
        save(11, &mut tpm);
    }
    let select = [PcrSelection {
        hash: AlgId::SHA256,
        select: &[0xFF, 0xFF, 0xFF],
    }];
    let _ = tpm.pcr_read(&PcrSelectionList::new(&select).unwrap());
    save(8, &mut tpm);
    let _ = tpm.dictionary_attack_lock_reset(Auth::EMPTY);
    save(9, &mut tpm);
    let _ = tpm.for_each_capability(Capability::HANDLES, 0x8100_0000, |_| {});
    save(13, &mut tpm);
    let _ = tpm.provision_ek(&ProvisionConfig::rsa());
    save(14, &mut tpm);
    capture_attestation(&mut tpm, &save);
    let mssim_rsp = {
        let _ = tpm.get_random(16);
        tpm.transport_mut().frames.pop().unwrap_or_default()
    };
    drop(tpm);

    capture_register_and_static_seeds(&mssim_rsp);
}

/// The client whose answers are recorded.
type Recorded = Tpm<Recording<Libtpms>, VirtualClock>;

/// The attestation commands' answers: an AK under an SRK created, loaded, quoting,
/// certifying itself, saved and loaded back; the clock; a whole bank; an AK created and
/// loaded at once.
fn capture_attestation(tpm: &mut Recorded, save: &dyn Fn(u8, &mut Recorded)) {
    use tpm2_cmds::templates::{AK_RSA_2048, SRK_RSA_2048};
    use tpm2_wire::{Data, SensitiveCreate, SigScheme};
    let srk = tpm
        .create_primary(
            Handle::OWNER,
            Auth::EMPTY,
            &SRK_RSA_2048,
            &SensitiveCreate::default(),
            Data::EMPTY,
            &PcrSelectionList::empty(),
        )
        .unwrap()
        .handle;
    tpm.transport_mut().frames.clear();
    let blob = tpm
        .create(srk, Auth::EMPTY, &AK_RSA_2048, &SensitiveCreate::default())
        .map(|c| tpm2_cmds::KeyBlob::of(&c).unwrap())
        .unwrap();
    save(16, tpm);
    let ak = tpm
        .load(srk, Auth::EMPTY, blob.private(), &blob.public().unwrap())
        .unwrap()
        .handle;
    save(17, tpm);
    let select = [PcrSelection {
        hash: AlgId::SHA256,
        select: &[0xFF, 0xFF, 0xFF],
    }];
    let selection = PcrSelectionList::new(&select).unwrap();
    let _ = tpm.quote(ak, Auth::EMPTY, Data::EMPTY, SigScheme::NULL, &selection);
    save(19, tpm);
    let signer = (ak, Auth::EMPTY);
    let _ = tpm.certify(signer, signer, Data::EMPTY, SigScheme::NULL);
    save(20, tpm);
    let _ = tpm.read_clock();
    save(23, tpm);
    let _ = tpm.context_save(ak);
    save(25, tpm);
    let _ = tpm.pcr_read_bank(AlgId::SHA256);
    save(27, tpm);
    tpm.flush_context(ak).unwrap();
    tpm.transport_mut().frames.clear();
    let loaded = tpm.create_loaded(srk, Auth::EMPTY, &AK_RSA_2048, &SensitiveCreate::default());
    let loaded = loaded.map(|l| l.handle);
    save(18, tpm);
    for handle in [loaded.ok(), Some(srk)].into_iter().flatten() {
        tpm.flush_context(handle).unwrap();
    }
    tpm.transport_mut().frames.clear();
}

/// The tis, crb, commands, rc and mssim seeds.
fn capture_register_and_static_seeds(mssim_rsp: &[u8]) {
    // tis and crb: the register reads of a real round trip.
    for (target, device) in [("tis", Device::Tis), ("crb", Device::Crb)] {
        let mut bus = Tap::new(QemuTpm::start(device).unwrap());
        let mut buf = [0u8; 4096];
        let len = get_random_frame(&mut buf);
        let ok = match device {
            Device::Tis => tpm2_tis::Tis::new(
                &mut bus,
                CountingDelay::default(),
                tpm2_tis::Config::default(),
            )
            .is_ok_and(|mut t| t.transact(&mut buf, len).is_ok()),
            Device::Crb => tpm2_crb::Crb::new(
                &mut bus,
                CountingDelay::default(),
                tpm2_crb::Config::default(),
            )
            .is_ok_and(|mut t| t.transact(&mut buf, len).is_ok()),
        };
        assert!(ok, "{target}");
        // Every value read, little-endian, in order.
        let reads: Vec<u8> = bus
            .log
            .iter()
            .filter(|a| !a.write)
            .flat_map(Access::bytes)
            .collect();
        std::fs::write(corpus(target).join("qemu-get-random"), reads).unwrap();
    }

    // commands: size byte, then an encoded template.
    for (name, template) in [("ek-rsa", RSA_2048_TEMPLATE), ("ek-ecc", ECC_P256_TEMPLATE)] {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        template.marshal(&mut w);
        let n = w.result().unwrap();
        std::fs::write(
            corpus("commands").join(name),
            [&[0xFF][..], &buf[..n]].concat(),
        )
        .unwrap();
    }
    // rc: the field codes.
    for code in [0x921u32, 0x18B, 0x9A2, 0x98E, 0x100, 0x0A_000A] {
        std::fs::write(corpus("rc").join(format!("{code:x}")), code.to_le_bytes()).unwrap();
    }
    // mssim: 8 platform bytes (two acks), then length, response, trailing zero.
    let len = u32::try_from(mssim_rsp.len()).unwrap().to_be_bytes();
    let stream = [&[0u8; 8][..], &len, mssim_rsp, &[0; 4]].concat();
    std::fs::write(corpus("mssim").join("libtpms-get-random"), stream).unwrap();
}
