//! Command and response framing: the 10-byte headers, the command writer and the response view.

use core::ops::Range;

use zerocopy::byteorder::big_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::bits::usize_from_u32;
use crate::{
    Auth, AuthCommand, AuthResponse, CommandCode, Handle, Marshal, Nonce, Reader, ResponseCode,
    Tag, Unmarshal, WireError, Writer,
};

/// The size of a command or response header.
pub const HEADER_LEN: usize = 10;

/// A command or response header: tag, size, and command or response code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct Header {
    /// TPM_ST_NO_SESSIONS or TPM_ST_SESSIONS.
    pub tag: U16,
    /// The size of the whole frame, header included.
    pub size: U32,
    /// The command code (TPM_CC) or response code (TPM_RC).
    pub code: U32,
}

impl Header {
    /// Views the header at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<&Self, WireError> {
        Self::ref_from_prefix(bytes)
            .map(|(h, _)| h)
            .map_err(|_| WireError::FrameTooShort {
                size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            })
    }

    /// The frame size a response header announces, checked to be at least [`HEADER_LEN`]
    /// and at most `capacity`. Drivers call this after reading the first 10 bytes.
    pub fn response_size(bytes: &[u8], capacity: usize) -> Result<usize, WireError> {
        let header = Self::parse(bytes)?;
        let size = header.size.get();
        let tag = header.tag.get();
        if tag == Tag::RSP_COMMAND.0 {
            // TPM 1.2 framing: no TPM 2.0 response follows.
            return Err(WireError::Tpm12Response {
                code: header.code.get(),
            });
        }
        if tag != Tag::NO_SESSIONS.0 && tag != Tag::SESSIONS.0 {
            return Err(WireError::BadTag { offset: 0, tag });
        }
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len < HEADER_LEN {
            Err(WireError::FrameTooShort { size })
        } else if len > capacity {
            Err(WireError::SizeMismatch {
                declared: size,
                actual: capacity,
            })
        } else {
            Ok(len)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handles,
    Parameters,
}

/// Builds a command frame in a caller's buffer: handles, then the authorization area, then
/// parameters; [`CommandWriter::finish`] fills in `commandSize`.
#[derive(Debug)]
pub struct CommandWriter<'a> {
    w: Writer<'a>,
    phase: Phase,
    auth: Option<Range<usize>>,
    secret: Option<Range<usize>>,
}

impl<'a> CommandWriter<'a> {
    /// Starts a command with code `code` in `buf`. A buffer shorter than the header is
    /// reported by [`CommandWriter::finish`], as every other write that does not fit.
    pub fn new(buf: &'a mut [u8], code: CommandCode) -> Self {
        // The header in one check; `finish` fills in the tag and the size. The writer is
        // made after, as a value, so that nothing copies it into the command writer.
        let w = match buf.first_chunk_mut::<HEADER_LEN>() {
            Some(header) => {
                let [c0, c1, c2, c3] = code.0.to_be_bytes();
                *header = [0, 0, 0, 0, 0, 0, c0, c1, c2, c3];
                Writer::after(buf, HEADER_LEN)
            }
            None => Writer::full_at_start(buf, HEADER_LEN),
        };
        Self {
            w,
            phase: Phase::Handles,
            auth: None,
            secret: None,
        }
    }

    /// Whether the next handle or the authorization area may go here: not once the area
    /// or a parameter was written. Records [`WireError::OutOfOrder`] if not.
    fn in_handle_area(&mut self) -> bool {
        let in_area = self.phase == Phase::Handles && self.auth.is_none();
        if !in_area {
            self.w.fail(WireError::OutOfOrder {
                offset: self.w.position(),
            });
        }
        in_area
    }

    /// Records the authorization area written from `start`: parameters follow.
    fn area_written(&mut self, start: usize) -> &mut Self {
        self.auth = Some(start..self.w.position());
        self.phase = Phase::Parameters;
        self
    }

    /// Appends a handle to the handle area.
    pub fn handle(&mut self, handle: Handle) -> &mut Self {
        if self.in_handle_area() {
            handle.marshal(&mut self.w);
        }
        self
    }

