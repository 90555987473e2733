//! Attestation differential with tpm2-tools on swtpm: a Quote made by the library passes
//! `tpm2_checkquote`; a `tpm2_quote` passes the library's verifier; a credential the library
//! makes is activated by `tpm2_activatecredential`, and one `tpm2_makecredential` makes is
//! activated by the library; the AK Name the library computes equals `tpm2_createak`'s.

use core::time::Duration;
use std::path::Path;
use std::process::Command;

use tpm2_cmds::ek::RSA_2048_TEMPLATE;
use tpm2_cmds::host::Swtpm;
use tpm2_cmds::templates::AK_RSA_2048;
use tpm2_cmds::verify::{self, Expected, QuoteError};
use tpm2_cmds::{PcrBank, Tpm};
use tpm2_tests::attest::quote_sha256;
use tpm2_tests::delay::VirtualClock;
use tpm2_tests::qemu::{fresh_dir, require_program};
use tpm2_tests::swtpm::SwtpmServer;
use tpm2_wire::{
    AlgId, Auth, EncryptedSecret, IdObject, Marshal, PcrBitmap, PcrSelection, Public, Signature,
    Tpm2b, Unmarshal,
};

const QUOTED: [u32; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 16];
const PCR_LIST: &str = "sha256:0,1,2,3,4,5,6,7,16";

fn connect(swtpm: &SwtpmServer) -> Tpm<Swtpm, VirtualClock> {
    let link = Swtpm::connect(swtpm.addr(), Duration::from_secs(30)).unwrap();
    Tpm::new(link, VirtualClock::default())
}

