//! The authorization area rewritten in place in the command buffer: the authorizing session's
//! entry takes the place of the password entry of the handle it authorizes, the other
//! password entries stay, the encrypting session's entry goes last, and the parameters move
//! to follow. Neither the area nor the kept entries are copied aside, so sealing a command
//! needs no stack for them.

use core::ops::Range;

use tpm2_wire::{AuthCommand, Reader, Tag, Unmarshal};
use zeroize::Zeroize;

use super::{AuthBuf, SessionError};

/// Where the entries of the area the command wrote are, counted from the first entry (after
/// the area's size field).
pub(super) struct OldArea {
    /// The end of the entries kept before the replaced one.
    before: usize,
    /// The start of the entries kept after it.
    after: usize,
    /// The end of the entries.
    end: usize,
}

impl OldArea {
    /// The area at `auth` in `buf`. With `position`, entry `position` is the one the
    /// authorizing session replaces, and its password is returned; without, every entry is
    /// kept.
    pub(super) fn locate(
        buf: &[u8],
        auth: &Range<usize>,
        position: Option<usize>,
    ) -> Result<(Self, AuthBuf), SessionError> {
        let entries = buf
            .get(auth.start.saturating_add(4)..auth.end)
            .unwrap_or_default();
        let end = entries.len();
        let Some(position) = position else {
            let all_kept = Self {
                before: end,
                after: end,
                end,
            };
            return Ok((all_kept, AuthBuf::empty()));
        };
        let mut r = Reader::new(entries);
        for _ in 0..position {
            AuthCommand::unmarshal(&mut r).map_err(|_| SessionError::TooManyHandles)?;
        }
        let before = r.offset();
        let replaced = AuthCommand::unmarshal(&mut r).map_err(|_| SessionError::TooManyHandles)?;
        let password = AuthBuf::new(replaced.hmac.as_bytes());
        let area = Self {
            before,
            after: r.offset(),
            end,
        };
        Ok((area, password))
    }

    /// Whether password entries come before the authorizing session's.
    pub(super) const fn keeps_entries_before(&self) -> bool {
        self.before > 0
    }
}

/// Where the new area puts the two session entries, and the command's new length.
pub(super) struct NewArea {
    /// The authorizing session's entry (empty without one).
    pub(super) auth: Range<usize>,
    /// The encrypting session's entry (empty without one).
    pub(super) extra: Range<usize>,
    /// The new authorization area, size field included.
    pub(super) area: Range<usize>,
    /// The command's new length.
    pub(super) len: usize,
}

/// Makes room in the command of `len` bytes in `buf`, whose area `auth` is `old`, for
/// session entries of `auth_len` and `extra_len` bytes: moves the entries kept after the
/// replaced one and the parameters, writes the area's size, the tag and commandSize, and
/// wipes the bytes the frame no longer covers. The caller writes the two entries where the
/// result says, over what the command had there.
pub(super) fn make_room(
    buf: &mut [u8],
    (auth, len): (&Range<usize>, usize),
    old: &OldArea,
    (auth_len, extra_len): (usize, usize),
) -> Result<NewArea, SessionError> {
    let first = auth.start.saturating_add(4);
    let new_auth = first.saturating_add(old.before)..first.saturating_add(old.before + auth_len);
    let after_len = old.end.saturating_sub(old.after);
    let new_after = new_auth.end..new_auth.end.saturating_add(after_len);
    let new_extra = new_after.end..new_after.end.saturating_add(extra_len);
    let new_len = new_extra.end.saturating_add(len.saturating_sub(auth.end));
    let consistent = first.saturating_add(old.end) == auth.end && auth.end <= len;
    if !consistent || len > buf.len() || new_len > buf.len() {
        return Err(SessionError::TooManyHandles);
    }
    let old_after = first.saturating_add(old.after)..auth.end;
    // Each region moves by its own distance, the parameters further right than the kept
    // entries: moving right, the parameters go first; moving left, the entries do. Neither
    // then overwrites the other before it moved.
    if new_after.start >= old_after.start {
        buf.copy_within(auth.end..len, new_extra.end);
        buf.copy_within(old_after, new_after.start);
    } else {
        buf.copy_within(old_after, new_after.start);
        buf.copy_within(auth.end..len, new_extra.end);
    }
    if new_len < len {
        buf.get_mut(new_len..len).unwrap_or_default().zeroize();
    }
    let area_size = new_extra.end.saturating_sub(first);
    let header = Tag::SESSIONS.0.to_be_bytes().into_iter();
    let header = header.chain(u32::try_from(new_len).unwrap_or(u32::MAX).to_be_bytes());
    for (d, s) in buf.iter_mut().zip(header) {
        *d = s;
    }
    let size = u32::try_from(area_size).unwrap_or(u32::MAX).to_be_bytes();
    for (d, s) in buf.iter_mut().skip(auth.start).zip(size) {
        *d = s;
    }
    Ok(NewArea {
        auth: new_auth,
        extra: new_extra.clone(),
        area: auth.start..new_extra.end,
        len: new_len,
    })
}

