//! A session applied to one command: the password area the command wrote becomes an HMAC
//! (or policy) authorization, the first parameter is encrypted, and the response HMAC is
//! checked and its first parameter decrypted.

use core::ops::Range;

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    CommandCode, CommandWriter, HEADER_LEN, Handle, Reader, Response, SessionAttributes, Transport,
    Unmarshal, Writer,
};
use zeroize::Zeroize;

use super::area::{self, OldArea};
use super::crypto::{DIGEST, cfb, hmac, same, sha256, trim_zeros};
use super::{KEY_AND_AUTH, NameBuf, SecretBuf, Session, SessionError, SessionType};

/// The most handles a command has (TPM 2.0 Part 3: three, for PolicyNV and NV_Certify).
pub(crate) const MAX_HANDLES: usize = 3;

/// The Names of a command's handles, in order.
pub(crate) struct Names {
    pub(crate) names: [NameBuf; MAX_HANDLES],
    pub(crate) count: usize,
}

/// Which installed sessions a command uses, and its handles' Names.
pub(crate) struct Plan {
    names: Names,
    /// The session that authorizes a handle (index in the installed sessions).
    auth: Option<usize>,
    /// Which handle it authorizes: 0 but for a session directed at another handle.
    position: usize,
    /// A further session that only encrypts parameters.
    extra: Option<usize>,
}

