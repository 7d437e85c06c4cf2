//! The real binary under load, each test on a server (or several) of its own: settings read at
//! start (`config`), SIGKILL mid-import (`durability`), a full disk (`full_disk`), memory and
//! stalled downloads (`limits`) and fifty clients at once (`load`). Their only time bounds are a
//! minute or more, so they may share the machine; the front door's tests, which give a server only
//! a moment to read a request head, keep a binary of their own (tests/front_door.rs).

#[path = "../common/mod.rs"]
mod common;

mod config;
mod durability;
mod full_disk;
mod limits;
mod load;
