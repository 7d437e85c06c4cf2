//! The real binary under load, each test on a server (or several) of its own: settings read at
//! start (`config`), SIGKILL mid-import (`durability`), a full disk (`full_disk`), fifty
//! clients at once (`load`) and a power cut that drops every unsynced write (`power_cut`, on a
//! FUSE filesystem). Their only time bounds are a minute or more, so they may share the
//! machine. Two files keep binaries of their own, beside the neighbours they always had: the front
//! door's tests give a server half a second to read a request head (tests/front_door.rs), and
//! the limits' stalled downloads are given two seconds to take every download place
//! (tests/limits.rs).

#[path = "../common/mod.rs"]
mod common;

mod backup;
mod commands;
mod config;
mod durability;
mod first_start;
mod full_disk;
mod load;
mod power_cut;
mod service;