/// Runs a tpm2-tools program on `swtpm` in `dir`; panics with its stderr if it fails.
fn tool(swtpm: &SwtpmServer, dir: &Path, program: &str, args: &[&str]) -> String {
    require_program(program, "tpm2-tools").unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TPM2TOOLS_TCTI", swtpm.tcti())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// tpm2-tools' credential file: magic, version, then the TPM2B_ID_OBJECT and the
/// TPM2B_ENCRYPTED_SECRET, big-endian.
fn credential_file(id_object: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xBADC_C0DEu32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    for part in [id_object, secret] {
        out.extend_from_slice(&u16::try_from(part.len()).unwrap().to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The PCR file `tpm2_quote -o` writes and `tpm2_checkquote -f` reads: the TPML_PCR_SELECTION
/// and then TPML_DIGESTs of 8 values each, as tpm2-tools' C structures lie in memory
/// (little-endian, TPMS_PCR_SELECTION padded to 8 bytes, 16 of them; TPM2B_DIGEST 66 bytes, 8
/// of them). (Its `-f` with bare values and `-l` fails to hash in tpm2-tools 5.4.)
fn tools_pcrs_file(bank: &PcrBank, bitmap: PcrBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..16 {
        let mut entry = [0u8; 8];
        if i == 0 {
            entry[..2].copy_from_slice(&AlgId::SHA256.0.to_le_bytes());
            entry[2] = 3;
            entry[3..6].copy_from_slice(&bitmap.0);
        }
        out.extend_from_slice(&entry);
    }
    let selection = PcrSelection::new(AlgId::SHA256, &bitmap);
    let values: Vec<&[u8]> = selection.indices().map(|i| bank.get(i).unwrap()).collect();
    let lists = values.chunks(8).collect::<Vec<_>>();
    out.extend_from_slice(&u32::try_from(lists.len()).unwrap().to_le_bytes());
    for list in lists {
        out.extend_from_slice(&u32::try_from(list.len()).unwrap().to_le_bytes());
        for k in 0..8 {
            let mut digest = [0u8; 66];
            if let Some(v) = list.get(k) {
                digest[..2].copy_from_slice(&u16::try_from(v.len()).unwrap().to_le_bytes());
                digest[2..2 + v.len()].copy_from_slice(v);
            }
            out.extend_from_slice(&digest);
        }
    }
    out
}

fn parse_credential_file(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(bytes[..8], [0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1]);
    let mut r = tpm2_wire::Reader::new(&bytes[8..]);
    let id = IdObject::unmarshal(&mut r).unwrap().as_bytes().to_vec();
    let secret = EncryptedSecret::unmarshal(&mut r)
        .unwrap()
        .as_bytes()
        .to_vec();
    r.finish().unwrap();
    (id, secret)
}

#[test]
fn a_library_quote_passes_tpm2_checkquote_and_a_wrong_nonce_does_not() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("attest-checkquote").unwrap();
    let mut rng = rand::rng();
    let nonce = rand::random::<[u8; 20]>();
    {
        let mut tpm = connect(&swtpm);
        let ek = tpm
            .create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY)
            .unwrap()
            .handle;
        let mut ek_guard = tpm.flushing(ek);
        let ak = ek_guard
            .create_ak(ek, Auth::EMPTY, (&AK_RSA_2048, Auth::EMPTY), &mut rng)
            .unwrap();
        let mut ak_guard = ek_guard.flushing(ak.handle);
        let public = ak.blob.public().unwrap();
        std::fs::write(dir.join("ak.pem"), verify::spki_pem(&public).unwrap()).unwrap();
        let bitmap = PcrBitmap::of(&QUOTED);
        let (quoted, signature) = quote_sha256(&mut ak_guard, ak.handle, &nonce, &bitmap);
        std::fs::write(dir.join("quote.msg"), quoted).unwrap();
        std::fs::write(dir.join("quote.sig"), signature).unwrap();
        let bank = ak_guard.pcr_read_bank(AlgId::SHA256).unwrap();
        std::fs::write(dir.join("quote.pcrs"), tools_pcrs_file(&bank, bitmap)).unwrap();
        let mut moved = bank.clone();
        moved.set(16, &[0x42; 32]);
        std::fs::write(dir.join("moved.pcrs"), tools_pcrs_file(&moved, bitmap)).unwrap();
        ak_guard.flush().unwrap();
        ek_guard.flush().unwrap();
    }
    let args = |nonce: String, pcrs: &'static str| {
        let base = [
            "-u",
            "ak.pem",
            "-m",
            "quote.msg",
            "-s",
            "quote.sig",
            "-g",
            "sha256",
        ];
        let mut args: Vec<String> = base.iter().map(ToString::to_string).collect();
        args.extend(["-f".into(), pcrs.into(), "-q".into(), nonce]);
        args
    };
    let good = args(hex(&nonce), "quote.pcrs");
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let printed = tool(&swtpm, &dir, "tpm2_checkquote", &good);
    assert!(printed.contains("sig:"), "{printed}");
    for (wrong, what) in [
        (args("00112233".into(), "quote.pcrs"), "a wrong nonce"),
        (
            args(hex(&nonce), "moved.pcrs"),
            "PCR values that do not hash to pcrDigest",
        ),
    ] {
        let refused = Command::new("tpm2_checkquote")
            .args(&wrong)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(!refused.status.success(), "tpm2_checkquote accepted {what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An AK of `alg` signing with `scheme`, made by tpm2_createak: its Name and its public key
/// (tpm2_readpublic's PEM) come out alike from the library, and a tpm2_quote by it verifies.
fn tools_quote_verified(alg: &str, scheme: &str) {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("attest-tpm2-quote").unwrap();
    tool(
        &swtpm,
        &dir,
        "tpm2_createek",
        &["-c", "ek.ctx", "-G", alg, "-u", "ek.pub"],
    );
    let createak = [
        "-C", "ek.ctx", "-c", "ak.ctx", "-G", alg, "-g", "sha256", "-s", scheme,
    ];
    let mut args = createak.to_vec();
    args.extend(["-u", "ak.pub", "-n", "ak.name"]);
    tool(&swtpm, &dir, "tpm2_createak", &args);
    tool(&swtpm, &dir, "tpm2_flushcontext", &["-t"]);
    let readpublic = ["-c", "ak.ctx", "-f", "pem", "-o", "ak.pem"];
    tool(&swtpm, &dir, "tpm2_readpublic", &readpublic);
    tool(&swtpm, &dir, "tpm2_flushcontext", &["-t"]);
    let nonce = "a5a5a5a5deadbeef0011";
    let quote = ["-c", "ak.ctx", "-l", PCR_LIST, "-q", nonce, "-g", "sha256"];
    let mut args = quote.to_vec();
    args.extend(["--scheme", scheme]);
    args.extend(["-m", "quote.msg", "-s", "quote.sig", "-o", "quote.pcrs"]);
    tool(&swtpm, &dir, "tpm2_quote", &args);
    tool(&swtpm, &dir, "tpm2_flushcontext", &["-t"]);

    let ak_pub = std::fs::read(dir.join("ak.pub")).unwrap();
    let public = Tpm2b::<Public>::from_bytes(&ak_pub).unwrap().0;
    let name = std::fs::read(dir.join("ak.name")).unwrap();
    assert_eq!(verify::object_name(&public).unwrap().as_bytes(), name);
    let pem = std::fs::read_to_string(dir.join("ak.pem")).unwrap();
    assert_eq!(
        verify::spki_pem(&public).unwrap().trim(),
        pem.trim(),
        "{alg} SPKI"
    );

    let msg = std::fs::read(dir.join("quote.msg")).unwrap();
    let sig = std::fs::read(dir.join("quote.sig")).unwrap();
    let signature = Signature::from_bytes(&sig).unwrap();
    let bank: PcrBank = connect(&swtpm).pcr_read_bank(AlgId::SHA256).unwrap();
    let nonce_bytes: Vec<u8> = (0..nonce.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&nonce[i..i + 2], 16).unwrap())
        .collect();
    let bitmap = PcrBitmap::of(&QUOTED);
    let selection = [PcrSelection::new(AlgId::SHA256, &bitmap)];
    let banks = [bank];
    let expected = Expected {
        nonce: &nonce_bytes,
        selection: &selection,
        pcrs: &banks,
    };
    let attest = verify::verify_quote(&public, &msg, &signature, &expected)
        .unwrap_or_else(|e| panic!("{alg}/{scheme} tpm2_quote output refused: {e}"));
    assert_eq!(attest.extra_data.as_bytes(), nonce_bytes);
    let another = Expected {
        nonce: b"another",
        ..expected
    };
    assert_eq!(
        verify::verify_quote(&public, &msg, &signature, &another).map(drop),
        Err(QuoteError::NonceMismatch)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tpm2_quotes_by_rsassa_rsapss_and_ecdsa_aks_pass_the_library_verifier() {
    for (alg, scheme) in [("rsa", "rsassa"), ("rsa", "rsapss"), ("ecc", "ecdsa")] {
        tools_quote_verified(alg, scheme);
    }
}

#[test]
fn a_library_credential_is_activated_by_tpm2_activatecredential() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("attest-activate").unwrap();
    tool(
        &swtpm,
        &dir,
        "tpm2_createek",
        &["-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"],
    );
    let args = [
        "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-u", "ak.pub", "-n", "ak.name",
    ];
    tool(&swtpm, &dir, "tpm2_createak", &args);
    tool(&swtpm, &dir, "tpm2_flushcontext", &["-t"]);

    let ek_pub = std::fs::read(dir.join("ek.pub")).unwrap();
    let ek = Tpm2b::<Public>::from_bytes(&ek_pub).unwrap().0;
    let name = std::fs::read(dir.join("ak.name")).unwrap();
    let secret = b"made by tpm2-cmds, for tpm2-tools";
    let credential = verify::make_credential(&ek, &name, &secret[..32], &mut rand::rng()).unwrap();
    let file = credential_file(
        credential.id_object().as_bytes(),
        credential.encrypted_secret().as_bytes(),
    );
    std::fs::write(dir.join("cred.bin"), file).unwrap();
    tool(
        &swtpm,
        &dir,
        "tpm2_startauthsession",
        &["--policy-session", "-S", "session.ctx"],
    );
    tool(
        &swtpm,
        &dir,
        "tpm2_policysecret",
        &["-S", "session.ctx", "-c", "e"],
    );
    let activate = [
        "-c",
        "ak.ctx",
        "-C",
        "ek.ctx",
        "-i",
        "cred.bin",
        "-o",
        "secret.out",
    ];
    let mut args = activate.to_vec();
    args.extend(["-P", "session:session.ctx"]);
    tool(&swtpm, &dir, "tpm2_activatecredential", &args);
    tool(&swtpm, &dir, "tpm2_flushcontext", &["session.ctx"]);
    assert_eq!(std::fs::read(dir.join("secret.out")).unwrap(), secret[..32]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tpm2_makecredential_credential_is_activated_by_the_library() {
    let swtpm = SwtpmServer::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = fresh_dir("attest-makecredential").unwrap();
    let mut rng = rand::rng();
    // The library's EK and AK stay loaded while tpm2_makecredential runs without a TPM.
    let (ek, ak) = {
        let mut tpm = connect(&swtpm);
        let created = tpm.create_ek(&RSA_2048_TEMPLATE, Auth::EMPTY).unwrap();
        let ek = created.handle;
        std::fs::write(dir.join("ek.pub"), Tpm2b(created.public).to_vec().unwrap()).unwrap();
        let ak = tpm
            .create_ak(ek, Auth::EMPTY, (&AK_RSA_2048, Auth::EMPTY), &mut rng)
            .unwrap();
        (ek, ak)
    };
    std::fs::write(dir.join("secret.bin"), b"made by tpm2-tools").unwrap();
    let name = hex(ak.name());
    let args = [
        "-T",
        "none",
        "-u",
        "ek.pub",
        "-s",
        "secret.bin",
        "-n",
        &name,
        "-o",
        "cred.bin",
    ];
    tool(&swtpm, &dir, "tpm2_makecredential", &args);
    let (id, enc) = parse_credential_file(&std::fs::read(dir.join("cred.bin")).unwrap());

    let mut tpm = connect(&swtpm);
    let released = tpm
        .activate_credential_with_ek(
            (ak.handle, Auth::EMPTY),
            (ek, Auth::EMPTY),
            (
                IdObject::new(&id).unwrap(),
                EncryptedSecret::new(&enc).unwrap(),
            ),
            &mut rng,
        )
        .unwrap();
    assert_eq!(released.as_bytes(), b"made by tpm2-tools");
    tpm.flush_context(ak.handle).unwrap();
    tpm.flush_context(ek).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
