//! A stand-in for `/dev/tpmrm0`: a file served over FUSE (`/dev/fuse`, mounted directly as
//! root) that behaves as the kernel's TPM character device does: one `write` sends a
//! command, the next `read` returns its whole response. Commands go to a swtpm, so the
//! doctor's `dev:` backend meets a real TPM through a real file descriptor.

use core::time::Duration;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use fuser::{
    Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, INodeNo, LockOwner,
    MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite,
    Request, WriteFlags,
};
use tpm2_cmds::host::Swtpm;
use tpm2_wire::Transport;

use crate::qemu::{QtestError, fresh_dir};
use crate::swtpm::SwtpmServer;

/// The device file's inode.
const DEVICE: INodeNo = INodeNo(2);
/// The device file's name in the mount.
const NAME: &str = "tpmrm0";

fn attr(ino: INodeNo) -> FileAttr {
    let dir = ino == INodeNo::ROOT;
    FileAttr {
        ino,
        size: 0,
        blocks: 0,
        atime: UNIX_EPOCH,
        mtime: UNIX_EPOCH,
        ctime: UNIX_EPOCH,
        crtime: UNIX_EPOCH,
        kind: if dir {
            FileType::Directory
        } else {
            FileType::RegularFile
        },
        perm: if dir { 0o755 } else { 0o666 },
        nlink: if dir { 2 } else { 1 },
        uid: 0,
        gid: 0,
        rdev: 0,
        flags: 0,
        blksize: 4096,
    }
}

struct Device {
    tpm: Mutex<Swtpm>,
    responses: Mutex<HashMap<u64, Vec<u8>>>,
    next: AtomicU64,
    /// Commands received, for tests that count them.
    commands: std::sync::Arc<AtomicU64>,
}

impl Filesystem for Device {
    fn lookup(&self, _: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        if parent == INodeNo::ROOT && name == NAME {
            reply.entry(&Duration::ZERO, &attr(DEVICE), fuser::Generation(0));
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn getattr(&self, _: &Request, ino: INodeNo, _: Option<FileHandle>, reply: ReplyAttr) {
        if ino == INodeNo::ROOT || ino == DEVICE {
            reply.attr(&Duration::ZERO, &attr(ino));
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn open(&self, _: &Request, ino: INodeNo, _: OpenFlags, reply: ReplyOpen) {
        if ino != DEVICE {
            return reply.error(Errno::ENOENT);
        }
        let fh = self.next.fetch_add(1, Ordering::Relaxed);
        // Direct I/O: every read and write reaches us with its own size, as on a device.
        reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
    }

    fn write(
        &self,
        _: &Request,
        _: INodeNo,
        fh: FileHandle,
        _: u64,
        data: &[u8],
        _: WriteFlags,
        _: OpenFlags,
        _: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut buf = vec![0u8; 4096];
        let Some(command) = buf.get_mut(..data.len()) else {
            return reply.error(Errno::EINVAL);
        };
        command.copy_from_slice(data);
        self.commands.fetch_add(1, Ordering::Relaxed);
        let response = match self.tpm.lock() {
            Ok(mut tpm) => tpm.transact(&mut buf, data.len()).map(<[u8]>::to_vec),
            Err(_) => return reply.error(Errno::EIO),
        };
        match response {
            Ok(rsp) => {
                if let Ok(mut pending) = self.responses.lock() {
                    pending.insert(fh.0, rsp);
                }
                reply.written(u32::try_from(data.len()).unwrap_or(u32::MAX));
            }
            Err(_) => reply.error(Errno::EIO),
        }
    }

    fn read(
        &self,
        _: &Request,
        _: INodeNo,
        fh: FileHandle,
        _: u64,
        size: u32,
        _: OpenFlags,
        _: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let response = self
            .responses
            .lock()
            .ok()
            .and_then(|mut p| p.remove(&fh.0))
            .unwrap_or_default();
        let n = response.len().min(size as usize);
        reply.data(&response[..n]);
    }

    fn release(
        &self,
        _: &Request,
        _: INodeNo,
        fh: FileHandle,
        _: OpenFlags,
        _: Option<LockOwner>,
        _: bool,
        reply: ReplyEmpty,
    ) {
        if let Ok(mut p) = self.responses.lock() {
            p.remove(&fh.0);
        }
        reply.ok();
    }
}

/// A mounted stand-in device in front of a fresh swtpm. Unmounted, and swtpm stopped, on
/// drop.
pub struct FuseTpm {
    session: Option<fuser::BackgroundSession>,
    dir: PathBuf,
    swtpm: SwtpmServer,
    commands: std::sync::Arc<AtomicU64>,
}

impl std::fmt::Debug for FuseTpm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuseTpm")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl FuseTpm {
    /// Starts swtpm and mounts the device file in a fresh directory.
    pub fn start() -> Result<Self, QtestError> {
        if !Path::new("/dev/fuse").exists() {
            return Err(QtestError::Missing(
                "/dev/fuse not found: load the fuse module (modprobe fuse) or run where FUSE \
                 is available"
                    .into(),
            ));
        }
        let swtpm = SwtpmServer::start()?;
        let tpm = Swtpm::connect(swtpm.addr(), Duration::from_secs(10))
            .map_err(|e| QtestError::Protocol(e.to_string()))?;
        let commands = std::sync::Arc::new(AtomicU64::new(0));
        let device = Device {
            tpm: Mutex::new(tpm),
            responses: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            commands: commands.clone(),
        };
        let dir = fresh_dir("fuse")?;
        let mut config = Config::default();
        config.mount_options = vec![MountOption::FSName("tpm2-test-device".into())];
        let session = fuser::spawn_mount(device, &dir, &config)
            .map_err(|e| QtestError::Protocol(format!("FUSE mount on {}: {e}", dir.display())))?;
        Ok(Self {
            session: Some(session),
            dir,
            swtpm,
            commands,
        })
    }

    /// The device file's path.
    #[must_use]
    pub fn path(&self) -> PathBuf {
        self.dir.join(NAME)
    }

    /// The swtpm behind it, for checks on the same TPM.
    #[must_use]
    pub const fn swtpm(&self) -> &SwtpmServer {
        &self.swtpm
    }

    /// Commands the device received so far.
    #[must_use]
    pub fn commands(&self) -> u64 {
        self.commands.load(Ordering::Relaxed)
    }
}

impl Drop for FuseTpm {
    fn drop(&mut self) {
        drop(self.session.take());
        let _ = std::fs::remove_dir(&self.dir);
    }
}
