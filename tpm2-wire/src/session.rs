//! TPMS_AUTH_COMMAND and TPMS_AUTH_RESPONSE: the authorization areas.

use crate::{Auth, Handle, Marshal, Nonce, Reader, SessionAttributes, Unmarshal, Writer};

/// One session of a command's authorization area (TPMS_AUTH_COMMAND).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthCommand<'a> {
    /// The session handle (`TPM_RS_PW` for a password).
    pub session: Handle,
    /// The caller's nonce (empty for a password).
    pub nonce: Nonce<'a>,
    /// The session attributes.
    pub attributes: SessionAttributes,
    /// The HMAC, or the password itself for `TPM_RS_PW`.
    pub hmac: Auth<'a>,
}

impl<'a> AuthCommand<'a> {
    /// A password session (`TPM_RS_PW`) carrying `password` in the clear.
    #[must_use]
    pub const fn password(password: Auth<'a>) -> Self {
        Self {
            session: Handle::PASSWORD,
            nonce: Nonce::EMPTY,
            attributes: SessionAttributes::empty(),
            hmac: password,
        }
    }
}

impl Marshal for AuthCommand<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.session.marshal(w);
        self.nonce.marshal(w);
        self.attributes.marshal(w);
        self.hmac.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for AuthCommand<'a> {
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            session: Handle::decode(r),
            nonce: Nonce::decode(r),
            attributes: SessionAttributes::decode(r),
            hmac: Auth::decode(r),
        }
    }
}

/// One session of a response's authorization area (TPMS_AUTH_RESPONSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthResponse<'a> {
    /// The TPM's nonce.
    pub nonce: Nonce<'a>,
    /// The session attributes.
    pub attributes: SessionAttributes,
    /// The response HMAC (empty for a password session).
    pub hmac: Auth<'a>,
}

impl Marshal for AuthResponse<'_> {
    fn marshal(&self, w: &mut Writer<'_>) {
        self.nonce.marshal(w);
        self.attributes.marshal(w);
        self.hmac.marshal(w);
    }
}

impl<'a> Unmarshal<'a> for AuthResponse<'a> {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Self {
        Self {
            nonce: Nonce::decode(r),
            attributes: SessionAttributes::decode(r),
            hmac: Auth::decode(r),
        }
    }
}
