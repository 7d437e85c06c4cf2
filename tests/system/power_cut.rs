//! A power cut: every commit a client was told succeeded is still there after the machine loses
//! every write that was not yet synced.
//!
//! The database lives on a small in-memory FUSE filesystem (one flat folder). For each file it
//! keeps the live content (every write) and the durable content (a copy taken at each fsync or
//! fdatasync of that file). A power cut is SIGKILL of the server, unmount, then every file reset
//! to its durable content; a file never synced is gone, as if its directory entry never reached
//! the disk. Page cache, `-shm` and the log file follow the same rule (SQLite rebuilds `-shm`
//! from the WAL on open).

use crate::common;

use common::server::Server;
use common::DEMO_PASSWORD;
use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, LockOwner, MountOption, OpenFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ROOT: u64 = 1;
const TTL: Duration = Duration::from_secs(0);

struct Node {
    name: OsString,
    live: Vec<u8>,
    /// None: never synced, so lost at a power cut.
    durable: Option<Vec<u8>>,
}

#[derive(Default)]
struct Disk {
    nodes: BTreeMap<u64, Node>,
    next: u64,
}

impl Disk {
    fn find(&self, name: &OsStr) -> Option<u64> {
        self.nodes
            .iter()
            .find(|(_, n)| n.name == name)
            .map(|(ino, _)| *ino)
    }

    /// Drops every write not yet synced.
    fn power_cut(&mut self) {
        self.nodes.retain(|_, n| n.durable.is_some());
        for n in self.nodes.values_mut() {
            n.live = n.durable.clone().unwrap_or_default();
        }
    }
}

