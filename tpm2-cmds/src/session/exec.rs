//! A session applied to one command: the password area the command wrote becomes an HMAC
//! (or policy) authorization, the first parameter is encrypted, and the response HMAC is
//! checked and its first parameter decrypted.

use core::ops::Range;

use embedded_hal::delay::DelayNs;
use tpm2_wire::{
    CommandCode, CommandWriter, HEADER_LEN, Handle, Reader, Response, SessionAttributes, Tag,
    Transport, Unmarshal, WireError, Writer,
};
use zeroize::Zeroize;

use super::crypto::{DIGEST, cfb, hmac, sha256, trim_zeros};
use super::{NameBuf, SecretBuf, Session, SessionError, SessionType};

/// The most handles a command has (TPM 2.0 Part 3: three, for PolicyNV and NV_Certify).
pub(crate) const MAX_HANDLES: usize = 3;

/// The Names of a command's handles, in order.
pub(crate) struct Names {
    pub(crate) names: [NameBuf; MAX_HANDLES],
    pub(crate) count: usize,
}

impl<T: Transport, D: DelayNs, const N: usize> crate::Tpm<T, D, N> {
    /// With a session installed and a command that carries an authorization (not one on the
    /// session itself, as PolicySecret is), the Names of the command's handles; else `None`.
    /// Builds the command once to learn its handles, and asks the TPM for the Names of NV
    /// indices and objects with the session set aside.
    pub(crate) fn session_names(
        &mut self,
        code: CommandCode,
        build: &impl for<'c, 'w> Fn(
            &'c mut CommandWriter<'w>,
        ) -> Result<&'c mut CommandWriter<'w>, WireError>,
    ) -> Result<Option<Names>, crate::Error<T::Error>> {
        let Some(session) = self.session.as_ref() else {
            return Ok(None);
        };
        let own = session.handle;
        let mut handles_seen = [Handle::NULL; MAX_HANDLES];
        let mut count = 0;
        {
            let mut cmd = CommandWriter::new(&mut self.buf, code)?;
            let wrote = build(&mut cmd).map(drop);
            let auth = cmd.auth_range();
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
        if seen.contains(&own) {
            return Ok(None);
        }
        let session = self.session.take();
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
        self.session = session;
        result.map(|()| Some(names))
    }
}

/// What the response check needs to remember of the command.
pub(crate) struct Sealed {
    nonce_caller: [u8; DIGEST],
    attributes: SessionAttributes,
    hmac_key: SecretBuf,
    /// The response HMAC key: the command's, except after a change of the authorized
    /// entity's authValue, which the TPM already uses for the response.
    response_key: SecretBuf,
    cipher_key: SecretBuf,
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
    let mut key = [0u8; SecretBuf::CAPACITY];
    let mut w = Writer::new(&mut key);
    let len = w
        .bytes(session_key)
        .and_then(|()| w.bytes(trim_zeros(auth)))
        .map_or(0, |()| w.position());
    let out = SecretBuf::new(key.get(..len).unwrap_or_default());
    key.zeroize();
    out
}

/// Replaces the first password entry of the command in `buf[..len]` (authorization area at
/// `auth`) by the session's authorization, encrypting the first parameter if the session and
/// the command allow it. Returns the new length, the new authorization area and what the
/// response check needs.
pub(crate) fn seal(
    session: &mut Session,
    buf: &mut [u8],
    len: usize,
    code: CommandCode,
    names: &Names,
    auth: Range<usize>,
) -> Result<(usize, Range<usize>, Sealed), SessionError> {
    if session.broken {
        return Err(SessionError::Broken);
    }
    // The first password entry: handle, empty nonce, attributes, password.
    let area = buf
        .get(auth.start.saturating_add(4)..auth.end)
        .unwrap_or_default();
    let mut r = Reader::new(area);
    let first =
        tpm2_wire::AuthCommand::unmarshal(&mut r).map_err(|_| SessionError::TooManyHandles)?;
    let password = SecretBuf::new(first.hmac.as_bytes());
    let rest_start = auth.start.saturating_add(4).saturating_add(r.offset());
    let mut rest = [0u8; 2 * (4 + 2 + 1 + 2 + 64)];
    let rest_len = auth.end.saturating_sub(rest_start);
    let rest_src = buf.get(rest_start..auth.end).unwrap_or_default();
    if rest_len > rest.len() {
        return Err(SessionError::TooManyHandles);
    }
    for (d, s) in rest.iter_mut().zip(rest_src) {
        *d = *s;
    }

    let first_name = names.names.first().copied().unwrap_or(NameBuf::EMPTY);
    let key = hmac_key(session, &first_name, password.as_bytes());
    let response_key = match code {
        CommandCode::HIERARCHY_CHANGE_AUTH | CommandCode::NV_CHANGE_AUTH => {
            let new_auth = buf
                .get(auth.end..len)
                .and_then(|p| tpm2_wire::Auth::unmarshal(&mut Reader::new(p)).ok())
                .map_or_else(SecretBuf::empty, |a| SecretBuf::new(a.as_bytes()));
            hmac_key(session, &first_name, new_auth.as_bytes())
        }
        _ => key.clone(),
    };
    // Parameter encryption always uses the authorized entity's authValue (Part 1 §21.3).
    let cipher_key = concat_key(session.key.as_bytes(), password.as_bytes());
    let nonce_caller = session.next_nonce();

    // Parameter encryption of the first (sized) parameter, before the cpHash.
    let mut attributes = SessionAttributes::CONTINUE_SESSION;
    let params = auth.end..len;
    if session.encrypt.contains(SessionAttributes::DECRYPT)
        && command_first_param_sized(code)
        && params.len() >= 2
    {
        attributes |= SessionAttributes::DECRYPT;
        let keys = (
            cipher_key.as_bytes(),
            &nonce_caller[..],
            &session.nonce_tpm[..],
        );
        first_param_cfb(buf, &params, keys, true);
    }
    if session.encrypt.contains(SessionAttributes::ENCRYPT) && response_first_param_sized(code) {
        attributes |= SessionAttributes::ENCRYPT;
    }

    let cp_hash = cp_hash(code, names, buf.get(params.clone()).unwrap_or_default());
    let mac = if key.as_bytes().is_empty() {
        // A policy session without PolicyAuthValue, unsalted and unbound: no HMAC.
        [0u8; DIGEST]
    } else {
        hmac(
            key.as_bytes(),
            &[
                &cp_hash,
                &nonce_caller,
                &session.nonce_tpm,
                &[attributes.bits()],
            ],
        )
    };
    let mac_len = if key.as_bytes().is_empty() { 0 } else { DIGEST };

    // The new authorization area: our entry, then the other entries unchanged.
    let mut area = [0u8; 4 + 4 + 2 + DIGEST + 1 + 2 + DIGEST + 2 * (4 + 2 + 1 + 2 + 64)];
    let mut w = Writer::new(&mut area);
    let built = (|| {
        w.u32(0)?;
        w.u32(session.handle.0)?;
        w.tpm2b(&nonce_caller, 64)?;
        w.u8(attributes.bits())?;
        w.tpm2b(mac.get(..mac_len).unwrap_or_default(), 64)?;
        w.bytes(rest.get(..rest_len).unwrap_or_default())?;
        let size = u32::try_from(w.position().saturating_sub(4)).unwrap_or(u32::MAX);
        w.patch(0, &size.to_be_bytes())?;
        Ok::<usize, tpm2_wire::WireError>(w.position())
    })();
    rest.zeroize();
    let area_len = built.map_err(|_| SessionError::TooManyHandles)?;

    let new_len = splice(buf, len, &auth, area.get(..area_len).unwrap_or_default())?;
    let new_params = auth.start.saturating_add(area_len);
    Ok((
        new_len,
        auth.start..new_params,
        Sealed {
            nonce_caller,
            attributes,
            hmac_key: key,
            response_key,
            cipher_key,
        },
    ))
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
fn cp_hash(code: CommandCode, names: &Names, params: &[u8]) -> [u8; DIGEST] {
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut h, code.0.to_be_bytes());
    for name in names.names.iter().take(names.count) {
        sha2::Digest::update(&mut h, name.as_bytes());
    }
    sha2::Digest::update(&mut h, params);
    sha2::Digest::finalize(h).into()
}

/// Replaces the authorization area `auth` of the command in `buf[..len]` by `area` (its size
/// field included), moving the parameters after it, and fixes the tag and commandSize.
/// Bytes the frame no longer covers are wiped. Returns the new length.
fn splice(
    buf: &mut [u8],
    len: usize,
    auth: &Range<usize>,
    area: &[u8],
) -> Result<usize, SessionError> {
    let new_len = len.saturating_sub(auth.len()).saturating_add(area.len());
    if new_len > buf.len() || auth.end > len {
        return Err(SessionError::TooManyHandles);
    }
    let new_params = auth.start.saturating_add(area.len());
    buf.copy_within(auth.end..len, new_params);
    if let Some(dst) = buf.get_mut(auth.start..new_params) {
        for (d, s) in dst.iter_mut().zip(area) {
            *d = *s;
        }
    }
    if new_len < len {
        buf.get_mut(new_len..len).unwrap_or_default().zeroize();
    }
    let size = u32::try_from(new_len).unwrap_or(u32::MAX).to_be_bytes();
    let tag = Tag::SESSIONS.0.to_be_bytes();
    for (d, s) in buf.iter_mut().zip(tag.iter().chain(&size)) {
        *d = *s;
    }
    Ok(new_len)
}

/// Checks the response HMAC of the session's entry in the successful response in `frame`,
/// takes the new nonceTPM, and decrypts the first response parameter if it was encrypted.
/// Nothing of a response that fails the check is returned.
pub(crate) fn open(
    session: &mut Session,
    frame: &mut [u8],
    code: CommandCode,
    response_handles: usize,
    sealed: &Sealed,
) -> Result<(), SessionError> {
    let (params, nonce_tpm, echoed) = {
        let rsp = Response::parse(frame, response_handles)
            .map_err(|_| SessionError::MissingResponseSession)?;
        let entry = rsp
            .sessions()
            .next()
            .ok_or(SessionError::MissingResponseSession)?;
        let params = rsp.parameters();
        let start = params.offset();
        let bytes = params.peek_rest();
        let range = start..start.saturating_add(bytes.len());
        // rpHash = H(responseCode || commandCode || parameters as received).
        let rp_hash = sha256(&[&0u32.to_be_bytes(), &code.0.to_be_bytes(), bytes]);
        let nonce = entry.nonce.as_bytes();
        let ok = if sealed.hmac_key.as_bytes().is_empty() {
            entry.hmac.is_empty()
        } else {
            let expected = hmac(
                sealed.response_key.as_bytes(),
                &[
                    &rp_hash,
                    nonce,
                    &sealed.nonce_caller,
                    &[entry.attributes.bits()],
                ],
            );
            constant_time_eq(&expected, entry.hmac.as_bytes())
        };
        if !ok {
            session.broken = true;
            return Err(SessionError::ResponseHmac);
        }
        let mut nonce_tpm = [0u8; DIGEST];
        for (d, s) in nonce_tpm.iter_mut().zip(nonce) {
            *d = *s;
        }
        (range, nonce_tpm, entry.attributes)
    };
    if echoed.contains(SessionAttributes::ENCRYPT)
        && sealed.attributes.contains(SessionAttributes::ENCRYPT)
    {
        let keys = (
            sealed.cipher_key.as_bytes(),
            &nonce_tpm[..],
            &sealed.nonce_caller[..],
        );
        first_param_cfb(frame, &params, keys, false);
    }
    session.nonce_tpm = nonce_tpm;
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