    /// Writes the authorization area; [`CommandWriter::finish`] then tags the command
    /// TPM_ST_SESSIONS.
    pub fn sessions(&mut self, sessions: &[AuthCommand<'_>]) -> &mut Self {
        if !self.in_handle_area() {
            return self;
        }
        let start = self.w.position();
        // The area's size is known before it is written: handle, nonce, attributes, HMAC.
        let size = sessions.iter().fold(0usize, |n, s| {
            n.saturating_add(9)
                .saturating_add(s.nonce.len())
                .saturating_add(s.hmac.len())
        });
        self.w.u32(u32::try_from(size).unwrap_or(u32::MAX));
        for session in sessions {
            session.marshal(&mut self.w);
        }
        self.area_written(start)
    }

    /// Writes an authorization area of one password session (`TPM_RS_PW`) carrying `auth`,
    /// what most commands need: the same bytes as
    /// `sessions(&[AuthCommand::password(auth)])`, in one bounded write.
    ///
    /// ```
    /// # use tpm2_wire::{Auth, CommandCode, CommandWriter, Handle};
    /// let mut buf = [0u8; 64];
    /// let mut cmd = CommandWriter::new(&mut buf, CommandCode::DICTIONARY_ATTACK_LOCK_RESET);
    /// cmd.handle(Handle::LOCKOUT).password(Auth::EMPTY);
    /// let len = cmd.finish()?;
    /// assert_eq!(&buf[..len][14..], &[0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0]);
    /// # Ok::<(), tpm2_wire::WireError>(())
    /// ```
    pub fn password(&mut self, auth: Auth<'_>) -> &mut Self {
        if !self.in_handle_area() {
            return self;
        }
        let start = self.w.position();
        let password = auth.as_bytes();
        // An `Auth` holds at most 64 bytes.
        let [_, _, n0, n1] = u32::try_from(password.len()).unwrap_or(0).to_be_bytes();
        let size = password.len().saturating_add(9);
        let [s0, s1, s2, s3] = u32::try_from(size).unwrap_or(0).to_be_bytes();
        let [h0, h1, h2, h3] = Handle::PASSWORD.0.to_be_bytes();
        // Area size, session handle, empty nonce, no attributes, the password's size.
        let head = [s0, s1, s2, s3, h0, h1, h2, h3, 0, 0, 0, n0, n1];
        self.w.bytes(&head);
        self.w.bytes(password);
        self.area_written(start)
    }

    /// Appends a parameter.
    pub fn param<T: Marshal + ?Sized>(&mut self, value: &T) -> &mut Self {
        self.phase = Phase::Parameters;
        value.marshal(&mut self.w);
        self
    }

    /// Appends a parameter that is a secret (a new authValue, a sensitive value): its bytes
    /// are included in [`CommandWriter::secret_range`], so that the caller can wipe them once
    /// the command was sent.
    pub fn secret_param<T: Marshal + ?Sized>(&mut self, value: &T) -> &mut Self {
        let start = self.w.position();
        self.param(value);
        let end = self.w.position();
        self.secret = Some(match self.secret.take() {
            Some(r) => r.start.min(start)..r.end.max(end),
            None => start..end,
        });
        self
    }

    /// Where the secret parameters are in the frame (one range covering all of them).
    #[must_use]
    pub fn secret_range(&self) -> Option<Range<usize>> {
        self.secret.clone()
    }

    /// The underlying writer, for parameters written field by field.
    pub fn params(&mut self) -> &mut Writer<'a> {
        self.phase = Phase::Parameters;
        &mut self.w
    }

    /// Where the authorization area is in the frame, so that secrets in it can be wiped.
    #[must_use]
    pub fn auth_range(&self) -> Option<Range<usize>> {
        self.auth.clone()
    }

    /// Fills in the tag (TPM_ST_SESSIONS if an authorization area was written) and
    /// `commandSize`, and returns the frame's length, or the first write that failed. The
    /// frame is then complete: a later write is refused as out of order
    /// ([`WireError::OutOfOrder`]).
    ///
    /// It borrows the writer rather than consuming it, so that the writer is not copied
    /// to be finished (measured: a 60-byte copy, and `memcpy` linked for it).
    pub fn finish(&mut self) -> Result<usize, WireError> {
        // A write failed: the frame is not complete, and the writer takes no more bytes.
        self.w.result()?;
        let len = self.w.position();
        let tag = if self.auth.is_some() {
            Tag::SESSIONS
        } else {
            Tag::NO_SESSIONS
        };
        let [t0, t1] = tag.0.to_be_bytes();
        let [s0, s1, s2, s3] = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
        self.w.patch(0, &[t0, t1, s0, s1, s2, s3]);
        self.w.end();
        self.w.result()
    }
}