#[cfg(test)]
mod tests {
    use super::{OldArea, make_room};
    use tpm2_wire::{Auth, AuthCommand, CommandCode, CommandWriter, Handle, Nonce};

    /// A command with three handles, password entries "aaa", `long` bytes "bb…" and 40 bytes
    /// "cc…", and a 60-byte parameter "PP…": its length, its authorization area. The kept
    /// entry and the parameter are longer than the distances they move, so that moving them
    /// in the wrong order overwrites one with the other.
    fn command(buf: &mut [u8], long: usize) -> (usize, core::ops::Range<usize>) {
        let b = [b'b'; 64];
        let passwords = [&[b'a'; 3][..], &b[..long], &[b'c'; 40][..]];
        let entries = passwords.map(|p| AuthCommand::password(Auth::new(p).unwrap()));
        let mut w = CommandWriter::new(buf, CommandCode::POLICY_NV);
        for h in [0x4000_0001, 0x0100_0001, 0x0100_0001] {
            w.handle(Handle(h));
        }
        w.sessions(&entries);
        w.param(&Nonce::new(&[b'P'; 60]).unwrap());
        let auth = w.auth_range().unwrap();
        (w.finish().unwrap(), auth)
    }

    fn fill(buf: &mut [u8], r: &core::ops::Range<usize>, byte: u8) {
        buf[r.clone()].fill(byte);
    }

    fn check_moved(long: usize, lens: (usize, usize)) {
        let mut buf = [0u8; 512];
        let (len, auth) = command(&mut buf, long);
        let before = buf;
        let (old, password) = OldArea::locate(&buf, &auth, Some(1)).unwrap();
        assert_eq!(password.as_bytes(), &[b'b'; 64][..long]);
        let new = make_room(&mut buf, (&auth, len), &old, lens).unwrap();
        fill(&mut buf, &new.auth, b'S');
        fill(&mut buf, &new.extra, b'E');
        let entry_a = 4 + 2 + 1 + 2 + 3;
        let entry_c = 4 + 2 + 1 + 2 + 40;
        let first = auth.start + 4;
        // The handles, and the first password entry before the session's, where they were.
        assert_eq!(buf[6..auth.start], before[6..auth.start]);
        assert_eq!(buf[first..first + entry_a], before[first..first + entry_a]);
        assert_eq!(new.auth, first + entry_a..first + entry_a + lens.0);
        // After it: the third entry, then the encrypting session's, then the parameter.
        let old_c = auth.end - entry_c;
        assert_eq!(
            buf[new.auth.end..new.auth.end + entry_c],
            before[old_c..auth.end]
        );
        assert_eq!(new.extra.start, new.auth.end + entry_c);
        assert_eq!(buf[new.extra.end..new.len], before[auth.end..len]);
        assert_eq!(
            new.len,
            len - (auth.end - auth.start) + 4 + entry_a + lens.0 + entry_c + lens.1
        );
        // The header and the area's size say so; the old password is nowhere; the rest is 0.
        assert_eq!(buf[..2], [0x80, 0x02]);
        assert_eq!(
            u32::from_be_bytes(buf[2..6].try_into().unwrap()) as usize,
            new.len
        );
        let size = u32::from_be_bytes(buf[auth.start..first].try_into().unwrap()) as usize;
        assert_eq!(new.area, auth.start..first + size);
        assert_eq!(new.area.end, new.extra.end);
        assert!(!buf.windows(long).any(|w| w.iter().all(|&x| x == b'b')));
        assert!(buf[new.len..].iter().all(|&x| x == 0));
    }

    #[test]
    fn the_area_grows_in_place_moving_the_kept_entries_and_the_parameters_right() {
        check_moved(1, (73, 73));
    }

    #[test]
    fn the_area_shrinks_in_place_and_wipes_what_the_frame_no_longer_covers() {
        check_moved(64, (41, 0));
    }

    #[test]
    fn a_room_past_the_buffer_is_refused_and_nothing_moves() {
        let mut buf = [0u8; 512];
        let (len, auth) = command(&mut buf, 8);
        let (old, _) = OldArea::locate(&buf, &auth, Some(1)).unwrap();
        let mut small = buf;
        let capacity = len + 10;
        let refused = make_room(&mut small[..capacity], (&auth, len), &old, (73, 73));
        assert!(refused.is_err());
        assert_eq!(small, buf);
    }
}