impl<T: Transport, D: DelayNs, const N: usize> crate::Tpm<T, D, N> {
    /// How the installed sessions apply to the command `build` writes: the topmost session
    /// not named among the command's handles (PolicySecret names its policy session) authorizes
    /// the first handle; another installed session that encrypts joins as an encryption
    /// session when the authorizing one does not encrypt. `None` when the command carries no
    /// authorization or no session applies. Builds the command once to learn its handles, and
    /// asks the TPM for the Names of NV indices and objects with the sessions set aside.
    #[inline(never)]
    pub(crate) fn session_plan(
        &mut self,
        code: CommandCode,
        build: &crate::tpm::Build<'_>,
    ) -> Result<Option<Plan>, crate::Error<T::Error>> {
        if self.sessions.is_empty() {
            return Ok(None);
        }
        let mut handles_seen = [Handle::NULL; MAX_HANDLES];
        let mut count = 0;
        {
            let mut cmd = CommandWriter::new(&mut self.buf, code);
            build(&mut cmd);
            let auth = cmd.auth_range();
            let wrote = cmd.finish().map(drop);
            let frame = &self.buf;
            let outcome = wrote.map(|()| {
                auth.map(|auth| {
                    for h in handles(frame, auth.start) {
                        if let Some(slot) = handles_seen.get_mut(count) {
                            *slot = h;
                        }
                        count += 1;
                    }
                })
            });
            // The frame may hold an authValue: it is built again for sending.
            let found = outcome.map(|a| a.is_some());
            crate::tpm::wipe(&mut self.buf);
            if !found? {
                return Ok(None);
            }
        }
        if count > MAX_HANDLES {
            return Err(crate::Error::Session(SessionError::TooManyHandles));
        }
        let seen = handles_seen.get(..count).unwrap_or_default();
        let usable = |s: &Session| !seen.contains(&s.handle) && s.kind != SessionType::Trial;
        let authorizes = |s: &Session| usable(s) && s.target.is_none_or(|t| seen.contains(&t));
        let auth = self.sessions.iter().rposition(authorizes);
        let auth_session = auth.and_then(|i| self.sessions.get(i));
        let position = auth_session
            .and_then(|s| s.target)
            .and_then(|t| seen.iter().position(|&h| h == t))
            .unwrap_or(0);
        let auth_encrypts = auth_session.is_some_and(|s| !s.encrypt.is_empty());
        let extra = if auth_encrypts {
            None
        } else {
            self.sessions
                .iter()
                .enumerate()
                .rev()
                .find(|&(i, s)| Some(i) != auth && usable(s) && !s.encrypt.is_empty())
                .map(|(i, _)| i)
        };
        if auth.is_none() && extra.is_none() {
            return Ok(None);
        }
        // A broken session refuses before anything is sent, Names included.
        if [auth, extra]
            .into_iter()
            .flatten()
            .any(|i| self.sessions.get(i).is_none_or(|s| s.broken))
        {
            return Err(crate::Error::Session(SessionError::Broken));
        }
        let sessions = core::mem::take(&mut self.sessions);
        let mut names = Names {
            names: [NameBuf::EMPTY; MAX_HANDLES],
            count,
        };
        let mut result = Ok(());
        for (slot, &h) in names.names.iter_mut().zip(seen) {
            match self.name_of(h) {
                Ok(n) => *slot = n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.sessions = sessions;
        result.map(|()| {
            Some(Plan {
                names,
                auth,
                position,
                extra,
            })
        })
    }

    /// Applies `plan` to the command of `len` bytes in the buffer (see [`seal`]) and moves the
    /// `secrets` ranges (authorization area, secret parameters) to where they now are.
    /// Returns the new length and leaves in `sealed` what the response check needs (`None`
    /// for a command without an authorization area, which is sent as it is). On failure the
    /// buffer is wiped.
    #[inline(never)]
    pub(crate) fn seal_command(
        &mut self,
        plan: &Plan,
        code: CommandCode,
        len: usize,
        secrets: &mut [Option<Range<usize>>; 2],
        sealed: &mut Option<Sealed>,
    ) -> Result<usize, crate::Error<T::Error>> {
        *sealed = None;
        let Some(auth) = secrets[0].clone() else {
            return Ok(len);
        };
        let out = sealed.insert(Sealed::EMPTY);
        match seal(
            &mut self.sessions,
            plan,
            &mut self.buf,
            (len, auth.clone()),
            code,
            out,
        ) {
            Ok((new_len, area)) => {
                // The secret parameters moved with the parameters.
                let moved = |at: usize| at.saturating_sub(auth.end).saturating_add(area.end);
                secrets[1] = secrets[1].clone().map(|r| moved(r.start)..moved(r.end));
                secrets[0] = Some(area);
                Ok(new_len)
            }
            Err(e) => {
                crate::tpm::wipe(&mut self.buf);
                Err(crate::Error::Session(e))
            }
        }
    }

    /// Checks the response of `rsp_len` bytes in the buffer against `sealed` (see [`open`]).
    /// On failure the buffer is wiped, so nothing of the response is returned.
    #[inline(never)]
    pub(crate) fn open_response(
        &mut self,
        sealed: &Sealed,
        code: CommandCode,
        response_handles: usize,
        rsp_len: usize,
    ) -> Result<(), crate::Error<T::Error>> {
        let frame = self.buf.get_mut(..rsp_len).unwrap_or_default();
        open(&mut self.sessions, frame, code, response_handles, sealed).map_err(|e| {
            crate::tpm::wipe(&mut self.buf);
            crate::Error::Session(e)
        })
    }
}

/// What the response check needs to remember of one session of the command.
struct SealedEntry {
    index: usize,
    nonce_caller: [u8; DIGEST],
    attributes: SessionAttributes,
    /// Whether an HMAC was sent (and so is answered): not for a policy session that needs
    /// no authValue, unsalted and unbound.
    hmac_sent: bool,
    /// The response HMAC key: the command's, except after a change of the authorized
    /// entity's authValue, which the TPM already uses for the response.
    response_key: SecretBuf,
    cipher_key: SecretBuf,
}

/// What the response check needs to remember of the command.
pub(crate) struct Sealed {
    auth: Option<SealedEntry>,
    /// The authorizing session's place in the authorization area.
    position: usize,
    extra: Option<SealedEntry>,
}

impl Sealed {
    /// Nothing sealed yet: [`seal`] fills it in place.
    const EMPTY: Self = Self {
        auth: None,
        position: 0,
        extra: None,
    };
}

/// Whether the command's first parameter is sized (a TPM2B), so it may be encrypted.
const fn command_first_param_sized(code: CommandCode) -> bool {
    matches!(
        code,
        CommandCode::HIERARCHY_CHANGE_AUTH
            | CommandCode::NV_DEFINE_SPACE
            | CommandCode::NV_WRITE
            | CommandCode::NV_EXTEND
            | CommandCode::NV_CHANGE_AUTH
            | CommandCode::CREATE
            | CommandCode::CREATE_PRIMARY
            | CommandCode::CREATE_LOADED
            | CommandCode::LOAD
            | CommandCode::IMPORT
            | CommandCode::ACTIVATE_CREDENTIAL
            | CommandCode::OBJECT_CHANGE_AUTH
            | CommandCode::POLICY_SECRET
            | CommandCode::QUOTE
            | CommandCode::CERTIFY
            | CommandCode::CERTIFY_CREATION
            | CommandCode::NV_CERTIFY
            | CommandCode::RSA_DECRYPT
            | CommandCode::SIGN
            | CommandCode::HMAC
            | CommandCode::PCR_EVENT
            | CommandCode::SEQUENCE_UPDATE
            | CommandCode::SEQUENCE_COMPLETE
            | CommandCode::ENCRYPT_DECRYPT2
            | CommandCode::DUPLICATE
            | CommandCode::ECDH_ZGEN
            | CommandCode::PCR_SET_AUTH_VALUE
    )
}

/// Whether the response's first parameter is sized (a TPM2B), so it may be encrypted.
const fn response_first_param_sized(code: CommandCode) -> bool {
    matches!(
        code,
        CommandCode::CREATE_PRIMARY
            | CommandCode::CREATE
            | CommandCode::CREATE_LOADED
            | CommandCode::LOAD
            | CommandCode::NV_READ
            | CommandCode::UNSEAL
            | CommandCode::ACTIVATE_CREDENTIAL
            | CommandCode::QUOTE
            | CommandCode::CERTIFY
            | CommandCode::CERTIFY_CREATION
            | CommandCode::NV_CERTIFY
            | CommandCode::POLICY_SECRET
            | CommandCode::RSA_DECRYPT
            | CommandCode::ECDH_ZGEN
            | CommandCode::HMAC
            | CommandCode::SEQUENCE_COMPLETE
            | CommandCode::OBJECT_CHANGE_AUTH
            | CommandCode::DUPLICATE
            | CommandCode::IMPORT
            | CommandCode::ENCRYPT_DECRYPT2
    )
}

/// The handles of a command frame whose authorization area starts at `auth_start`.
pub(crate) fn handles(frame: &[u8], auth_start: usize) -> impl Iterator<Item = Handle> + '_ {
    frame
        .get(HEADER_LEN..auth_start)
        .unwrap_or_default()
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(|c| Handle(u32::from_be_bytes(c)))
}

/// The HMAC key for an authorization of the entity with `auth`: the session key, then the
/// authValue unless the session is bound to that very entity (HMAC) or the policy does not
/// ask for it.
fn hmac_key(session: &Session, name: &NameBuf, auth: &[u8]) -> SecretBuf {
    let auth = trim_zeros(auth);
    let include = match session.kind {
        SessionType::Hmac => !session
            .bound
            .as_ref()
            .is_some_and(|(n, a)| n.as_bytes() == name.as_bytes() && a.as_bytes() == auth),
        SessionType::Policy | SessionType::Trial => session.auth_value_needed,
    };
    concat_key(session.key.as_bytes(), if include { auth } else { &[] })
}

/// `session_key || authValue` (trailing zeros removed), as a secret.
fn concat_key(session_key: &[u8], auth: &[u8]) -> SecretBuf {
    let mut key = [0u8; KEY_AND_AUTH];
    let mut w = Writer::new(&mut key);
    w.bytes(session_key);
    w.bytes(trim_zeros(auth));
    let len = w.result().unwrap_or(0);
    let out = SecretBuf::new(key.get(..len).unwrap_or_default());
    key.zeroize();
    out
}

/// The keys of the authorizing session for the entity named `name` with authValue `auth`,
/// written in place: (command HMAC key, response HMAC key, parameter key).
#[inline(never)]
fn auth_keys(
    session: &Session,
    (name, auth): (&NameBuf, &[u8]),
    code: CommandCode,
    params: &[u8],
    (key, response_key, cipher_key): (&mut SecretBuf, &mut SecretBuf, &mut SecretBuf),
) {
    *key = hmac_key(session, name, auth);
    *response_key = match code {
        CommandCode::HIERARCHY_CHANGE_AUTH | CommandCode::NV_CHANGE_AUTH => {
            let new_auth = tpm2_wire::Auth::unmarshal(&mut Reader::new(params))
                .map_or(&[][..], |a| a.as_bytes());
            hmac_key(session, name, new_auth)
        }
        _ => key.clone(),
    };
    // Parameter encryption always uses the authorized entity's authValue (Part 1 §21.3).
    *cipher_key = concat_key(session.key.as_bytes(), auth);
}

/// Applies the planned sessions to the command in `buf[..len]` (authorization area at `auth`,
/// password entries as the command wrote them): the password entry of the handle the
/// authorizing session is for becomes the session's, the others stay, and an encryption
/// session goes last; the first parameter is encrypted where the sessions and the command
/// allow it. Returns the new length and the new authorization area, and leaves in `out` what
/// the response check needs (filled in place: it holds keys, and is not moved about).
#[inline(never)]
pub(crate) fn seal(
    sessions: &mut [Session],
    plan: &Plan,
    buf: &mut [u8],
    (len, auth): (usize, Range<usize>),
    code: CommandCode,
    out: &mut Sealed,
) -> Result<(usize, Range<usize>), SessionError> {
    let involved = [plan.auth, plan.extra];
    if involved
        .iter()
        .flatten()
        .any(|&i| sessions.get(i).is_none_or(|s| s.broken))
    {
        return Err(SessionError::Broken);
    }
    let position = plan.auth.map(|_| plan.position);
    let (old, password) = OldArea::locate(buf, &auth, position)?;
    let params = auth.end..len;
    let name = plan
        .names
        .names
        .get(plan.position)
        .copied()
        .unwrap_or(NameBuf::EMPTY);

    out.position = plan.position;
    let mut hmac_keys = [SecretBuf::empty(), SecretBuf::empty()];
    sealed_entries(
        sessions,
        (involved, code),
        (&name, password.as_bytes()),
        buf.get(params.clone()).unwrap_or_default(),
        (&mut [&mut out.auth, &mut out.extra], &mut hmac_keys),
    );
    drop(password);
    let (auth_entry, extra_entry) = (&out.auth, &out.extra);

    // Parameter encryption of the first (sized) parameter, before the cpHash.
    for entry in [auth_entry, extra_entry].into_iter().flatten() {
        if entry.attributes.contains(SessionAttributes::DECRYPT) {
            let nonce_tpm = sessions
                .get(entry.index)
                .map_or([0; DIGEST], |s| s.nonce_tpm);
            let keys = (
                entry.cipher_key.as_bytes(),
                &entry.nonce_caller[..],
                &nonce_tpm[..],
            );
            first_param_cfb(buf, &params, keys, true);
        }
    }
    let cp_hash = cp_hash(
        code,
        &plan.names,
        buf.get(params.clone()).unwrap_or_default(),
    );
    // The first session of the area has its HMAC cover the encryption session's nonceTPM
    // too; a password first has no HMAC to cover it.
    let extra_nonce = extra_entry
        .as_ref()
        .filter(|e| {
            e.attributes
                .intersects(SessionAttributes::DECRYPT | SessionAttributes::ENCRYPT)
        })
        .filter(|_| !old.keeps_entries_before())
        .and_then(|e| sessions.get(e.index))
        .map(|s| s.nonce_tpm);

    let lens = (
        entry_len(auth_entry.as_ref()),
        entry_len(extra_entry.as_ref()),
    );
    let new = area::make_room(buf, (&auth, len), &old, lens)?;
    let slots = [
        (
            auth_entry,
            &hmac_keys[0],
            new.auth.clone(),
            extra_nonce.as_ref().map_or(&[][..], |n| &n[..]),
        ),
        (extra_entry, &hmac_keys[1], new.extra.clone(), &[][..]),
    ];
    for (entry, key, slot, covered) in slots {
        let Some(e) = entry else { continue };
        let s = sessions.get(e.index);
        let nonce_tpm = s.map_or([0; DIGEST], |s| s.nonce_tpm);
        let handle = s.map_or(Handle::NULL, |s| s.handle);
        let dst = buf.get_mut(slot.clone()).unwrap_or_default();
        let mut w = Writer::new(dst);
        write_entry(&mut w, (handle, e, key), &cp_hash, &nonce_tpm, covered);
        // The slot was sized for the entry: anything else would leave command bytes there.
        if w.result() != Ok(slot.len()) {
            return Err(SessionError::TooManyHandles);
        }
    }
    Ok((new.len, new.area))
}

/// The length of the entry `e` writes: handle, nonceCaller, attributes, HMAC if one is sent.
fn entry_len(e: Option<&SealedEntry>) -> usize {
    e.map_or(0, |e| {
        4 + 2 + DIGEST + 1 + 2 + if e.hmac_sent { DIGEST } else { 0 }
    })
}

/// The per-session state of the planned sessions (`involved`: the authorizing one, then the
/// encrypting one), with their nonces drawn, into `entries`: keys, attributes for this
/// command; their command HMAC keys into `hmac_keys`.
#[inline(never)]
fn sealed_entries(
    sessions: &mut [Session],
    (involved, code): ([Option<usize>; 2], CommandCode),
    (first_name, password): (&NameBuf, &[u8]),
    params: &[u8],
    (entries, hmac_keys): (&mut [&mut Option<SealedEntry>; 2], &mut [SecretBuf; 2]),
) {
    let slots = entries.iter_mut().zip(hmac_keys.iter_mut());
    for (k, ((slot, hmac_key), index)) in slots.zip(involved).enumerate() {
        let Some(session) = index.and_then(|i| sessions.get_mut(i)) else {
            continue;
        };
        let mut attributes = SessionAttributes::CONTINUE_SESSION;
        if session.encrypt.contains(SessionAttributes::DECRYPT)
            && command_first_param_sized(code)
            && params.len() >= 2
        {
            attributes |= SessionAttributes::DECRYPT;
        }
        if session.encrypt.contains(SessionAttributes::ENCRYPT) && response_first_param_sized(code)
        {
            attributes |= SessionAttributes::ENCRYPT;
        }
        // The entry is made first and its keys written into it: they are never moved.
        let entry = slot.insert(SealedEntry {
            index: index.unwrap_or(0),
            nonce_caller: session.next_nonce(),
            attributes,
            hmac_sent: false,
            response_key: SecretBuf::empty(),
            cipher_key: SecretBuf::empty(),
        });
        let keys = (
            &mut *hmac_key,
            &mut entry.response_key,
            &mut entry.cipher_key,
        );
        // Slot 0 authorizes the first handle; slot 1 only encrypts.
        if k == 0 {
            auth_keys(session, (first_name, password), code, params, keys);
        } else {
            let key = session.key.as_bytes();
            (*keys.0, *keys.1, *keys.2) = (
                SecretBuf::new(key),
                SecretBuf::new(key),
                SecretBuf::new(key),
            );
        }
        entry.hmac_sent = !hmac_key.as_bytes().is_empty();
    }
}

/// One TPMS_AUTH_COMMAND: the session handle, its nonce, attributes and HMAC with `key` over
/// cpHash || nonceCaller || nonceTPM || `extra_nonce` || attributes (no HMAC where the entry
/// sends none: a policy session that needs no authValue, unsalted and unbound).
fn write_entry(
    w: &mut Writer<'_>,
    (handle, e, key): (Handle, &SealedEntry, &SecretBuf),
    cp_hash: &[u8; DIGEST],
    nonce_tpm: &[u8; DIGEST],
    extra_nonce: &[u8],
) {
    w.u32(handle.0);
    w.tpm2b(&e.nonce_caller, 64);
    w.u8(e.attributes.bits());
    if e.hmac_sent {
        let mac = hmac(
            key.as_bytes(),
            &[
                cp_hash,
                &e.nonce_caller,
                nonce_tpm,
                extra_nonce,
                &[e.attributes.bits()],
            ],
        );
        w.tpm2b(&mac, 64);
    } else {
        w.tpm2b(&[], 64);
    }
}

/// AES-CFB over the data of the sized parameter at the start of `params` in `frame`, with
/// `(key, newer nonce, older nonce)`. A size running past the parameters leaves the frame
/// as it is, for the parser to refuse.
fn first_param_cfb(
    frame: &mut [u8],
    params: &Range<usize>,
    keys: (&[u8], &[u8], &[u8]),
    encrypt: bool,
) {
    let at = params.start;
    let size = frame
        .get(at..at.saturating_add(2))
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map_or(0, |b| usize::from(u16::from_be_bytes(b)));
    let data = at.saturating_add(2)..at.saturating_add(2).saturating_add(size);
    if data.end <= params.end {
        if let Some(data) = frame.get_mut(data) {
            cfb(keys.0, keys.1, keys.2, data, encrypt);
        }
    }
}

/// cpHash = H(commandCode || the handles' Names || the parameters as sent).
#[inline(never)]
fn cp_hash(code: CommandCode, names: &Names, params: &[u8]) -> [u8; DIGEST] {
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut h, code.0.to_be_bytes());
    for name in names.names.iter().take(names.count) {
        sha2::Digest::update(&mut h, name.as_bytes());
    }
    sha2::Digest::update(&mut h, params);
    sha2::Digest::finalize(h).into()
}