fn attr(ino: u64, size: u64, kind: FileType) -> FileAttr {
    FileAttr {
        ino: INodeNo(ino),
        size,
        blocks: size.div_ceil(512),
        atime: UNIX_EPOCH,
        mtime: UNIX_EPOCH,
        ctime: UNIX_EPOCH,
        crtime: UNIX_EPOCH,
        kind,
        perm: if kind == FileType::Directory {
            0o755
        } else {
            0o644
        },
        nlink: if kind == FileType::Directory { 2 } else { 1 },
        uid: owner_ids().0,
        gid: owner_ids().1,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

/// The test's own uid and gid (from /proc, no libc needed).
fn owner_ids() -> (u32, u32) {
    let meta = std::fs::metadata("/proc/self").expect("/proc/self");
    use std::os::unix::fs::MetadataExt;
    (meta.uid(), meta.gid())
}

struct Fs(Arc<Mutex<Disk>>);

impl Fs {
    fn file_attr(&self, ino: u64) -> Option<FileAttr> {
        if ino == ROOT {
            return Some(attr(ROOT, 0, FileType::Directory));
        }
        let disk = self.0.lock().unwrap();
        disk.nodes
            .get(&ino)
            .map(|n| attr(ino, n.live.len() as u64, FileType::RegularFile))
    }
}

impl Filesystem for Fs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let found = (parent.0 == ROOT)
            .then(|| self.0.lock().unwrap().find(name))
            .flatten();
        match found.and_then(|ino| self.file_attr(ino)) {
            Some(a) => reply.entry(&TTL, &a, Generation(0)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.file_attr(ino.0) {
            Some(a) => reply.attr(&TTL, &a),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        if let Some(size) = size {
            if let Some(n) = self.0.lock().unwrap().nodes.get_mut(&ino.0) {
                n.live.resize(size as usize, 0);
            }
        }
        match self.file_attr(ino.0) {
            Some(a) => reply.attr(&TTL, &a),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if ino.0 == ROOT || self.0.lock().unwrap().nodes.contains_key(&ino.0) {
            reply.opened(FileHandle(0), FopenFlags::empty());
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        if parent.0 != ROOT {
            return reply.error(Errno::ENOENT);
        }
        let ino = {
            let mut disk = self.0.lock().unwrap();
            match disk.find(name) {
                Some(ino) => ino,
                None => {
                    disk.next = disk.next.max(ROOT) + 1;
                    let ino = disk.next;
                    let node = Node {
                        name: name.to_owned(),
                        live: Vec::new(),
                        durable: None,
                    };
                    disk.nodes.insert(ino, node);
                    ino
                }
            }
        };
        let a = self.file_attr(ino).expect("created");
        reply.created(&TTL, &a, Generation(0), FileHandle(0), FopenFlags::empty());
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let disk = self.0.lock().unwrap();
        match disk.nodes.get(&ino.0) {
            Some(n) => {
                let start = (offset as usize).min(n.live.len());
                let end = (start + size as usize).min(n.live.len());
                reply.data(&n.live[start..end]);
            }
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut disk = self.0.lock().unwrap();
        match disk.nodes.get_mut(&ino.0) {
            Some(n) => {
                let end = offset as usize + data.len();
                if n.live.len() < end {
                    n.live.resize(end, 0);
                }
                n.live[offset as usize..end].copy_from_slice(data);
                reply.written(data.len() as u32);
            }
            None => reply.error(Errno::ENOENT),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        if let Some(n) = self.0.lock().unwrap().nodes.get_mut(&ino.0) {
            n.durable = Some(n.live.clone());
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut disk = self.0.lock().unwrap();
        match disk.find(name).filter(|_| parent.0 == ROOT) {
            Some(ino) => {
                // An unlink is a directory change the model treats as durable at once.
                disk.nodes.remove(&ino);
                reply.ok();
            }
            None => reply.error(Errno::ENOENT),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        if ino.0 != ROOT {
            return reply.error(Errno::ENOTDIR);
        }
        let disk = self.0.lock().unwrap();
        let mut entries = vec![
            (ROOT, FileType::Directory, OsString::from(".")),
            (ROOT, FileType::Directory, OsString::from("..")),
        ];
        for (ino, n) in &disk.nodes {
            entries.push((*ino, FileType::RegularFile, n.name.clone()));
        }
        for (i, (ino, kind, name)) in entries.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(ino), (i + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }
}

fn mount(disk: &Arc<Mutex<Disk>>, at: &Path) -> BackgroundSession {
    let mut config = Config::default();
    config.mount_options = vec![MountOption::FSName("powercut".into())];
    fuser::spawn_mount(Fs(disk.clone()), at, &config).expect("mount the power-cut filesystem")
}

/// Whether FUSE can be used here; under CI it must be.
fn fuse_available() -> bool {
    let fusermount = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("fusermount3").exists()))
        .unwrap_or(false);
    let ok = Path::new("/dev/fuse").exists() && fusermount;
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but /dev/fuse or fusermount3 is missing (install Debian's fuse3)"
        );
        eprintln!("skipping the power-cut test: /dev/fuse or fusermount3 is missing");
    }
    ok
}

fn total_assets(server: &Server, session: &str) -> i64 {
    let (status, body) = server.post(
        &format!("/api/search_assets/{session}"),
        &serde_json::json!({"page": 1, "size": 1}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    body["total"].as_i64().unwrap()
}

#[test]
fn acknowledged_commits_survive_a_power_cut() {
    if !fuse_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("mnt");
    std::fs::create_dir(&at).unwrap();
    let disk = Arc::new(Mutex::new(Disk::default()));
    let session_fs = mount(&disk, &at);
    let database = at.join("db.sqlite3");

    let server = Server::start(&database, &[]);
    let session = server.login("liusn", DEMO_PASSWORD);
    // Imports of a few rows each, one after another: every one acknowledged and finished.
    let mut tasks: Vec<(i64, Value)> = Vec::new();
    for t in 0..5 {
        let rows: Vec<Value> = (0..3)
            .map(|i| common::row(&format!("断电-{t}-{i}"), "liusn", "CST"))
            .collect();
        let (status, answer) = server.post(
            &format!("/api/asset/{session}"),
            &Value::Array(rows).to_string(),
        );
        assert_eq!(status, 200, "{answer}");
        let id = answer["data"]["id"].as_i64().unwrap();
        let finished = server.wait_task(&session, id);
        assert_eq!(finished["number_succeed"], 3, "{finished}");
        tasks.push((id, finished));
    }
    let assets = total_assets(&server, &session);
    // A task's last batch waits for the disk and so carries every commit before it: the
    // writes that prove the pooled connections' level come after it. A login is a commit (the
    // new session); so is an import's acknowledgement (the queued task).
    let late_session = server.login("liusn", DEMO_PASSWORD);
    let row = common::row("断电-最后", "liusn", "CST");
    let (status, answer) = server.post(
        &format!("/api/asset/{late_session}"),
        &Value::Array(vec![row]).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let queued = answer["data"]["id"].as_i64().unwrap();
    // Once that task has ended (its last batch synced everything before it), the last commits
    // are the pooled connections' alone: a login and a new user.
    server.wait_task(&late_session, queued);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    let user = serde_json::json!({"name": "断电前的人", "password": "secret12",
        "entity": "示例企业", "department": "软件组", "character": 2, "lock": false, "email": ""});
    let (status, answer) = server.post(&format!("/api/user/{admin}"), &user.to_string());
    assert_eq!(status, 200, "{answer}");

    // The power cut: the process dies, the disk keeps only what was synced.
    server.kill();
    session_fs.umount_and_join().expect("unmount");
    disk.lock().unwrap().power_cut();
    let session_fs = mount(&disk, &at);

    let server = Server::start(&database, &[]);
    // The session from before the cut still opens the door.
    let session = late_session;
    for (id, before) in &tasks {
        let after = server.task(&session, *id);
        for key in [
            "finish",
            "number_need",
            "number_done",
            "number_succeed",
            "number_failed",
        ] {
            assert_eq!(
                after[key], before[key],
                "task {id} {key} after the power cut: {after}"
            );
        }
    }
    // The queued import survived too: it runs (or ran) and its row arrives.
    let last = server.wait_task(&session, queued);
    assert_eq!(last["number_succeed"], 1, "{last}");
    assert_eq!(total_assets(&server, &session), assets + 1);
    assert_eq!(server.get(&format!("/api/character/{admin}")).0, 200);
    server.login("断电前的人", "secret12");
    server.kill();
    drop(session_fs);
}