/// A checked view of a TPM 2.0 response frame.
///
/// [`Response::parse`] validates the header against the bytes and splits the body into
/// handles, parameters and authorization area. An error response is header-only, so its body
/// parts are empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    tag: Tag,
    code: ResponseCode,
    handles: &'a [u8],
    parameters: &'a [u8],
    parameters_offset: usize,
    auth: &'a [u8],
    auth_offset: usize,
}

impl<'a> Response<'a> {
    /// Parses `frame`, which must be exactly one response, for a command whose response has
    /// `handle_count` handles.
    #[inline]
    pub fn parse(frame: &'a [u8], handle_count: usize) -> Result<Self, WireError> {
        let header = Header::parse(frame)?;
        let (tag, size, code) = (
            Tag(header.tag.get()),
            header.size.get(),
            ResponseCode(header.code.get()),
        );
        if tag == Tag::RSP_COMMAND {
            return Err(WireError::Tpm12Response { code: code.0 });
        }
        if tag != Tag::NO_SESSIONS && tag != Tag::SESSIONS {
            return Err(WireError::BadTag {
                offset: 0,
                tag: tag.0,
            });
        }
        if usize_from_u32(size) < HEADER_LEN {
            return Err(WireError::FrameTooShort { size });
        }
        if usize_from_u32(size) != frame.len() {
            return Err(WireError::SizeMismatch {
                declared: size,
                actual: frame.len(),
            });
        }
        let mut r = Reader::at(frame.get(HEADER_LEN..).unwrap_or_default(), HEADER_LEN);
        let mut out = Self {
            tag,
            code,
            handles: &[],
            parameters: &[],
            parameters_offset: HEADER_LEN,
            auth: &[],
            auth_offset: HEADER_LEN,
        };
        if !code.is_success() {
            return if r.is_empty() {
                Ok(out)
            } else {
                Err(WireError::ErrorWithBody { size })
            };
        }
        out.handles = r.bytes(handle_count.saturating_mul(4));
        if tag == Tag::SESSIONS {
            let len = r.u32();
            out.parameters_offset = r.offset();
            out.parameters = r.bytes(usize::try_from(len).unwrap_or(usize::MAX));
            out.auth_offset = r.offset();
            out.auth = r.peek_rest();
            // Each entry checked as `AuthResponse` reads it (nonce, attributes, HMAC),
            // without building it.
            while !r.is_empty() {
                r.tpm2b(Nonce::MAX);
                r.u8();
                r.tpm2b(Auth::MAX);
            }
        } else {
            out.parameters_offset = r.offset();
            out.parameters = r.peek_rest();
        }
        r.check().map(|()| out)
    }

    /// The response tag.
    #[must_use]
    pub const fn tag(&self) -> Tag {
        self.tag
    }

    /// The response code.
    #[must_use]
    pub const fn code(&self) -> ResponseCode {
        self.code
    }

    /// Handle `index` (from 0) of the handle area.
    #[must_use]
    pub fn handle(&self, index: usize) -> Option<Handle> {
        let at = index.checked_mul(4)?;
        let bytes = self.handles.get(at..at.checked_add(4)?)?;
        Some(Handle(u32::from_be_bytes(bytes.try_into().ok()?)))
    }

    /// A reader over the parameter area. Callers end with [`Reader::finish`] to reject
    /// trailing bytes.
    #[must_use]
    pub fn parameters(&self) -> Reader<'a> {
        Reader::at(self.parameters, self.parameters_offset)
    }

    /// The sessions of the authorization area.
    #[must_use]
    pub fn sessions(&self) -> Sessions<'a> {
        Sessions(Reader::at(self.auth, self.auth_offset))
    }
}

/// The sessions of a response's authorization area.
#[derive(Debug, Clone)]
pub struct Sessions<'a>(Reader<'a>);

impl<'a> Iterator for Sessions<'a> {
    type Item = AuthResponse<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        // Validated by `Response::parse`.
        AuthResponse::unmarshal(&mut self.0).ok()
    }
}