/// Checks the response HMAC of every session of the command in `frame` when it is a
/// successful response, takes their new nonceTPM, and decrypts the first response parameter if it was
/// encrypted. Nothing of a response that fails the check is returned, and the sessions are
/// not used again.
#[inline(never)]
pub(crate) fn open(
    sessions: &mut [Session],
    frame: &mut [u8],
    code: CommandCode,
    response_handles: usize,
    sealed: &Sealed,
) -> Result<(), SessionError> {
    let mut nonces = [[0u8; DIGEST]; 2];
    let mut decrypt: Option<(usize, [u8; DIGEST])> = None;
    let params = {
        // An error response carries no sessions, and a malformed one is the caller's parser's
        // to refuse: neither is checked here.
        let Ok(rsp) = Response::parse(frame, response_handles) else {
            return Ok(());
        };
        if !rsp.code().is_success() {
            return Ok(());
        }
        let count = rsp.sessions().count();
        let params = rsp.parameters();
        let start = params.offset();
        let bytes = params.peek_rest();
        // rpHash = H(responseCode || commandCode || parameters as received).
        let rp_hash = sha256(&[&0u32.to_be_bytes(), &code.0.to_be_bytes(), bytes]);
        let positions = [Some(sealed.position), count.checked_sub(1)];
        for (k, (entry, at)) in [&sealed.auth, &sealed.extra]
            .into_iter()
            .zip(positions)
            .enumerate()
        {
            let Some(entry) = entry else { continue };
            let answer = at
                .and_then(|at| rsp.sessions().nth(at))
                .ok_or(SessionError::MissingResponseSession)?;
            let ok = if entry.hmac_sent {
                let expected = hmac(
                    entry.response_key.as_bytes(),
                    &[
                        &rp_hash,
                        answer.nonce.as_bytes(),
                        &entry.nonce_caller,
                        &[answer.attributes.bits()],
                    ],
                );
                same(&expected, answer.hmac.as_bytes())
            } else {
                answer.hmac.is_empty()
            };
            if !ok {
                for e in [&sealed.auth, &sealed.extra].into_iter().flatten() {
                    if let Some(s) = sessions.get_mut(e.index) {
                        s.broken = true;
                    }
                }
                return Err(SessionError::ResponseHmac);
            }
            if let Some(n) = nonces.get_mut(k) {
                for (d, s) in n.iter_mut().zip(answer.nonce.as_bytes()) {
                    *d = *s;
                }
            }
            if answer.attributes.contains(SessionAttributes::ENCRYPT)
                && entry.attributes.contains(SessionAttributes::ENCRYPT)
            {
                decrypt = Some((k, nonces.get(k).copied().unwrap_or_default()));
            }
        }
        start..start.saturating_add(bytes.len())
    };
    for (k, entry) in [&sealed.auth, &sealed.extra].into_iter().enumerate() {
        let Some(entry) = entry else { continue };
        if let Some((_, nonce_tpm)) = decrypt.filter(|(d, _)| *d == k) {
            let keys = (
                entry.cipher_key.as_bytes(),
                &nonce_tpm[..],
                &entry.nonce_caller[..],
            );
            first_param_cfb(frame, &params, keys, false);
        }
        if let (Some(s), Some(n)) = (sessions.get_mut(entry.index), nonces.get(k)) {
            s.nonce_tpm = *n;
        }
    }
    Ok(())
}
